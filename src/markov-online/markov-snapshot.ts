import {
  activeStates,
  gaussSeidel,
  transpose,
  type CsrMatrix,
  type SolveStats,
  type SolverSettings,
} from './absorption-solver.js';
import type { EdgeArrays } from './edge-store.js';
import { buildChainMatrices, type ChainMatrices } from './chain-matrices.js';
import { CONVERSION, NULL, START, type StateId, type StateSpace } from './state-space.js';

export interface NextState {
  readonly state: StateId;
  readonly label: string;
  readonly probability: number;
}

export interface ItemRemovalEffect {
  readonly item: string;
  /** 1 - P(conversion | item removed) / P(conversion), Anderl et al. (2016). */
  readonly removalEffect: number;
  /** The same on expected conversion value (see attribution.ts for why it can differ). */
  readonly valueRemovalEffect: number;
  /** P(conversion from start) with every state containing the item redirected to null. */
  readonly conversionProbabilityWithout: number;
}

export interface RemovalRank {
  readonly item: string;
  readonly removalEffect: number;
  readonly conversionProbabilityWithout: number;
}

export interface SnapshotInput {
  readonly space: StateSpace;
  readonly stateCount: number;
  readonly itemCount: number;
  readonly edges: EdgeArrays;
  readonly settings: SolverSettings;
  readonly warmStart: Float64Array;
  /** Factor from stored counts to counts decayed to the newest event time (1 without decay). */
  readonly decay: number;
}

/**
 * An immutable solved view of a chain at one moment: conversion probability of every state,
 * next-state distributions, and removal effects (computed on first request, then cached). The
 * live chain keeps counting meanwhile; states it creates later are unknown here.
 */
export class MarkovSnapshot {
  readonly stateCount: number;
  readonly itemCount: number;
  readonly stats: SolveStats;
  private readonly space: StateSpace;
  private readonly q: CsrMatrix;
  private readonly qT: CsrMatrix;
  private readonly toConversion: Float64Array;
  private readonly toNull: Float64Array;
  private readonly valueReward: Float64Array;
  private readonly rowWeight: Float64Array;
  private readonly decay: number;
  private readonly settings: SolverSettings;
  private readonly x: Float64Array;
  private valueSolution: Float64Array | undefined;
  /** P(conversion) / E[value] from start with item i removed; NaN until computed. */
  private readonly cachedWithout: Float64Array;
  private readonly cachedValueWithout: Float64Array;

  private constructor(input: SnapshotInput, parts: ChainMatrices) {
    this.space = input.space;
    this.stateCount = input.stateCount;
    this.itemCount = input.itemCount;
    this.settings = input.settings;
    this.decay = input.decay;
    this.q = parts.q;
    this.qT = transpose(parts.q);
    this.toConversion = parts.toConversion;
    this.toNull = parts.toNull;
    this.valueReward = parts.valueReward;
    this.rowWeight = parts.rowWeight;
    this.cachedWithout = new Float64Array(input.itemCount).fill(Number.NaN);
    this.cachedValueWithout = new Float64Array(input.itemCount).fill(Number.NaN);
    this.x = new Float64Array(input.stateCount);
    this.x.set(input.warmStart.subarray(0, Math.min(input.warmStart.length, input.stateCount)));
    const active = activeStates(this.qT, this.toConversion, undefined);
    this.stats = gaussSeidel(this.q, this.toConversion, this.x, active, this.settings);
  }

  static build(input: SnapshotInput): MarkovSnapshot {
    return new MarkovSnapshot(input, buildChainMatrices(input.stateCount, input.edges));
  }

  /** Conversion probability of every state; a view the chain warm-starts from. Do not mutate. */
  get probabilities(): Float64Array {
    return this.x;
  }

  /**
   * P(reaching conversion) from `state`; undefined for a state created after this snapshot. A
   * state never left so far answers 0: check support() before trusting it.
   */
  conversionProbability(state: StateId): number | undefined {
    if (state === CONVERSION) return 1;
    if (state === NULL) return 0;
    return this.known(state) ? (this.x[state] as number) : undefined;
  }

  /** The state for a visitor's latest items (only the last k matter), if this snapshot knows it. */
  stateOf(items: readonly string[]): StateId | undefined {
    const k = this.space.order;
    const ids: number[] = [];
    for (const item of items.slice(Math.max(0, items.length - k))) {
      const id = this.space.items.lookup(item);
      if (id === undefined || id >= this.itemCount) return undefined;
      ids.push(id);
    }
    const state = this.space.lookup(ids);
    return state !== undefined && this.known(state) ? state : undefined;
  }

  /** Decayed (as of the newest event) weight of observed moves out of `state`. */
  support(state: StateId): number {
    return this.known(state) ? (this.rowWeight[state] as number) * this.decay : 0;
  }

