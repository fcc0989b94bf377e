import { MAX_STATES } from './state-space.js';

/** Edges as parallel arrays, the shape deltas travel in and snapshots are built from. */
export interface EdgeArrays {
  readonly from: Uint32Array;
  readonly to: Uint32Array;
  readonly weight: Float64Array;
  /** Conversion value carried by the edge; only edges into the conversion state have any. */
  readonly value: Float64Array;
}

/**
 * Transition counts: one slot per distinct (from, to) edge in growable typed arrays, found through
 * a numeric-key map. Beside the totals it keeps what was added since the last drain (the pending
 * delta), so a process can ship only its new counts to the trainer.
 */
export class EdgeStore {
  private capacity = 0;
  private length = 0;
  private from = new Uint32Array(0);
  private to = new Uint32Array(0);
  private weight = new Float64Array(0);
  private value = new Float64Array(0);
  private pendingWeight = new Float64Array(0);
  private pendingValue = new Float64Array(0);
  /** Slots with a pending delta, each once; `isPending` dedupes. */
  private pendingSlots: number[] = [];
  private isPending = new Uint8Array(0);
  private readonly index = new Map<number, number>();

  constructor(initialCapacity = 64) {
    this.grow(Math.max(1, initialCapacity));
  }

  /** Number of distinct edges. */
  get size(): number {
    return this.length;
  }

  /**
   * Adds `weight` (and `value`) to edge (from, to). `track` = false for counts that came from
   * elsewhere (a merged delta): shipping them again would count them twice downstream.
   */
  add(from: number, to: number, weight: number, value: number, track: boolean): void {
    const key = from * MAX_STATES + to;
    let slot = this.index.get(key);
    if (slot === undefined) {
      if (this.length === this.capacity) this.grow(this.capacity * 2);
      slot = this.length++;
      this.index.set(key, slot);
      this.from[slot] = from;
      this.to[slot] = to;
    }
    this.weight[slot] = (this.weight[slot] ?? 0) + weight;
    this.value[slot] = (this.value[slot] ?? 0) + value;
    if (!track) return;
    this.pendingWeight[slot] = (this.pendingWeight[slot] ?? 0) + weight;
    this.pendingValue[slot] = (this.pendingValue[slot] ?? 0) + value;
    if (this.isPending[slot] === 0) {
      this.isPending[slot] = 1;
      this.pendingSlots.push(slot);
    }
  }

  /** Multiplies every count, totals and pending alike (a forward-decay rebase). */
  scale(factor: number): void {
    for (let i = 0; i < this.length; i++) {
      this.weight[i] = (this.weight[i] ?? 0) * factor;
      this.value[i] = (this.value[i] ?? 0) * factor;
      this.pendingWeight[i] = (this.pendingWeight[i] ?? 0) * factor;
      this.pendingValue[i] = (this.pendingValue[i] ?? 0) * factor;
    }
  }

  /** A copy of all edges (views over the live arrays would change under the caller). */
  all(): EdgeArrays {
    return {
      from: this.from.slice(0, this.length),
      to: this.to.slice(0, this.length),
      weight: this.weight.slice(0, this.length),
      value: this.value.slice(0, this.length),
    };
  }

  /** The counts added (with `track`) since the last drain, and forgets them. */
  drainPending(): EdgeArrays {
    const n = this.pendingSlots.length;
    const out = {
      from: new Uint32Array(n),
      to: new Uint32Array(n),
      weight: new Float64Array(n),
      value: new Float64Array(n),
    };
    this.pendingSlots.forEach((slot, i) => {
      out.from[i] = this.from[slot] ?? 0;
      out.to[i] = this.to[slot] ?? 0;
      out.weight[i] = this.pendingWeight[slot] ?? 0;
      out.value[i] = this.pendingValue[slot] ?? 0;
      this.pendingWeight[slot] = 0;
      this.pendingValue[slot] = 0;
      this.isPending[slot] = 0;
    });
    this.pendingSlots = [];
    return out;
  }

  private grow(capacity: number): void {
    const copy = <T extends Uint32Array | Float64Array | Uint8Array>(
      old: T,
      make: (n: number) => T,
    ): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.from = copy(this.from, (n) => new Uint32Array(n));
    this.to = copy(this.to, (n) => new Uint32Array(n));
    this.weight = copy(this.weight, (n) => new Float64Array(n));
    this.value = copy(this.value, (n) => new Float64Array(n));
    this.pendingWeight = copy(this.pendingWeight, (n) => new Float64Array(n));
    this.pendingValue = copy(this.pendingValue, (n) => new Float64Array(n));
    this.isPending = copy(this.isPending, (n) => new Uint8Array(n));
    this.capacity = capacity;
  }
}
