import { fail, ok, type Result } from '../core/index.js';
import { EdgeStore, type EdgeArrays } from './edge-store.js';
import { REBASE_HALF_LIVES, forwardWeight, rebaseFactor } from './forward-decay.js';
import { deltaProblem, type MarkovDelta } from './markov-delta.js';
import { MarkovSnapshot } from './markov-snapshot.js';
import {
  resolveMarkovChainConfig,
  type MarkovChainConfig,
  type MarkovChainOptions,
} from './markov-chain-config.js';
import { lastTuple, pathToTuples } from './path-states.js';
import type { SolverSettings } from './absorption-solver.js';
import {
  CONVERSION,
  FIRST_TRANSIENT,
  MAX_STATES,
  NULL,
  START,
  StateSpace,
  type StateId,
} from './state-space.js';

export interface PathCounts {
  /** Journeys with this path that converted. */
  readonly conversions: number;
  /** Journeys with this path that did not. Default 0. */
  readonly nulls?: number;
  /** Total conversion value of the converting journeys. Default 0. */
  readonly value?: number;
  /** Event time of the counts (decayed chains); default: the chain's reference time. */
  readonly time?: number;
}

export type MergeErrorCode = 'delta_incompatible' | 'delta_invalid';

export const DEFAULT_SOLVER_SETTINGS: SolverSettings = { tolerance: 1e-9, maxIterations: 10_000 };

/**
 * An online Markov chain over integer state ids: counts of transitions between states (tuples of
 * the last k items), from a start state to the absorbing states conversion and null, optionally
 * decaying by event time. Counting is O(1) per event; `solve()` (run on a timer by the caller,
 * never per event) turns the counts into an immutable MarkovSnapshot to query.
 *
 * A live visitor is just a StateId: begin at START, `step()` on each item, `convert()` or
 * `drop()` when the journey ends.
 */
export class MarkovChain {
  readonly config: MarkovChainConfig;
  private readonly space: StateSpace;
  private readonly edges = new EdgeStore();
  private referenceTime: number | null = null;
  private latest: number | null = null;
  private warmStart: Float64Array = new Float64Array(0);

  constructor(options: MarkovChainOptions = {}) {
    this.config = resolveMarkovChainConfig(options);
    this.space = new StateSpace(this.config.order);
  }

  get stateCount(): number {
    return this.space.size;
  }

  get edgeCount(): number {
    return this.edges.size;
  }

  /** Newest event time seen (null before any, or when times were never given). */
  get latestTime(): number | null {
    return this.latest;
  }

  /**
   * Counts the move from `from` to the state after item `item` and returns that state. With
   * collapseRepeats a move to the same state counts nothing and returns `from`.
   */
  step(from: StateId, item: string, time: number, weight = 1): StateId {
    this.checkState(from);
    const to = this.space.successor(from, this.internItem(item));
    if (to === from && this.config.collapseRepeats) return from;
    this.count(from, to, time, weight, 0);
    return to;
  }

  /** The journey in `from` converted (with its value). */
  convert(from: StateId, time: number, weight = 1, value = 0): void {
    this.checkState(from);
    this.count(from, CONVERSION, time, weight, value);
  }

  /** The journey in `from` ended without converting. */
  drop(from: StateId, time: number, weight = 1): void {
    this.checkState(from);
    this.count(from, NULL, time, weight, 0);
  }

  /**
   * Counts whole journeys sharing one path, as ChannelAttribution does: every transition along
   * the path weighs conversions + nulls; the last state goes to conversion (weight conversions,
   * carrying the value) and to null (weight nulls).
   */
  addPath(items: readonly string[], counts: PathCounts): void {
    const conversions = counts.conversions;
    const nulls = counts.nulls ?? 0;
    const value = counts.value ?? 0;
    checkWeight(conversions, 'conversions');
    checkWeight(nulls, 'nulls');
    checkWeight(value, 'value');
    const time = counts.time ?? this.referenceTime ?? 0;
    const ids = items.map((item) => this.internItem(item));
    const { order, collapseRepeats } = this.config;
    let from = START;
    for (const tuple of pathToTuples(ids, order, collapseRepeats)) {
      const to = this.space.intern(tuple);
      this.count(from, to, time, conversions + nulls, 0);
      from = to;
    }
    // Value rides on conversions: a row with value but no conversions has no way to carry it.
    if (conversions > 0) this.count(from, CONVERSION, time, conversions, value);
    if (nulls > 0) this.count(from, NULL, time, nulls, 0);
  }

  /** The state of a visitor whose latest items are `items` (only the last k matter), if known. */
  stateOf(items: readonly string[]): StateId | undefined {
    const ids: number[] = [];
    for (const item of items.slice(Math.max(0, items.length - this.config.order))) {
      const id = this.space.items.lookup(item);
      if (id === undefined) return undefined;
      ids.push(id);
    }
    return this.space.lookup(lastTuple(ids, this.config.order));
  }

  /** `(start)`, `(conversion)`, `(null)` or the state's items joined by ` > `. */
  label(state: StateId): string {
    return this.space.label(state);
  }

  /**
   * Absorption probabilities for every state, by Gauss-Seidel warm-started from the previous
   * solve. O(edges) to build plus O(edges) a sweep; call it on a timer, not per event.
   */
  solve(settings: Partial<SolverSettings> = {}): MarkovSnapshot {
    const resolved = { ...DEFAULT_SOLVER_SETTINGS, ...settings };
    const snapshot = MarkovSnapshot.build({
      space: this.space,
      stateCount: this.space.size,
      itemCount: this.space.items.size,
      edges: this.edges.all(),
      settings: resolved,
      warmStart: this.warmStart,
      decay:
        this.config.halfLifeMs === null || this.referenceTime === null || this.latest === null
          ? 1
          : rebaseFactor(this.config.halfLifeMs, this.referenceTime, this.latest),
    });
    this.warmStart = snapshot.probabilities;
    return snapshot;
  }

