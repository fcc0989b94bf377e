/**
 * A small non-cryptographic string hash for hot paths: two 32-bit lanes over UTF-16 code units
 * (an FNV-1a lane and a multiply-xorshift lane), and the murmur3 avalanche to finish a lane.
 * Written here because the per-call cost matters (no allocation, no encoding to bytes) and the
 * only library hasher in the dependencies (xxhash-wasm) must be loaded asynchronously.
 *
 * TRICKY: session ids and event fingerprints are made from these lanes and are stored
 * (sessionizer/hash.ts): changing a lane changes the ids of sessions in flight.
 *
 * NOTE: not collision resistant against crafted inputs; use it where a collision costs time at
 * most, or where the caller's data makes one harmless.
 */

/** The raw lanes of a string (filled by `hashLanes`). */
export interface StringLanes {
  a: number;
  b: number;
}

/** Fills `out` with the lanes of `text` and returns it. */
export function hashLanes(text: string, out: StringLanes): StringLanes {
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
  out.a = a ^ n;
  out.b = b;
  return out;
}

/** murmur3's 32-bit finalizer: every input bit flips each output bit about half the time. */
export function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
