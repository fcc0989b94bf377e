/**
 * Numeric session facts become small integer buckets, so that the classifier (a linear model on
 * binary features) can learn a non-linear effect of each. Edges are upper bounds (exclusive):
 * a value below edges[0] is bucket 0, a value at or above the last edge is bucket edges.length.
 * NOTE: changing any edge changes what a feature index means; bump FEATURE_SCHEMA_VERSION
 * (feature-hasher.ts) so that old snapshots are refused instead of misread.
 */

/** Pageviews so far: 0..5 one by one, then widening. */
export const DEPTH_EDGES: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 11, 16, 26, 41];

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** Session duration so far, ms. */
export const DURATION_EDGES: readonly number[] = [
  1 * SECOND,
  10 * SECOND,
  30 * SECOND,
  1 * MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  20 * MINUTE,
  40 * MINUTE,
  60 * MINUTE,
  120 * MINUTE,
];

/** CRM lifetime value, in the profile's currency units. */
export const VALUE_EDGES: readonly number[] = [
  0.01, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
];

/**
 * Markov conversion probability. Conversion rates are small, so the edges are roughly
 * logarithmic below 10% where most states sit, and coarser above.
 */
export const MARKOV_EDGES: readonly number[] = [
  0.0005, 0.001, 0.002, 0.004, 0.007, 0.01, 0.015, 0.02, 0.03, 0.04, 0.055, 0.075, 0.1, 0.13, 0.17,
  0.22, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,
];

/** Conversions already made in the session: 0, 1, 2 or more. */
export const CONVERSION_EDGES: readonly number[] = [1, 2];

/** The bucket of `value`; NaN (unknown) is its own bucket, edges.length + 1. */
export function bucketOf(value: number, edges: readonly number[]): number {
  if (Number.isNaN(value)) return edges.length + 1;
  // Linear scan: at most ~25 edges, and most values fall in the first few.
  let i = 0;
  while (i < edges.length && value >= (edges[i] as number)) i++;
  return i;
}

/** Number of distinct buckets bucketOf() can return for `edges`. */
export function bucketCount(edges: readonly number[]): number {
  return edges.length + 2;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Hour of day, 0..23, UTC. */
export function utcHour(ms: number): number {
  return mod(Math.floor(ms / HOUR_MS), 24);
}

/** Day of week, 0 = Sunday .. 6 = Saturday, UTC (1970-01-01 was a Thursday). */
export function utcWeekday(ms: number): number {
  return mod(Math.floor(ms / DAY_MS) + 4, 7);
}

/** a mod n in [0, n); 0 for a non-finite a (no time), so a table lookup never misses. */
function mod(a: number, n: number): number {
  return Number.isFinite(a) ? ((a % n) + n) % n : 0;
}