  /** The counts added by this instance since the last exportDelta(), and forgets them. */
  exportDelta(): MarkovDelta {
    return this.toDelta(this.edges.drainPending());
  }

  /** All counts (a full model, e.g. for a snapshot topic); does not touch the pending delta. */
  exportCounts(): MarkovDelta {
    return this.toDelta(this.edges.all());
  }

  /** Adds another instance's delta. Merged counts are not re-exported by exportDelta(). */
  mergeDelta(delta: MarkovDelta): Result<void, MergeErrorCode> {
    const { order, collapseRepeats, halfLifeMs } = this.config;
    if (
      delta.order !== order ||
      delta.collapseRepeats !== collapseRepeats ||
      delta.halfLifeMs !== halfLifeMs
    ) {
      return fail('delta_incompatible', 'delta was made by a chain with other settings', {
        expected: this.config,
        got: {
          order: delta.order,
          collapseRepeats: delta.collapseRepeats,
          halfLifeMs: delta.halfLifeMs,
        },
      });
    }
    const problem = deltaProblem(delta);
    if (problem !== undefined) return fail('delta_invalid', `invalid Markov delta: ${problem}`);
    let factor = 1;
    if (halfLifeMs !== null && delta.referenceTime !== null) {
      if (this.referenceTime === null) this.referenceTime = delta.referenceTime;
      if (delta.referenceTime - this.referenceTime > REBASE_HALF_LIVES * halfLifeMs) {
        this.rebase(delta.referenceTime);
      }
      factor = 2 ** ((delta.referenceTime - this.referenceTime) / halfLifeMs);
    }
    const items = delta.items.map((name) => this.internItem(name));
    const states = [START, CONVERSION, NULL];
    for (const tuple of delta.states) {
      states.push(this.space.intern(tuple.map((index) => items[index] as number)));
    }
    const { from, to, weight, value } = delta.edges;
    for (let i = 0; i < from.length; i++) {
      const w = (weight[i] as number) * factor;
      const v = (value[i] as number) * factor;
      this.edges.add(
        states[from[i] as number] as number,
        states[to[i] as number] as number,
        w,
        v,
        false,
      );
    }
    if (delta.latestTime !== null && (this.latest === null || delta.latestTime > this.latest)) {
      this.latest = delta.latestTime;
    }
    return ok(undefined);
  }

  private count(from: StateId, to: StateId, time: number, weight: number, value: number): void {
    checkWeight(weight, 'weight');
    if (!Number.isFinite(time)) throw new RangeError(`event time must be finite, got ${time}`);
    if (this.latest === null || time > this.latest) this.latest = time;
    const halfLifeMs = this.config.halfLifeMs;
    let factor = 1;
    if (halfLifeMs !== null) {
      this.referenceTime ??= time;
      if (time - this.referenceTime > REBASE_HALF_LIVES * halfLifeMs) this.rebase(time);
      factor = forwardWeight(halfLifeMs, this.referenceTime, time, 1);
    }
    const w = weight * factor;
    const v = value * factor;
    // Underflow of a very old event: nothing left to count.
    if (w === 0 && v === 0) return;
    this.edges.add(from, to, w, v, true);
  }

  private rebase(to: number): void {
    if (this.config.halfLifeMs === null || this.referenceTime === null) return;
    this.edges.scale(rebaseFactor(this.config.halfLifeMs, this.referenceTime, to));
    this.referenceTime = to;
  }

  private internItem(name: string): number {
    const id = this.space.items.intern(name);
    if (id >= MAX_STATES) throw new RangeError(`a chain holds at most ${MAX_STATES} items`);
    return id;
  }

  private checkState(state: StateId): void {
    if (!Number.isInteger(state) || state < 0 || state >= this.space.size) {
      throw new RangeError(`unknown state ${state}`);
    }
    if (state === CONVERSION || state === NULL) {
      throw new RangeError('a journey cannot leave an absorbing state');
    }
  }

  private toDelta(edges: EdgeArrays): MarkovDelta {
    // Renumber densely: only the states and items these edges touch travel.
    const stateIndex = new Map<number, number>([
      [START, START],
      [CONVERSION, CONVERSION],
      [NULL, NULL],
    ]);
    const itemIndex = new Map<number, number>();
    const items: string[] = [];
    const states: number[][] = [];
    const local = (state: number): number => {
      const known = stateIndex.get(state);
      if (known !== undefined) return known;
      const tuple = Array.from(this.space.tuple(state), (item) => {
        let index = itemIndex.get(item);
        if (index === undefined) {
          index = items.length;
          itemIndex.set(item, index);
          items.push(this.space.items.name(item));
        }
        return index;
      });
      const id = FIRST_TRANSIENT + states.length;
      states.push(tuple);
      stateIndex.set(state, id);
      return id;
    };
    const from = edges.from.map((s) => local(s));
    const to = edges.to.map((s) => local(s));
    return {
      ...this.config,
      referenceTime: this.referenceTime,
      latestTime: this.latest,
      items,
      states,
      edges: { from, to, weight: edges.weight, value: edges.value },
    };
  }
}

function checkWeight(weight: number, what: string): void {
  if (!(weight >= 0 && Number.isFinite(weight))) {
    throw new RangeError(`${what} must be a finite number >= 0, got ${weight}`);
  }
}
