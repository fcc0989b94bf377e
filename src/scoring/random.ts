import { mulberry32 } from '../core/index.js';

/**
 * A seeded pseudo-random source: sampling decisions are reproducible from a seed, so a replay of
 * the same input samples the same prefixes and trains the same model.
 */
export type Random = () => number;

export const seededRandom: (seed: number) => Random = mulberry32;
