import { describe, expect, it } from 'vitest';
import { removalEffects } from './absorbing-chain.js';
import { CHANNELS, PAGE_OUTCOMES, PAGE_TYPES, VISITOR_TYPES } from './generative-model.js';
import { Random, cumulative } from './prng.js';
import { computeModelTruth } from './model-truth.js';
import { compileModel } from './session-model.js';
import type { SessionTruth } from './session-truth.js';
import { createSimulation } from './simulation.js';

/**
 * The truth file's exact figures against what the simulator really generates: 200k events,
 * every comparison within 4 standard errors (clustered by session where visits repeat).
 */

const simulation = createSimulation({ events: 200_000, seed: 20_240_601 });
for (const _ of simulation.events) {
  // drain: only the truth is needed
}
const truth = simulation.truth();
const humans = truth.sessions.filter((s) => !s.bot && !s.truncated);

function z(observed: number, expected: number, variance: number): number {
  return variance > 0
    ? Math.abs(observed - expected) / Math.sqrt(variance)
    : observed === expected
      ? 0
      : Infinity;
}

/**
 * Ratio estimator sum(b)/sum(a) over clusters (sessions), with its linearised standard error
 * sqrt(sum((b - R a)^2)) / sum(a), from running sums so one pass fills many cells.
 */
class Ratio {
  private a = 0;
  private b = 0;
  private aa = 0;
  private bb = 0;
  private ab = 0;

  add(a: number, b: number): void {
    this.a += a;
    this.b += b;
    this.aa += a * a;
    this.bb += b * b;
    this.ab += a * b;
  }

  get mass(): number {
    return this.a;
  }

  get value(): number {
    return this.a > 0 ? this.b / this.a : 0;
  }

  get se(): number {
    const r = this.value;
    const s = Math.max(0, this.bb - 2 * r * this.ab + r * r * this.aa);
    return this.a > 0 ? Math.sqrt(s) / this.a : 0;
  }
}

function ratio(pairs: readonly (readonly [number, number])[]): Ratio {
  const out = new Ratio();
  for (const [a, b] of pairs) out.add(a, b);
  return out;
}

