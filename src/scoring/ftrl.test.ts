import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { FtrlModel, ftrlWeight, resolveFtrlParams, sigmoid, type FtrlParams } from './ftrl.js';

/**
 * McMahan et al. (2013), Algorithm 1, written out independently for binary features:
 * the expected z, n and w after each step of a hand-made sequence.
 */
function referenceRun(
  params: FtrlParams,
  examples: ReadonlyArray<{ x: number[]; y: 0 | 1 }>,
): { z: Map<number, number>; n: Map<number, number>; predictions: number[] } {
  const z = new Map<number, number>();
  const n = new Map<number, number>();
  const predictions: number[] = [];
  const w = (i: number): number => {
    const zi = z.get(i) ?? 0;
    const ni = n.get(i) ?? 0;
    if (Math.abs(zi) <= params.l1) return 0;
    return (
      -(zi - Math.sign(zi) * params.l1) / ((params.beta + Math.sqrt(ni)) / params.alpha + params.l2)
    );
  };
  for (const { x, y } of examples) {
    const weights = x.map(w);
    const p = 1 / (1 + Math.exp(-weights.reduce((a, b) => a + b, 0)));
    predictions.push(p);
    const g = p - y;
    x.forEach((i, k) => {
      const ni = n.get(i) ?? 0;
      const sigma = (Math.sqrt(ni + g * g) - Math.sqrt(ni)) / params.alpha;
      z.set(i, (z.get(i) ?? 0) + g - sigma * (weights[k] as number));
      n.set(i, ni + g * g);
    });
  }
  return { z, n, predictions };
}

const PARAMS: FtrlParams = { alpha: 0.1, beta: 1, l1: 0.4, l2: 1 };

const SEQUENCE: ReadonlyArray<{ x: number[]; y: 0 | 1 }> = [
  { x: [3, 7], y: 1 },
  { x: [3], y: 0 },
  { x: [7, 9], y: 1 },
  { x: [3, 7, 9], y: 1 },
  { x: [9, 12], y: 0 },
  { x: [3, 12], y: 1 },
];

function learnAll(model: FtrlModel, examples: typeof SEQUENCE): number[] {
  return examples.map(({ x, y }) => model.learn(Uint32Array.from(x), x.length, y));
}

describe('FtrlModel', () => {
  it('takes the first step exactly as computed by hand', () => {
    const model = new FtrlModel(16, PARAMS);
    const p = model.learn(Uint32Array.of(3, 7), 2, 1);
    // w = 0, so p = 0.5; g = -0.5; sigma = (sqrt(0.25) - 0) / 0.1 = 5; z = g - sigma * 0 = -0.5.
    expect(p).toBe(0.5);
    const state = model.exportSparse();
    expect(Array.from(state.indices)).toEqual([3, 7]);
    expect(Array.from(state.z)).toEqual([-0.5, -0.5]);
    expect(Array.from(state.n)).toEqual([0.25, 0.25]);
    // |z| = 0.5 > l1 = 0.4: w = -(-0.5 + 0.4) / ((1 + 0.5) / 0.1 + 1) = 0.1 / 16.
    expect(model.weight(3)).toBeCloseTo(0.00625, 15);
    expect(model.predict(Uint32Array.of(3, 7), 2)).toBeCloseTo(sigmoid(0.0125), 15);
  });

  it('matches the paper formulas over a sequence', () => {
    const model = new FtrlModel(16, PARAMS);
    const predictions = learnAll(model, SEQUENCE);
    const expected = referenceRun(PARAMS, SEQUENCE);
    predictions.forEach((p, k) => expect(p).toBeCloseTo(expected.predictions[k] as number, 14));
    const state = model.exportSparse();
    expect(Array.from(state.indices)).toEqual([3, 7, 9, 12]);
    state.indices.forEach((i, k) => {
      expect(state.z[k]).toBeCloseTo(expected.z.get(i) as number, 14);
      expect(state.n[k]).toBeCloseTo(expected.n.get(i) as number, 14);
      const zi = expected.z.get(i) as number;
      const ni = expected.n.get(i) as number;
      const w =
        Math.abs(zi) <= PARAMS.l1
          ? 0
          : -(zi - Math.sign(zi) * PARAMS.l1) /
            ((PARAMS.beta + Math.sqrt(ni)) / PARAMS.alpha + PARAMS.l2);
      expect(model.weight(i)).toBeCloseTo(w, 14);
    });
    expect(model.updates).toBe(SEQUENCE.length);
    // The standalone formula (used by snapshots) agrees with the model's own.
    state.indices.forEach((i, k) => {
      expect(ftrlWeight(state.z[k] as number, state.n[k] as number, PARAMS)).toBe(model.weight(i));
    });
  });

  it('keeps weights at exactly zero while |z| <= l1 (sparsity)', () => {
    const model = new FtrlModel(8, { alpha: 0.1, beta: 1, l1: 10, l2: 0 });
    learnAll(
      model,
      SEQUENCE.filter((e) => e.x.every((i) => i < 8)),
    );
    for (let i = 0; i < 8; i++) expect(model.weight(i)).toBe(0);
    expect(Array.from(model.denseWeights())).toEqual(new Array(8).fill(0));
  });

  it('serves the same predictions from dense weights and after export/load', () => {
    const model = new FtrlModel(16, PARAMS);
    learnAll(model, SEQUENCE);
    const dense = model.denseWeights();
    const x = Uint32Array.of(3, 9, 12);
    const margin = (dense[3] as number) + (dense[9] as number) + (dense[12] as number);
    expect(sigmoid(margin)).toBeCloseTo(model.predict(x, 3), 6);
    const copy = new FtrlModel(16, PARAMS);
    copy.load(model.exportSparse(), model.updates);
    expect(copy.predict(x, 3)).toBe(model.predict(x, 3));
    expect(copy.updates).toBe(SEQUENCE.length);
    expect(() => new FtrlModel(4, PARAMS).load(model.exportSparse())).toThrow(RangeError);
  });

  it('learns a separable problem', () => {
    const model = new FtrlModel(4, { alpha: 0.5, beta: 1, l1: 0, l2: 0 });
    for (let k = 0; k < 2000; k++) {
      model.learn(Uint32Array.of(0, 1), 2, 1);
      model.learn(Uint32Array.of(0, 2), 2, 0);
    }
    expect(model.predict(Uint32Array.of(0, 1), 2)).toBeGreaterThan(0.95);
    expect(model.predict(Uint32Array.of(0, 2), 2)).toBeLessThan(0.05);
  });

  it('saturates instead of overflowing on huge margins', () => {
    expect(sigmoid(1e6)).toBeLessThan(1);
    expect(sigmoid(-1e6)).toBeGreaterThan(0);
    expect(ftrlWeight(0.3, 1, PARAMS)).toBe(0);
  });

  it.each([
    [{ alpha: 0 }, 'ftrl.alpha'],
    [{ alpha: Number.NaN }, 'ftrl.alpha'],
    [{ beta: -1 }, 'ftrl.beta'],
    [{ l1: Number.POSITIVE_INFINITY }, 'ftrl.l1'],
    [{ l2: -0.1 }, 'ftrl.l2'],
  ])('rejects %j naming %s', (options, variable) => {
    expect(() => resolveFtrlParams(options)).toThrow(ConfigError);
    expect(() => resolveFtrlParams(options)).toThrow(variable);
  });
});
