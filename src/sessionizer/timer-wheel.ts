const NOT_SCHEDULED = -1;
/** prev[] of a list's first slot is -2 - list: a slot can leave its list in O(1). */
const FIRST = -2;

/**
 * A hashed timer wheel over event time: one list per tick (tickMs of event time) in a ring of
 * `ticks` buckets, threaded through next/prev links side by side in one Int32Array (8 bytes a
 * session, one cache line, O(1) per operation; a binary heap cost 16 bytes and log n cache
 * misses per close). The watermark only moves
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
  /** links[2 * slot] is the slot's next in its list, links[2 * slot + 1] its prev. */
  private links = new Int32Array(0);
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
    const links = new Int32Array(slots * 2).fill(NOT_SCHEDULED);
    links.set(this.links);
    this.links = links;
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
    const links = this.links;
    if (links[slot * 2 + 1] !== NOT_SCHEDULED) this.unschedule(slot);
    const tick = this.tickOf(due);
    let list: number;
    // Before the first watermark there is no ring position yet: all wait on the overdue list.
    if (this.cursor === Number.NEGATIVE_INFINITY || !(tick >= this.cursor)) list = this.overdue;
    else if (tick - this.cursor >= this.ticks) list = (this.cursor + this.ticks - 1) % this.ticks;
    else list = tick % this.ticks;
    const first = this.heads[list] ?? NOT_SCHEDULED;
    links[slot * 2] = first;
    links[slot * 2 + 1] = FIRST - list;
    if (first !== NOT_SCHEDULED) links[first * 2 + 1] = slot;
    this.heads[list] = slot;
  }

  unschedule(slot: number): void {
    const links = this.links;
    const p = links[slot * 2 + 1] ?? NOT_SCHEDULED;
    if (p === NOT_SCHEDULED) return;
    const n = links[slot * 2] ?? NOT_SCHEDULED;
    if (p >= 0) links[p * 2] = n;
    else this.heads[FIRST - p] = n;
    if (n !== NOT_SCHEDULED) links[n * 2 + 1] = p;
    links[slot * 2 + 1] = NOT_SCHEDULED;
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
    const links = this.links;
    let slot = this.heads[list] ?? NOT_SCHEDULED;
    while (slot !== NOT_SCHEDULED) {
      const next = links[slot * 2] ?? NOT_SCHEDULED;
      links[slot * 2 + 1] = NOT_SCHEDULED;
      out.push(slot);
      slot = next;
    }
    this.heads[list] = NOT_SCHEDULED;
  }
}
