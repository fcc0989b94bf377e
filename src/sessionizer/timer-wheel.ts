const NOT_SCHEDULED = -1;
/** prev[] of a list's first slot is -2 - list: a slot can leave its list in O(1). */
const FIRST = -2;

/**
 * A hashed timer wheel over event time: one list per tick (tickMs of event time) in a ring of
 * `ticks` buckets, threaded through two Int32 columns (8 bytes a session, O(1) per operation;
 * a binary heap cost 16 bytes and log n cache misses per close). The watermark only moves
 * forward, so buckets are drained in order as it passes them.
 *
 * Contract with the caller (sessionizer-state.ts): a slot sits in the bucket of a time <= its
 * true due time. Later due times (a session extended by an event) are left alone and corrected
 * when the bucket is drained; earlier ones must be moved (`schedule` again). A slot is due once
 * the watermark has passed the whole tick of its due time: closes are at most one tick late,
 * and whether a slot is due never depends on where it sat, so a restored wheel agrees with the
 * original.
 */
export class TimerWheel {
  readonly tickMs: number;
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  /** Ring buckets 0..ticks-1, then the list of slots already overdue when scheduled. */
  private readonly heads: Int32Array;
  private readonly ticks: number;
  private readonly overdue: number;
  /** First tick not drained yet: floor(watermark / tickMs) after every drain. */
  private cursor = Number.NEGATIVE_INFINITY;

  constructor(tickMs = 1000, ticks = 4096) {
    this.tickMs = tickMs;
    this.ticks = ticks;
    this.overdue = ticks;
    this.heads = new Int32Array(ticks + 1).fill(NOT_SCHEDULED);
  }

  resize(slots: number): void {
    const next = new Int32Array(slots);
    next.set(this.next);
    this.next = next;
    const prev = new Int32Array(slots).fill(NOT_SCHEDULED);
    prev.set(this.prev);
    this.prev = prev;
  }

  /** The tick of an event time. */
  tickOf(time: number): number {
    return Math.floor(time / this.tickMs);
  }

  /** Whether a slot due at `due` is due under `watermark` (its tick fully passed). */
  isDue(due: number, watermark: number): boolean {
    return this.tickOf(due) < this.tickOf(watermark);
  }

  /** Puts `slot` (moving it if it is scheduled) in the bucket of `due`. */
  schedule(slot: number, due: number): void {
    if (this.prev[slot] !== NOT_SCHEDULED) this.unschedule(slot);
    const tick = this.tickOf(due);
    let list: number;
    // Before the first watermark there is no ring position yet: all wait on the overdue list.
    if (this.cursor === Number.NEGATIVE_INFINITY || !(tick >= this.cursor)) list = this.overdue;
    else if (tick - this.cursor >= this.ticks) list = (this.cursor + this.ticks - 1) % this.ticks;
    else list = tick % this.ticks;
    const first = this.heads[list] ?? NOT_SCHEDULED;
    this.next[slot] = first;
    this.prev[slot] = FIRST - list;
    if (first !== NOT_SCHEDULED) this.prev[first] = slot;
    this.heads[list] = slot;
  }

  unschedule(slot: number): void {
    const p = this.prev[slot] ?? NOT_SCHEDULED;
    if (p === NOT_SCHEDULED) return;
    const n = this.next[slot] ?? NOT_SCHEDULED;
    if (p >= 0) this.next[p] = n;
    else this.heads[FIRST - p] = n;
    if (n !== NOT_SCHEDULED) this.prev[n] = p;
    this.prev[slot] = NOT_SCHEDULED;
  }

  /** Whether a drain under `watermark` would find anything to look at. */
  pending(watermark: number): boolean {
    return this.heads[this.overdue] !== NOT_SCHEDULED || this.tickOf(watermark) > this.cursor;
  }

  /**
   * Takes out every slot in the buckets the watermark has now passed, and the overdue ones,
   * into `out` (unscheduled). The caller acts on those that are due and schedules the rest.
   */
  drain(watermark: number, out: number[]): void {
    const target = this.tickOf(watermark);
    this.take(this.overdue, out);
    if (target === Number.NEGATIVE_INFINITY) return;
    if (this.cursor === Number.NEGATIVE_INFINITY) {
      // The first watermark: nothing was in a bucket yet (all were overdue-listed).
      this.cursor = target;
      return;
    }
    if (target - this.cursor >= this.ticks) {
      for (let list = 0; list < this.ticks; list++) this.take(list, out);
    } else {
      for (let tick = this.cursor; tick < target; tick++) this.take(tick % this.ticks, out);
    }
    if (target > this.cursor) this.cursor = target;
  }

  private take(list: number, out: number[]): void {
    let slot = this.heads[list] ?? NOT_SCHEDULED;
    while (slot !== NOT_SCHEDULED) {
      const next = this.next[slot] ?? NOT_SCHEDULED;
      this.prev[slot] = NOT_SCHEDULED;
      out.push(slot);
      slot = next;
    }
    this.heads[list] = NOT_SCHEDULED;
  }
}
