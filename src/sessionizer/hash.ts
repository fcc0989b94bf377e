import { avalanche, hashLanes, type StringLanes } from '../core/index.js';

/**
 * The sessionizer's hashes, all from core's string lanes (string-hash.ts): a visitor is hashed
 * once per event (`hashVisitor`); the key table and the session id both derive from those lanes.
 * An event id's lanes make its dedupe fingerprint.
 *
 * NOTE: not collision resistant against crafted inputs; nothing an attacker gains by colliding
 * depends on them (a session id also carries its start time in clear, and a fingerprint is only
 * compared within one visitor's session).
 */

/** The raw lanes of a visitor string (filled by `hashVisitor`). */
export type VisitorHash = StringLanes;

export function hashVisitor(visitor: string, out: VisitorHash): VisitorHash {
  return hashLanes(visitor, out);
}

/** Bucket hash of (site id, visitor) for the key table (unsigned 32-bit). */
export function keyHashOf(hash: VisitorHash, siteId: number): number {
  return avalanche(hash.a ^ Math.imul(siteId + 1, 0x9e3779b1));
}

const scratch: VisitorHash = { a: 0, b: 0 };
/** The lanes of the event id last passed to `fingerprint`. */
const idLanes: StringLanes = { a: 0, b: 0 };

export function keyHash(visitor: string, siteId: number): number {
  return keyHashOf(hashVisitor(visitor, scratch), siteId);
}

/** Fingerprint of an event id: 32 bits here, 8 more in `fingerprintExtra` (read right after). */
export function fingerprint(id: string): number {
  return avalanche(hashLanes(id, idLanes).a);
}

/** The 8 extra fingerprint bits of the id last passed to `fingerprint`. */
export function fingerprintExtra(): number {
  return avalanche(idLanes.b) & 0xff;
}

// The last site's lanes: outputs come in runs of one site.
let lastSite: string | undefined;
let siteA = 0;
let siteB = 0;
const siteLanes: StringLanes = { a: 0, b: 0 };

/** Char codes of the two hex digits of each byte value (high digit, then low). */
const HEX_HIGH = new Uint8Array(256);
const HEX_LOW = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  HEX_HIGH[byte] = '0123456789abcdef'.charCodeAt(byte >>> 4);
  HEX_LOW[byte] = '0123456789abcdef'.charCodeAt(byte & 15);
}
/** 12 hex digits of start (ms up to 2^48, the year 10889), '-', 16 hex digits of hash. */
const ID_LENGTH = 29;
const codes = new Uint8Array(ID_LENGTH);

/** Writes the two hex digits of `byte` (0-255) at `at`. */
function hexByte(byte: number, at: number): void {
  codes[at] = HEX_HIGH[byte] ?? 0;
  codes[at + 1] = HEX_LOW[byte] ?? 0;
}

/** Writes the 8 hex digits of `value` (< 2^32) at `at` (spelled out: V8 did not inline hexByte). */
function hex8(value: number, at: number): void {
  const b0 = value >>> 24;
  const b1 = (value >>> 16) & 0xff;
  const b2 = (value >>> 8) & 0xff;
  const b3 = value & 0xff;
  codes[at] = HEX_HIGH[b0] ?? 0;
  codes[at + 1] = HEX_LOW[b0] ?? 0;
  codes[at + 2] = HEX_HIGH[b1] ?? 0;
  codes[at + 3] = HEX_LOW[b1] ?? 0;
  codes[at + 4] = HEX_HIGH[b2] ?? 0;
  codes[at + 5] = HEX_LOW[b2] ?? 0;
  codes[at + 6] = HEX_HIGH[b3] ?? 0;
  codes[at + 7] = HEX_LOW[b3] ?? 0;
}

/**
 * TRICKY: ids are recomputed from (site, visitor, start) on every output, also for sessions
 * restored from a checkpoint, so changing these hashes changes the ids of sessions in flight:
 * that needs a migration, not just a new CHECKPOINT_VERSION.
 *
 * The deterministic session id: the session's start (event time ms, fixed-width hex) and a
 * 64-bit hash of (site, visitor). A pure function of what the session is, not of the order its
 * events arrived in: two runs that agree on a session agree on its id (see README.md).
 */
export function sessionIdOf(site: string, hash: VisitorHash, startedAt: number): string {
  if (site !== lastSite) {
    const lanes = hashLanes(site, siteLanes);
    lastSite = site;
    siteA = Math.imul(lanes.a, 0x2c1b3c6d);
    siteB = Math.imul(lanes.b, 0x297a2d39);
  }
  const hi = avalanche(hash.a ^ siteA);
  const lo = avalanche(hash.b ^ siteB);
  const top = Math.floor(startedAt / 4294967296);
  hexByte((top >>> 8) & 0xff, 0);
  hexByte(top & 0xff, 2);
  hex8(startedAt >>> 0, 4);
  codes[12] = 0x2d;
  hex8(hi, 13);
  hex8(lo, 21);
  // NOTE: one fromCharCode builds a flat string ~4x faster than toString(16) + concatenation;
  // spelled-out arguments (no spread) and two digits per table lookup halve it again.
  const c = codes;
  // prettier-ignore
  return String.fromCharCode(
    c[0] ?? 0, c[1] ?? 0, c[2] ?? 0, c[3] ?? 0, c[4] ?? 0, c[5] ?? 0, c[6] ?? 0, c[7] ?? 0,
    c[8] ?? 0, c[9] ?? 0, c[10] ?? 0, c[11] ?? 0, c[12] ?? 0, c[13] ?? 0, c[14] ?? 0,
    c[15] ?? 0, c[16] ?? 0, c[17] ?? 0, c[18] ?? 0, c[19] ?? 0, c[20] ?? 0, c[21] ?? 0,
    c[22] ?? 0, c[23] ?? 0, c[24] ?? 0, c[25] ?? 0, c[26] ?? 0, c[27] ?? 0, c[28] ?? 0,
  );
}

export function sessionId(site: string, visitor: string, startedAt: number): string {
  return sessionIdOf(site, hashVisitor(visitor, { a: 0, b: 0 }), startedAt);
}
