import { isIPv4, isIPv6 } from 'node:net';

/** A validated client address, in the form the geo database and the truncation expect. */
export interface ClientIp {
  readonly version: 4 | 6;
  /**
   * The address to look up: dotted quad for IPv4 (also for IPv4-mapped IPv6, `::ffff:a.b.c.d`),
   * otherwise the IPv6 text without brackets or zone id.
   */
  readonly address: string;
  /** The network the address belongs to: `a.b.c.0/24` or `x:y:z::/48`. Never the address itself. */
  readonly prefix: string;
}

/** Longer than any textual IP address (45 characters for IPv6 with an embedded IPv4 + zone). */
export const MAX_IP_LENGTH = 100;

/**
 * Parses a client IP as a collector sees it (optionally `[bracketed]`, optionally with an IPv6
 * zone id). Anything else — ports, lists from X-Forwarded-For, host names, garbage — is not an IP
 * and gives null: picking the client out of a proxy chain is the collector's job.
 */
export function parseClientIp(raw: string): ClientIp | null {
  if (raw.length === 0 || raw.length > MAX_IP_LENGTH) return null;
  let text = raw.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (isIPv4(text)) return { version: 4, address: text, prefix: ipv4Prefix(text) };
  if (!isIPv6(text)) return null;

  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const hextets = expandIpv6(text);
  if (hextets === null) return null;
  if (isIpv4Mapped(hextets)) {
    const address = `${hextets[6]! >> 8}.${hextets[6]! & 0xff}.${hextets[7]! >> 8}.${hextets[7]! & 0xff}`;
    return { version: 4, address, prefix: ipv4Prefix(address) };
  }
  return { version: 6, address: text.toLowerCase(), prefix: ipv6Prefix(hextets) };
}

function ipv4Prefix(address: string): string {
  return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
}

function isIpv4Mapped(hextets: readonly number[]): boolean {
  return (
    hextets[0] === 0 &&
    hextets[1] === 0 &&
    hextets[2] === 0 &&
    hextets[3] === 0 &&
    hextets[4] === 0 &&
    hextets[5] === 0xffff
  );
}

/** The first 48 bits in RFC 5952 form: the zero run after them is always the longest one. */
function ipv6Prefix(hextets: readonly number[]): string {
  let kept = 3;
  while (kept > 0 && hextets[kept - 1] === 0) kept -= 1;
  const head = hextets
    .slice(0, kept)
    .map((h) => h.toString(16))
    .join(':');
  return `${head}::/48`;
}

/** Eight 16-bit groups of an address that `net.isIPv6` already accepted (zone id removed). */
function expandIpv6(text: string): number[] | null {
  const groups: number[] = [];
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  groups.push(...head);
  for (let i = 0; i < missing; i += 1) groups.push(0);
  groups.push(...tail);
  return groups;
}

function parseGroups(part: string): number[] | null {
  if (part === '') return [];
  const groups: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      // An embedded IPv4 address (only ever last; isIPv6 checked the placement).
      const octets = piece.split('.').map(Number);
      if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
        return null;
      }
      groups.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    } else {
      const value = Number.parseInt(piece, 16);
      if (Number.isNaN(value)) return null;
      groups.push(value);
    }
  }
  return groups;
}
