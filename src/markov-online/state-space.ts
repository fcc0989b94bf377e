import { Interner } from './interner.js';
import { nextTuple } from './path-states.js';

/** A Markov state: a dense integer id. 0, 1 and 2 are reserved (below). */
export type StateId = number;

export const START: StateId = 0;
export const CONVERSION: StateId = 1;
export const NULL: StateId = 2;
/** Id of the first transient state (a tuple of items). */
export const FIRST_TRANSIENT: StateId = 3;

const RESERVED_LABELS = ['(start)', '(conversion)', '(null)'] as const;

/**
 * States stay below 2^26 so that an edge (from, to) packs into one exact float64 key,
 * from * 2^26 + to < 2^52; 67M states is far beyond any page-type or channel chain.
 */
export const MAX_STATES = 2 ** 26;

const EMPTY: Int32Array = new Int32Array(0);

/**
 * The state space of one chain: item names (channels or page types) interned to item ids, and
 * tuples of at most `order` item ids interned to state ids. Everything is append-only, so state
 * ids are stable for the life of the chain and a snapshot can share this object.
 */
export class StateSpace {
  readonly order: number;
  readonly items = new Interner();
  private readonly byKey = new Map<string, StateId>([['', START]]);
  private readonly tuples: Int32Array[] = [EMPTY, EMPTY, EMPTY];
  /** item id -> the states whose tuple contains it (each state listed once). */
  private readonly containing: StateId[][] = [];
  /** (state, item) -> next state, so the per-event path builds no strings or arrays. */
  private readonly successors = new Map<number, StateId>();

  constructor(order: number) {
    this.order = order;
  }

  /** Number of states, reserved ones included. */
  get size(): number {
    return this.tuples.length;
  }

  tuple(state: StateId): Int32Array {
    const tuple = this.tuples[state];
    if (tuple === undefined) throw new RangeError(`unknown state ${state}`);
    return tuple;
  }

  /** The state of a tuple of item ids, creating it on first sight. */
  intern(tuple: readonly number[]): StateId {
    if (tuple.length === 0) return START;
    const key = tuple.join(',');
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.tuples.length;
    if (id >= MAX_STATES) throw new RangeError(`a chain holds at most ${MAX_STATES} states`);
    this.byKey.set(key, id);
    this.tuples.push(Int32Array.from(tuple));
    const seen = new Set<number>();
    for (const item of tuple) {
      if (seen.has(item)) continue;
      seen.add(item);
      let list = this.containing[item];
      if (list === undefined) {
        list = [];
        this.containing[item] = list;
      }
      list.push(id);
    }
    return id;
  }

  /** The state of a tuple of item ids if it exists. */
  lookup(tuple: readonly number[]): StateId | undefined {
    return tuple.length === 0 ? START : this.byKey.get(tuple.join(','));
  }

  /** The state after `state` when item `item` comes next (growing windows), cached. */
  successor(state: StateId, item: number): StateId {
    const key = state * MAX_STATES + item;
    const known = this.successors.get(key);
    if (known !== undefined) return known;
    const next = this.intern(nextTuple(this.tuple(state), item, this.order));
    this.successors.set(key, next);
    return next;
  }

  /** States whose tuple contains item `item` (ascending ids). */
  statesContaining(item: number): readonly StateId[] {
    return this.containing[item] ?? [];
  }

  /** Human-readable state name: items joined by ` > `, or `(start)`, `(conversion)`, `(null)`. */
  label(state: StateId): string {
    const reserved = RESERVED_LABELS[state];
    if (reserved !== undefined) return reserved;
    return Array.from(this.tuple(state), (item) => this.items.name(item)).join(' > ');
  }
}
