import { describe, expect, it } from 'vitest';
import {
  absorptionFromStart,
  absorptionMatrix,
  absorptionProbabilities,
  aggregateChains,
  expectedVisits,
  removalEffects,
  withStateRemoved,
  type AbsorbingChain,
} from './absorbing-chain.js';
import { solveLinear } from './linear-solve.js';

/**
 * Hand-solved chain. Transient A, B; absorbing C (conversion), N (null).
 *   A -> B 0.5, A -> C 0.2, A -> N 0.3
 *   B -> A 0.2, B -> C 0.5, B -> N 0.3
 * hA = 0.2 + 0.5 hB, hB = 0.5 + 0.2 hA  =>  hA = 0.5, hB = 0.6.
 * Visits from A: vA = 1 + 0.2 vB, vB = 0.5 vA  =>  vA = 10/9, vB = 5/9.
 */
const chain: AbsorbingChain = {
  transient: ['A', 'B'],
  absorbing: ['C', 'N'],
  rows: [Float64Array.from([0, 0.5, 0.2, 0.3]), Float64Array.from([0.2, 0, 0.5, 0.3])],
};

describe('solveLinear', () => {
  it('solves a 3x3 system that needs pivoting', () => {
    // x = 1, y = 2, z = 3
    const a = [
      [0, 2, 1],
      [1, 1, 1],
      [2, 0, -1],
    ];
    const x = solveLinear(a, [[7], [6], [-1]]).map((r) => r[0]);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(2, 12);
    expect(x[2]).toBeCloseTo(3, 12);
  });

  it('refuses a singular matrix', () => {
    expect(() =>
      solveLinear(
        [
          [1, 2],
          [2, 4],
        ],
        [[1], [2]],
      ),
    ).toThrow(/singular/);
  });
});

describe('absorbing chain', () => {
  it('matches the hand-solved absorption probabilities', () => {
    const h = absorptionProbabilities(chain, 0);
    expect(h[0]).toBeCloseTo(0.5, 12);
    expect(h[1]).toBeCloseTo(0.6, 12);
    const b = absorptionMatrix(chain);
    expect(b[0]?.[1]).toBeCloseTo(0.5, 12);
    expect(b[1]?.[1]).toBeCloseTo(0.4, 12);
  });

  it('matches the hand-solved expected visits', () => {
    const v = expectedVisits(chain, [1, 0]);
    expect(v[0]).toBeCloseTo(10 / 9, 12);
    expect(v[1]).toBeCloseTo(5 / 9, 12);
  });

  it('computes removal effects as Anderl et al. define them', () => {
    // Start half in A, half in B: P = 0.5 * 0.5 + 0.5 * 0.6 = 0.55.
    const model = { chain, start: Float64Array.from([0.5, 0.5]) };
    expect(absorptionFromStart(chain, model.start, 0)).toBeCloseTo(0.55, 12);
    // Without A: B -> A goes to null, so hB = 0.5 and P = 0.5 * 0.5 = 0.25.
    // Without B: A -> B goes to null, so hA = 0.2 and P = 0.5 * 0.2 = 0.1.
    const effects = removalEffects(model, 0, 1);
    expect(effects[0]).toBeCloseTo(1 - 0.25 / 0.55, 12);
    expect(effects[1]).toBeCloseTo(1 - 0.1 / 0.55, 12);
    const removed = withStateRemoved(model, 1, 1);
    expect(removed.chain.rows[0]?.[3]).toBeCloseTo(0.8, 12);
    expect(removed.start[1]).toBe(0);
    expect(chain.rows[0]?.[3]).toBe(0.3);
  });

  it('a single component aggregates to itself', () => {
    const start = Float64Array.from([1, 0]);
    const pooled = aggregateChains([{ chain, start, weight: 3 }]);
    pooled.chain.rows.forEach((row, i) => {
      row.forEach((p, j) => expect(p).toBeCloseTo(chain.rows[i]?.[j] ?? 0, 12));
    });
  });

  it('conditioned on conversion it gives the h-transform', () => {
    // P^h(i, x) = P(i, x) h(x) / h(i): A -> B 0.5 * 0.6 / 0.5 = 0.6, A -> C 0.2 / 0.5 = 0.4.
    const pooled = aggregateChains([{ chain, start: Float64Array.from([1, 0]), weight: 1 }], 0);
    expect(pooled.chain.rows[0]?.[1]).toBeCloseTo(0.6, 12);
    expect(pooled.chain.rows[0]?.[2]).toBeCloseTo(0.4, 12);
    expect(pooled.chain.rows[0]?.[3]).toBe(0);
    expect(absorptionFromStart(pooled.chain, pooled.start, 0)).toBeCloseTo(1, 12);
  });

  it('pools a mixture so that conversion from the start equals the mixture rate', () => {
    const other: AbsorbingChain = {
      transient: ['A', 'B'],
      absorbing: ['C', 'N'],
      rows: [Float64Array.from([0.3, 0.3, 0.05, 0.35]), Float64Array.from([0.6, 0.1, 0.1, 0.2])],
    };
    const s1 = Float64Array.from([0.7, 0.3]);
    const s2 = Float64Array.from([0.2, 0.8]);
    const pooled = aggregateChains([
      { chain, start: s1, weight: 2 },
      { chain: other, start: s2, weight: 1 },
    ]);
    const mixture = (2 * absorptionFromStart(chain, s1, 0) + absorptionFromStart(other, s2, 0)) / 3;
    expect(absorptionFromStart(pooled.chain, pooled.start, 0)).toBeCloseTo(mixture, 12);
    // Pooled transitions are weighted by expected visits, not by component weight alone.
    const v1 = expectedVisits(chain, s1);
    const v2 = expectedVisits(other, s2);
    const w1 = 2 * (v1[0] ?? 0);
    const w2 = v2[0] ?? 0;
    expect(pooled.chain.rows[0]?.[1]).toBeCloseTo((w1 * 0.5 + w2 * 0.3) / (w1 + w2), 12);
  });
});
