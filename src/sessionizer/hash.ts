/**
 * Small non-cryptographic string hashes for the hot path: two 32-bit lanes over UTF-16 code
 * units (an FNV-1a lane and a multiply-xorshift lane), finished with the murmur3 avalanche.
 * Written here because the per-event cost matters (no allocation, no encoding to bytes) and the
 * only library hasher in the dependencies (xxhash-wasm) must be loaded asynchronously.
 *
 * A visitor is hashed once per event (`hashVisitor`); the key table and the session id both
 * derive from those lanes.
 *
 * NOTE: not collision resistant against crafted inputs; nothing an attacker gains by colliding
 * depends on them (a session id also carries its start time in clear, and a fingerprint is only
 * compared within one visitor's session).
 */

/** The raw lanes of a visitor string (filled by `hashVisitor`). */
export interface VisitorHash {
  a: number;
  b: number;
}

let laneA = 0;
let laneB = 0;

function lanes(text: string): void {
  let a = 0x811c9dc5;
  let b = 0x1b873593;
  const n = text.length;
  let i = 0;
  // NOTE: two UTF-16 units per step halve the chain of dependent multiplies (~30% faster).
  for (; i + 1 < n; i += 2) {
    const c = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  if (i < n) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  laneA = a ^ n;
  laneB = b;
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hashVisitor(visitor: string, out: VisitorHash): VisitorHash {
  lanes(visitor);
  out.a = laneA;
  out.b = laneB;
  return out;
}

/** Bucket hash of (site id, visitor) for the key table (unsigned 32-bit). */
export function keyHashOf(hash: VisitorHash, siteId: number): number {
  return avalanche(hash.a ^ Math.imul(siteId + 1, 0x9e3779b1));
}

const scratch: VisitorHash = { a: 0, b: 0 };

export function keyHash(visitor: string, siteId: number): number {
  return keyHashOf(hashVisitor(visitor, scratch), siteId);
}

/** Fingerprint of an event id: 32 bits here, 8 more in `fingerprintExtra` (read right after). */
export function fingerprint(id: string): number {
  lanes(id);
  return avalanche(laneA);
}

/** The 8 extra fingerprint bits of the id last passed to `fingerprint`. */
export function fingerprintExtra(): number {
  return avalanche(laneB) & 0xff;
}

// The last site's lanes: outputs come in runs of one site.
let lastSite: string | undefined;
let siteA = 0;
let siteB = 0;

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** 12 hex digits of start (ms up to 2^48, the year 10889), '-', 16 hex digits of hash. */
const ID_LENGTH = 29;
const codes = new Array<number>(ID_LENGTH).fill(0);

/** Writes `digits` hex digits of `value` (< 2^32) ending before `end`. */
function hexInto(value: number, end: number, digits: number): void {
  for (let i = end - 1; i >= end - digits; i--) {
    codes[i] = HEX_CODES[value & 15] ?? 0;
    value >>>= 4;
  }
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
    lanes(site);
    lastSite = site;
    siteA = Math.imul(laneA, 0x2c1b3c6d);
    siteB = Math.imul(laneB, 0x297a2d39);
  }
  const hi = avalanche(hash.a ^ siteA);
  const lo = avalanche(hash.b ^ siteB);
  // NOTE: one fromCharCode builds a flat string ~4x faster than toString(36) + concatenation.
  hexInto(Math.floor(startedAt / 4294967296), 4, 4);
  hexInto(startedAt >>> 0, 12, 8);
  codes[12] = 0x2d;
  hexInto(hi, 21, 8);
  hexInto(lo, 29, 8);
  return String.fromCharCode(...codes);
}

export function sessionId(site: string, visitor: string, startedAt: number): string {
  return sessionIdOf(site, hashVisitor(visitor, { a: 0, b: 0 }), startedAt);
}