  /** Where a journey in `state` goes next, most likely first (conversion and null included). */
  nextStates(state: StateId): NextState[] {
    if (!this.known(state) || (this.rowWeight[state] as number) === 0) return [];
    const out: NextState[] = [];
    for (
      let k = this.q.rowStart[state] as number;
      k < (this.q.rowStart[state + 1] as number);
      k++
    ) {
      const to = this.q.column[k] as number;
      out.push({
        state: to,
        label: this.space.label(to),
        probability: this.q.probability[k] as number,
      });
    }
    const stay = this.q.diagonal[state] as number;
    if (stay > 0) out.push({ state, label: this.space.label(state), probability: stay });
    const conversion = this.toConversion[state] as number;
    const drop = this.toNull[state] as number;
    if (conversion > 0)
      out.push({ state: CONVERSION, label: '(conversion)', probability: conversion });
    if (drop > 0) out.push({ state: NULL, label: '(null)', probability: drop });
    // Ties break by label, not id: ids differ between instances, answers should not.
    return out.sort((a, b) => b.probability - a.probability || compare(a.label, b.label));
  }

  label(state: StateId): string {
    return this.space.label(state);
  }

  /** Item names (channels, page types) in id order, as of this snapshot. */
  items(): string[] {
    return Array.from({ length: this.itemCount }, (_, id) => this.space.items.name(id));
  }

  /** Expected conversion value of a journey from start. */
  expectedValue(): number {
    return this.values()[START] as number;
  }

  /**
   * Removal effect of one item (a channel, a page type): every transition into a state containing
   * it (at order k, every tuple with it) goes to null instead, and the chain is re-solved exactly,
   * warm-started from the full solution (an upper bound). One solve per item (two with value):
   * on a big chain, callers on a timer can spread items over ticks. Undefined for unknown items.
   */
  removalEffect(item: string): ItemRemovalEffect | undefined {
    const id = this.space.items.lookup(item);
    if (id === undefined || id >= this.itemCount) return undefined;
    const values = this.values();
    const without = this.withoutConversion(id);
    const valueWithout = this.withoutValue(id);
    return {
      item,
      removalEffect: effect(this.x[START] as number, without),
      valueRemovalEffect: effect(values[START] as number, valueWithout),
      conversionProbabilityWithout: without,
    };
  }

  /** removalEffect() of every item, in item id order. */
  removalEffects(): ItemRemovalEffect[] {
    return this.items().map((item) => this.removalEffect(item) as ItemRemovalEffect);
  }

  /**
   * Items whose removal most lowers conversion, strongest first: for page flow, the pages a
   * converting journey can least do without. Conversion only (no value solves).
   */
  removalRanking(limit = Infinity): RemovalRank[] {
    const base = this.x[START] as number;
    return this.items()
      .map((item, id) => {
        const without = this.withoutConversion(id);
        return {
          item,
          removalEffect: effect(base, without),
          conversionProbabilityWithout: without,
        };
      })
      .sort((a, b) => b.removalEffect - a.removalEffect || compare(a.item, b.item))
      .slice(0, limit);
  }

  private withoutConversion(item: number): number {
    let known = this.cachedWithout[item] as number;
    if (Number.isNaN(known)) {
      known = this.solveBlocked(this.toConversion, this.x, item);
      this.cachedWithout[item] = known;
    }
    return known;
  }

  private withoutValue(item: number): number {
    let known = this.cachedValueWithout[item] as number;
    if (Number.isNaN(known)) {
      const values = this.values();
      known = (values[START] as number) > 0 ? this.solveBlocked(this.valueReward, values, item) : 0;
      this.cachedValueWithout[item] = known;
    }
    return known;
  }

  private values(): Float64Array {
    if (this.valueSolution !== undefined) return this.valueSolution;
    const y = new Float64Array(this.stateCount);
    gaussSeidel(
      this.q,
      this.valueReward,
      y,
      activeStates(this.qT, this.valueReward, undefined),
      this.settings,
    );
    this.valueSolution = y;
    return y;
  }

  private solveBlocked(reward: Float64Array, full: Float64Array, item: number): number {
    const blocked = new Uint8Array(this.stateCount);
    for (const s of this.space.statesContaining(item)) if (s < this.stateCount) blocked[s] = 1;
    const x = full.slice();
    gaussSeidel(this.q, reward, x, activeStates(this.qT, reward, blocked), this.settings);
    return x[START] as number;
  }

  private known(state: StateId): boolean {
    return Number.isInteger(state) && state >= 0 && state < this.stateCount;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function effect(base: number, without: number): number {
  if (!(base > 0)) return 0;
  // Removing states can only lower the probability; clamp float noise into [0, 1].
  return Math.min(1, Math.max(0, 1 - without / base));
}
