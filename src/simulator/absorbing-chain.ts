import { solveLinear } from './linear-solve.js';

/**
 * A finite absorbing Markov chain in canonical form, solved exactly. This is the arithmetic of
 * the simulator's ground truth: absorption (conversion) probabilities, expected visits, removal
 * effects (Anderl et al. 2016), and the first-order chain a counting Markov model converges to
 * when the data is a mixture of chains.
 */
export interface AbsorbingChain {
  readonly transient: readonly string[];
  readonly absorbing: readonly string[];
  /**
   * One row per transient state over transient then absorbing columns (length T + A). Rows
   * sum to 1, or are all 0 for a state no path enters (it then absorbs nowhere).
   */
  readonly rows: readonly Float64Array[];
}

/** Start distribution over transient states plus the chain, as a counting model sees it. */
export interface ChainWithStart {
  readonly chain: AbsorbingChain;
  readonly start: Float64Array;
}

function sizeOf(chain: AbsorbingChain): { t: number; a: number } {
  return { t: chain.transient.length, a: chain.absorbing.length };
}

function row(chain: AbsorbingChain, i: number): Float64Array {
  const r = chain.rows[i];
  if (r === undefined) throw new RangeError(`no row ${i}`);
  return r;
}

/** I - Q, optionally transposed. */
function fundamentalSystem(chain: AbsorbingChain, transpose: boolean): Float64Array[] {
  const { t } = sizeOf(chain);
  const out = Array.from({ length: t }, () => new Float64Array(t));
  for (let i = 0; i < t; i++) {
    const r = row(chain, i);
    for (let j = 0; j < t; j++) {
      const value = (i === j ? 1 : 0) - (r[j] ?? 0);
      const target = transpose ? out[j] : out[i];
      if (target !== undefined) target[transpose ? i : j] = value;
    }
  }
  return out;
}

/** B = (I - Q)^-1 R: probability of ending in each absorbing state, from each transient state. */
export function absorptionMatrix(chain: AbsorbingChain): Float64Array[] {
  const { t, a } = sizeOf(chain);
  if (t === 0) return [];
  const r = chain.rows.map((full) => full.slice(t, t + a));
  return solveLinear(fundamentalSystem(chain, false), r);
}

/** Probability of ending in absorbing state `target` from each transient state. */
export function absorptionProbabilities(chain: AbsorbingChain, target: number): Float64Array {
  return Float64Array.from(absorptionMatrix(chain), (r) => r[target] ?? 0);
}

/** Expected number of visits to each transient state, starting from `start`: start (I - Q)^-1. */
export function expectedVisits(chain: AbsorbingChain, start: ArrayLike<number>): Float64Array {
  const { t } = sizeOf(chain);
  if (t === 0) return new Float64Array(0);
  const rhs = Array.from({ length: t }, (_, i) => [start[i] ?? 0]);
  return Float64Array.from(solveLinear(fundamentalSystem(chain, true), rhs), (r) => r[0] ?? 0);
}

/** Probability that a path drawn from `start` ends in absorbing state `target`. */
export function absorptionFromStart(
  chain: AbsorbingChain,
  start: ArrayLike<number>,
  target: number,
): number {
  const h = absorptionProbabilities(chain, target);
  let sum = 0;
  for (let i = 0; i < h.length; i++) sum += (start[i] ?? 0) * (h[i] ?? 0);
  return sum;
}

/**
 * The chain with transient state `removed` taken out the way Anderl et al. define it: every
 * transition into it (and any start mass on it) goes to absorbing state `sink` instead.
 */
export function withStateRemoved(
  model: ChainWithStart,
  removed: number,
  sink: number,
): ChainWithStart {
  const { t } = sizeOf(model.chain);
  const rows = model.chain.rows.map((r) => {
    const copy = Float64Array.from(r);
    copy[t + sink] = (copy[t + sink] ?? 0) + (copy[removed] ?? 0);
    copy[removed] = 0;
    return copy;
  });
  const start = Float64Array.from(model.start);
  start[removed] = 0;
  return { chain: { ...model.chain, rows }, start };
}

/**
 * Removal effect of each transient state: 1 - P(convert | state removed) / P(convert), with
 * removal as in `withStateRemoved` (Anderl et al. 2016; ChannelAttribution's markov_model).
 */
export function removalEffects(model: ChainWithStart, convert: number, sink: number): Float64Array {
  const base = absorptionFromStart(model.chain, model.start, convert);
  const { t } = sizeOf(model.chain);
  const out = new Float64Array(t);
  if (base <= 0) return out;
  for (let i = 0; i < t; i++) {
    const removed = withStateRemoved(model, i, sink);
    out[i] = 1 - absorptionFromStart(removed.chain, removed.start, convert) / base;
  }
  return out;
}

export interface WeightedChain extends ChainWithStart {
  /** How many paths (sessions, journeys) this component contributes; any non-negative scale. */
  readonly weight: number;
}

/**
 * The first-order chain that transition counting converges to when paths come from a mixture
 * of chains over the same states: each transition i -> x is weighted by its expected count,
 * weight_k * visits_k(i) * P_k(i, x), and rows are renormalised.
 *
 * With `conditionOn` set to an absorbing state, only paths that end there are counted (each
 * transition i -> x then also carries the probability of ending in that state from x): the
 * chain a model trained on, say, converting paths only would learn.
 */
export function aggregateChains(
  components: readonly WeightedChain[],
  conditionOn?: number,
): ChainWithStart {
  const first = components[0];
  if (first === undefined) throw new RangeError('aggregateChains: no components');
  const { t, a } = sizeOf(first.chain);
  const counts = Array.from({ length: t }, () => new Float64Array(t + a));
  const start = new Float64Array(t);
  for (const component of components) {
    if (component.weight <= 0) continue;
    const visits = expectedVisits(component.chain, component.start);
    const h =
      conditionOn === undefined ? undefined : absorptionProbabilities(component.chain, conditionOn);
    const reach = (column: number): number => {
      if (h === undefined) return 1;
      if (column < t) return h[column] ?? 0;
      return column - t === conditionOn ? 1 : 0;
    };
    for (let i = 0; i < t; i++) {
      start[i] = (start[i] ?? 0) + component.weight * (component.start[i] ?? 0) * reach(i);
      const from = row(component.chain, i);
      const target = counts[i];
      if (target === undefined) continue;
      const flow = component.weight * (visits[i] ?? 0);
      if (flow === 0) continue;
      for (let x = 0; x < t + a; x++) {
        target[x] = (target[x] ?? 0) + flow * (from[x] ?? 0) * reach(x);
      }
    }
  }
  const rows = counts.map((r) => normalised(r));
  return {
    chain: { transient: first.chain.transient, absorbing: first.chain.absorbing, rows },
    start: normalised(start),
  };
}

function normalised(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v;
  return sum > 0 ? values.map((v) => v / sum) : values;
}
