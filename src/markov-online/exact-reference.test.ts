import { mulberry32 } from '../core/index.js';
import { describe, expect, it } from 'vitest';
import { attribute } from './attribution.js';
import { MarkovChain } from './markov-chain.js';
import type { Journey } from './path-file.js';
import { START } from './state-space.js';

/*
 * Every number here is checked against an independent dense computation: the chain is rebuilt
 * from the journeys with plain maps and strings, and solved by matrix inversion, N = (I - Q)^-1,
 * B = N R (Kemeny and Snell's fundamental matrix), instead of the sparse Gauss-Seidel solver.
 */

const TOLERANCE = 1e-10;

/** Gauss-Jordan with partial pivoting; small dense matrices only. */
function invert(matrix: number[][]): number[][] {
  const n = matrix.length;
  const a = matrix.map((row, i) => [
    ...row,
    ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  ]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-14) throw new Error('singular matrix');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    for (let j = 0; j < 2 * n; j++) a[col]![j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      if (f === 0) continue;
      for (let j = 0; j < 2 * n; j++) a[r]![j]! -= f * a[col]![j]!;
    }
  }
  return a.map((row) => row.slice(n));
}

function multiply(m: number[][], v: number[]): number[] {
  return m.map((row) => row.reduce((sum, x, j) => sum + x * v[j]!, 0));
}

type Cut = 'channel-attribution' | 'growing';

/** The states a path visits: tuples joined by ' > ', consecutive repeats dropped. */
function referenceStates(path: readonly string[], order: number, cut: Cut): string[][] {
  const windows: string[][] = [];
  if (cut === 'channel-attribution') {
    if (path.length <= order) windows.push([...path]);
    else
      for (let end = order; end <= path.length; end++) windows.push(path.slice(end - order, end));
  } else {
    for (let end = 1; end <= path.length; end++)
      windows.push(path.slice(Math.max(0, end - order), end));
  }
  return windows.filter((w, i) => i === 0 || w.join(' > ') !== windows[i - 1]!.join(' > '));
}

interface Reference {
  /** P(conversion) per state label, '(start)' included. */
  readonly probability: Map<string, number>;
  readonly start: number;
  readonly startValue: number;
}

interface Weighted {
  readonly path: readonly string[];
  readonly conversions: number;
  readonly nulls: number;
  readonly value: number;
}

/** Dense absorbing-chain solve; `removed` channel: transitions into its states go to null. */
function referenceSolve(
  journeys: readonly Weighted[],
  order: number,
  cut: Cut,
  removed?: string,
): Reference {
  const labels = ['(start)'];
  const tuples = new Map<string, string[]>();
  const counts = new Map<string, Map<string, number>>();
  const value = new Map<string, number>();
  const add = (from: string, to: string, w: number): void => {
    if (w === 0) return;
    const row = counts.get(from) ?? new Map<string, number>();
    counts.set(from, row);
    row.set(to, (row.get(to) ?? 0) + w);
  };
  for (const j of journeys) {
    let from = '(start)';
    for (const tuple of referenceStates(j.path, order, cut)) {
      const label = tuple.join(' > ');
      if (!tuples.has(label)) {
        tuples.set(label, tuple);
        labels.push(label);
      }
      add(from, label, j.conversions + j.nulls);
      from = label;
    }
    add(from, '(conversion)', j.conversions);
    add(from, '(null)', j.nulls);
    if (j.conversions > 0) value.set(from, (value.get(from) ?? 0) + j.value);
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  const n = labels.length;
  const iMinusQ = labels.map((_, i) => labels.map((__, j) => (i === j ? 1 : 0)));
  const toConversion = new Array<number>(n).fill(0);
  const valueReward = new Array<number>(n).fill(0);
  labels.forEach((from, i) => {
    const row = counts.get(from);
    if (row === undefined) return;
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    for (const [to, w] of row) {
      if (to === '(conversion)') toConversion[i] = w / total;
      else if (to === '(null)') continue;
      else if (removed !== undefined && tuples.get(to)!.includes(removed)) continue;
      else iMinusQ[i]![index.get(to)!]! -= w / total;
    }
    valueReward[i] = (value.get(from) ?? 0) / total;
  });
  const fundamental = invert(iMinusQ);
  const b = multiply(fundamental, toConversion);
  const y = multiply(fundamental, valueReward);
  return {
    probability: new Map(labels.map((l, i) => [l, b[i]!])),
    start: b[0]!,
    startValue: y[0]!,
  };
}

function randomJourneys(seed: number, count: number, channels: readonly string[]): Journey[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, line) => {
    const length = 1 + Math.floor(random() * 5);
    const path = Array.from({ length }, () => channels[Math.floor(random() * channels.length)]!);
    const conversions = Math.floor(random() * 4);
    return {
      line: line + 2,
      channels: path,
      conversions,
      nulls: Math.floor(random() * 6),
      value: conversions * (1 + Math.floor(random() * 50)),
    };
  });
}

