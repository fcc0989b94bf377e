/**
 * mulberry32: a tiny seeded pseudo-random generator (uniform in [0, 1)). Not for secrets; for
 * sampling, shuffling test streams and benchmarks that must repeat exactly from a seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