describe('ground truth vs a large sample', { timeout: 30_000 }, () => {
  it('has enough data to mean something', () => {
    expect(humans.length).toBeGreaterThan(30_000);
    expect(humans.filter((s) => s.converted).length).toBeGreaterThan(2_000);
  });

  it('session propensities at the start are calibrated, overall and per channel and type', () => {
    const check = (sessions: readonly SessionTruth[]): void => {
      let observed = 0;
      let expected = 0;
      let variance = 0;
      for (const s of sessions) {
        const p = s.probabilities[0] ?? 0;
        observed += s.converted ? 1 : 0;
        expected += p;
        variance += p * (1 - p);
      }
      expect(z(observed, expected, variance)).toBeLessThan(4);
    };
    check(humans);
    for (const channel of CHANNELS) check(humans.filter((s) => s.channel === channel));
    for (const type of VISITOR_TYPES) check(humans.filter((s) => s.visitorType === type.id));
    const rate = humans.filter((s) => s.converted).length / humans.length;
    const p = truth.sessionConversionRate;
    expect(z(rate * humans.length, p * humans.length, humans.length * p * (1 - p))).toBeLessThan(4);
  });

  it('propensities after each page are calibrated', () => {
    const pairs = humans.map((s) => {
      const steps = s.pages.length;
      let predicted = 0;
      for (let i = 1; i <= steps; i++) predicted += s.probabilities[i] ?? 0;
      return [predicted, s.converted ? steps : 0] as const;
    });
    const r = ratio(pairs);
    expect(Math.abs(r.value - 1)).toBeLessThan(4 * r.se);
  });

  it('page-state conversion probabilities (givenVisit) match visit-level conversion', () => {
    for (const type of PAGE_TYPES) {
      const r = ratio(
        humans.map((s) => {
          const visits = s.pages.filter((p) => p === type).length;
          return [visits, s.converted ? visits : 0] as const;
        }),
      );
      expect(r.mass).toBeGreaterThan(500);
      expect(Math.abs(r.value - truth.pageStates[type].givenVisit)).toBeLessThan(4 * r.se);
    }
  });

  it('the population page chain (what an order-1 Markov model learns) matches counted transitions', () => {
    const states: readonly string[] = [...PAGE_TYPES, ...PAGE_OUTCOMES];
    const cells = PAGE_TYPES.map(() => states.map(() => new Ratio()));
    const outs = new Float64Array(PAGE_TYPES.length);
    const hits = PAGE_TYPES.map(() => new Float64Array(states.length));
    for (const s of humans) {
      outs.fill(0);
      for (const h of hits) h.fill(0);
      s.pages.forEach((page, i) => {
        const from = PAGE_TYPES.indexOf(page as (typeof PAGE_TYPES)[number]);
        const next = i + 1 < s.pages.length ? s.pages[i + 1] : s.converted ? 'convert' : 'exit';
        outs[from] = (outs[from] ?? 0) + 1;
        const row = hits[from];
        const to = states.indexOf(next ?? '');
        if (row !== undefined) row[to] = (row[to] ?? 0) + 1;
      });
      PAGE_TYPES.forEach((_, from) => {
        const n = outs[from] ?? 0;
        if (n === 0) return;
        states.forEach((__, to) => cells[from]?.[to]?.add(n, hits[from]?.[to] ?? 0));
      });
    }
    PAGE_TYPES.forEach((from, f) => {
      states.forEach((to, t) => {
        const expected = truth.pageChain.transitions[from]?.[to] ?? 0;
        const r = cells[f]?.[t] ?? new Ratio();
        if (expected === 0) expect(r.value).toBe(0);
        else expect(Math.abs(r.value - expected)).toBeLessThan(4 * r.se);
      });
    });
    for (const page of PAGE_TYPES) {
      const n = humans.length;
      const p = truth.pageChain.start[page] ?? 0;
      const observed = humans.filter((s) => s.pages[0] === page).length;
      expect(z(observed, n * p, n * p * (1 - p))).toBeLessThan(4);
    }
  });

  it('journeys continue as the channel chain says', () => {
    const model = compileModel();
    for (const [c, channel] of CHANNELS.entries()) {
      const from = humans.filter((s) => s.channel === channel);
      let returns = 0;
      let expected = 0;
      let variance = 0;
      for (const s of from) {
        const rho = VISITOR_TYPES.find((t) => t.id === s.visitorType)?.returnProbability ?? 0;
        const p = (1 - (s.probabilities[0] ?? 0)) * rho;
        returns += s.next === 'return' ? 1 : 0;
        expected += p;
        variance += p * (1 - p);
      }
      expect(z(returns, expected, variance)).toBeLessThan(4);
      const back = from.filter((s) => s.next === 'return');
      const next = model.returnCumulative[c] ?? new Float64Array();
      CHANNELS.forEach((to, t) => {
        const p = (next[t] ?? 0) - (t === 0 ? 0 : (next[t - 1] ?? 0));
        const observed = back.filter((s) => s.nextChannel === to).length;
        expect(z(observed, back.length * p, back.length * p * (1 - p))).toBeLessThan(4);
      });
    }
  });

  describe('channel attribution truth vs simulated journeys', () => {
    // Journeys drawn straight from the channel model (not through the generator), to check the
    // exact removal effects and path probabilities against brute force.
    const model = compileModel();
    const random = new Random(77);
    const journeys: { path: number[]; converted: boolean }[] = [];
    const typeWeights = cumulative(VISITOR_TYPES.map((t) => t.share));
    for (let i = 0; i < 200_000; i++) {
      const g = random.weighted(typeWeights);
      const type = VISITOR_TYPES[g];
      if (type === undefined) continue;
      let c = random.weighted(model.firstTouchCumulative);
      const path: number[] = [];
      let converted = false;
      for (;;) {
        path.push(c);
        if (random.chance(model.components[g * CHANNELS.length + c]?.startProbability ?? 0)) {
          converted = true;
          break;
        }
        if (!random.chance(type.returnProbability)) break;
        c = random.weighted(model.returnCumulative[c] ?? model.firstTouchCumulative);
      }
      journeys.push({ path, converted });
    }
    const conversions = journeys.filter((j) => j.converted);

    // With no realised counts the model truth uses the expected visitor mix, as drawn here.
    const expected = computeModelTruth(model);

    it('journey conversion probability', () => {
      const n = journeys.length;
      const p = expected.channels.journeyConversionProbability;
      expect(z(conversions.length, n * p, n * p * (1 - p))).toBeLessThan(4);
    });

    it('causal removal effects: share of conversions that never touch the channel', () => {
      CHANNELS.forEach((channel, c) => {
        const kept = conversions.filter((j) => !j.path.includes(c)).length;
        const n = conversions.length;
        const p = 1 - expected.channels.states[channel].causalRemovalEffect;
        expect(z(kept, n * p, n * p * (1 - p))).toBeLessThan(4);
      });
    });

    it('first-order removal effects equal those of the chain counted from the journeys', () => {
      const t = CHANNELS.length;
      const counts = Array.from({ length: t }, () => new Float64Array(t + 2));
      const start = new Float64Array(t);
      for (const j of journeys) {
        start[j.path[0] ?? 0] = (start[j.path[0] ?? 0] ?? 0) + 1;
        j.path.forEach((c, i) => {
          const row = counts[c];
          if (row === undefined) return;
          const to = i + 1 < j.path.length ? (j.path[i + 1] ?? 0) : j.converted ? t : t + 1;
          row[to] = (row[to] ?? 0) + 1;
        });
      }
      const rows = counts.map((row) => {
        const sum = row.reduce((a, b) => a + b, 0);
        return row.map((v) => v / sum);
      });
      const n = journeys.length;
      const estimated = removalEffects(
        {
          chain: { transient: CHANNELS, absorbing: ['conversion', 'null'], rows },
          start: start.map((v) => v / n),
        },
        0,
        1,
      );
      const truthStates = expected.channels.states;
      CHANNELS.forEach((channel, c) => {
        expect(Math.abs((estimated[c] ?? 0) - truthStates[channel].removalEffect)).toBeLessThan(
          0.01,
        );
      });
      const rank = (values: (c: number) => number) =>
        [...CHANNELS.keys()].sort((a, b) => values(b) - values(a)).map((c) => CHANNELS[c]);
      expect(rank((c) => estimated[c] ?? 0)).toEqual(
        rank((c) => truthStates[CHANNELS[c] ?? 'Direct'].removalEffect),
      );
    });

    it('path probabilities', () => {
      for (const entry of expected.channels.paths) {
        const names = entry.path.split(' > ');
        const prefix = names.map((name) => CHANNELS.indexOf(name as (typeof CHANNELS)[number]));
        const matching = journeys.filter((j) => prefix.every((c, i) => j.path[i] === c));
        if (matching.length < 400) continue;
        const converted = matching.filter((j) => j.converted).length;
        const n = matching.length;
        const p = entry.probability;
        expect(z(converted, n * p, n * p * (1 - p))).toBeLessThan(4);
      }
    });
  });
});