const HAND_MADE: Journey[] = [
  { line: 2, channels: ['a', 'b', 'a'], conversions: 2, nulls: 3, value: 10 },
  { line: 3, channels: ['a', 'a', 'c'], conversions: 1, nulls: 1, value: 7 },
  { line: 4, channels: ['b'], conversions: 0, nulls: 4, value: 0 },
  { line: 5, channels: ['c', 'b'], conversions: 3, nulls: 0, value: 9 },
  { line: 6, channels: ['b', 'c', 'a', 'b'], conversions: 1, nulls: 2, value: 4.5 },
  { line: 7, channels: ['d', 'c', 'c', 'b', 'a'], conversions: 2, nulls: 1, value: 30 },
];

const CASES = [
  { name: 'hand-made', journeys: HAND_MADE },
  { name: 'random (6 channels)', journeys: randomJourneys(7, 120, ['s', 't', 'u', 'v', 'w', 'x']) },
] as const;

describe('attribution against a dense matrix-inversion reference', () => {
  for (const { name, journeys } of CASES) {
    for (const order of [1, 2, 3]) {
      for (const withNull of [false, true]) {
        it(`${name}, order ${order}, ${withNull ? 'with' : 'without'} nulls`, () => {
          const weighted = journeys.map((j) => ({
            path: j.channels,
            conversions: j.conversions,
            nulls: withNull ? j.nulls : 0,
            value: j.value,
          }));
          const full = referenceSolve(weighted, order, 'channel-attribution');
          const channels = [...new Set(journeys.flatMap((j) => j.channels))];
          const effects = channels.map((c) => {
            const without = referenceSolve(weighted, order, 'channel-attribution', c);
            return {
              channel: c,
              re: 1 - without.start / full.start,
              rev: 1 - without.startValue / full.startValue,
            };
          });
          const sumRe = effects.reduce((s, e) => s + e.re, 0);
          const sumRev = effects.reduce((s, e) => s + e.rev, 0);
          const totalConversions = journeys.reduce((s, j) => s + j.conversions, 0);
          const totalValue = journeys.reduce((s, j) => s + j.value, 0);

          const { report, conversionProbability, solve } = attribute(journeys, { order, withNull });
          expect(solve.converged).toBe(true);
          expect(conversionProbability).toBeCloseTo(full.start, 12);
          if (!withNull) expect(full.start).toBeCloseTo(1, 12);
          expect(Object.keys(report.markov)).toEqual(channels);
          for (const e of effects) {
            const got = report.markov[e.channel]!;
            expect(Math.abs(got.removal_effect - e.re)).toBeLessThan(TOLERANCE);
            expect(Math.abs(got.value_removal_effect - e.rev)).toBeLessThan(TOLERANCE);
            expect(got.conversions).toBeCloseTo((totalConversions * e.re) / sumRe, 8);
            expect(got.value).toBeCloseTo((totalValue * e.rev) / sumRev, 8);
          }
          const attributed = Object.values(report.markov).reduce((s, c) => s + c.conversions, 0);
          expect(attributed).toBeCloseTo(totalConversions, 8);
        });
      }
    }
  }

  it('reproduces the ChannelAttribution vignette example exactly (repeats collapsed)', () => {
    // A>B>A>B>B>A, A>B>B>A>A, A>A, one conversion each: collapsed, A -> conversion half the
    // time and B always returns to A, so RE(A) = 1, RE(B) = 0.5 and A gets 2 of 3 conversions.
    const journeys: Journey[] = [
      { line: 2, channels: ['A', 'B', 'A', 'B', 'B', 'A'], conversions: 1, nulls: 0, value: 1 },
      { line: 3, channels: ['A', 'B', 'B', 'A', 'A'], conversions: 1, nulls: 0, value: 1 },
      { line: 4, channels: ['A', 'A'], conversions: 1, nulls: 0, value: 1 },
    ];
    const { report } = attribute(journeys, { order: 1, withNull: false });
    expect(report.markov['A']!.removal_effect).toBeCloseTo(1, 12);
    expect(report.markov['B']!.removal_effect).toBeCloseTo(0.5, 12);
    expect(report.markov['A']!.conversions).toBeCloseTo(2, 12);
    expect(report.markov['B']!.conversions).toBeCloseTo(1, 12);
  });
});

describe('chain absorption probabilities against the dense reference', () => {
  for (const order of [1, 2, 3]) {
    it(`every state, order ${order}`, () => {
      const journeys = randomJourneys(11 + order, 80, ['p', 'q', 'r', 's']);
      const chain = new MarkovChain({ order });
      for (const j of journeys) chain.addPath(j.channels, j);
      const snapshot = chain.solve({ tolerance: 1e-14 });
      const weighted = journeys.map((j) => ({
        path: j.channels,
        conversions: j.conversions,
        nulls: j.nulls,
        value: j.value,
      }));
      const reference = referenceSolve(weighted, order, 'growing');
      expect(reference.probability.size).toBe(chain.stateCount - 2);
      for (const [label, p] of reference.probability) {
        const state = label === '(start)' ? START : snapshot.stateOf(label.split(' > '));
        expect(state, label).toBeDefined();
        const got = snapshot.conversionProbability(state!)!;
        expect(Math.abs(got - p), label).toBeLessThan(TOLERANCE);
      }
      expect(snapshot.expectedValue()).toBeCloseTo(reference.startValue, 8);
      // ChannelAttribution's cut (full windows only) has other states but the same answer
      // from start: the prefix states only split its start transition into steps.
      const packageCut = referenceSolve(weighted, order, 'channel-attribution');
      expect(Math.abs(packageCut.start - reference.start)).toBeLessThan(TOLERANCE);
      if (order > 1) {
        const differs = [...reference.probability].some(
          ([label, p]) => Math.abs((packageCut.probability.get(label) ?? -1) - p) > 1e-6,
        );
        expect(differs).toBe(true);
      }
    });
  }

  it('decayed counts: weights halve per half-life of event time', () => {
    const hour = 3_600_000;
    const t0 = Date.UTC(2025, 0, 1);
    const chain = new MarkovChain({ order: 1, halfLifeMs: hour });
    // Old journeys a -> b -> conversion; recent ones a -> c -> null and a -> b -> null.
    const journeys = [
      { at: t0, path: ['a', 'b'], converted: true },
      { at: t0 + 0.5 * hour, path: ['a', 'b'], converted: true },
      { at: t0 + 2 * hour, path: ['a', 'c'], converted: false },
      { at: t0 + 3 * hour, path: ['a', 'b'], converted: false },
      { at: t0 + 3 * hour, path: ['a', 'c'], converted: true },
    ];
    const latest = t0 + 3 * hour;
    for (const j of journeys) {
      let state = START;
      for (const item of j.path) state = chain.step(state, item, j.at);
      if (j.converted) chain.convert(state, j.at);
      else chain.drop(state, j.at);
    }
    // Reference: each journey weighs 2^-(age / half-life) as of the latest event.
    const reference = referenceSolve(
      journeys.map((j) => {
        const w = 2 ** (-(latest - j.at) / hour);
        return {
          path: j.path,
          conversions: j.converted ? w : 0,
          nulls: j.converted ? 0 : w,
          value: 0,
        };
      }),
      1,
      'growing',
    );
    const snapshot = chain.solve({ tolerance: 1e-14 });
    for (const [label, p] of reference.probability) {
      const state = label === '(start)' ? START : snapshot.stateOf([label]);
      expect(Math.abs(snapshot.conversionProbability(state!)! - p), label).toBeLessThan(TOLERANCE);
    }
    // Support is the decayed journey count: at a, 2^-3 + 2^-2.5 + 2^-1 + 1 + 1.
    const a = snapshot.stateOf(['a'])!;
    expect(snapshot.support(a)).toBeCloseTo(2 ** -3 + 2 ** -2.5 + 2 ** -1 + 2, 12);
  });
});
