const NOT_SCHEDULED = -1;
/** prev[] of a list's first slot is -2 - list: a slot can leave its list in O(1). */
const FIRST = -2;

/**
 * Where each slot's next/prev links live (-1: not scheduled). The sessionizer keeps them in the
 * session records (session-store.ts), which a close reads anyway; `LinkColumn` is the
 * stand-alone form.
 */
export interface TimerLinks {
  timerNext(slot: number): number;
  timerPrev(slot: number): number;
  setTimerNext(slot: number, next: number): void;
  setTimerPrev(slot: number, prev: number): void;
}

/** Timer links side by side in a column of their own, grown with `resize`. */
export class LinkColumn implements TimerLinks {
  private links = new Int32Array(0);

  /** Grows the column to `slots` (new slots are not scheduled). */
  resize(slots: number): void {
    const links = new Int32Array(slots * 2).fill(NOT_SCHEDULED);
    links.set(this.links);
    this.links = links;
  }

  timerNext(slot: number): number {
    return this.links[slot * 2] ?? NOT_SCHEDULED;
  }

  timerPrev(slot: number): number {
    return this.links[slot * 2 + 1] ?? NOT_SCHEDULED;
  }

  setTimerNext(slot: number, next: number): void {
    this.links[slot * 2] = next;
  }

  setTimerPrev(slot: number, prev: number): void {
    this.links[slot * 2 + 1] = prev;
  }
}

/**
 * A hashed timer wheel over event time: one list per tick (tickMs of event time) in a ring of
 * `ticks` buckets, threaded through next/prev links (`TimerLinks`: 8 bytes a session, O(1) per
 * operation; a binary heap cost 16 bytes and log n cache misses per close). The watermark only
 * moves forward, so buckets are drained in order as it passes them.
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
  private readonly links: TimerLinks;
  /** Ring buckets 0..ticks-1, then the list of slots already overdue when scheduled. */
  private readonly heads: Int32Array;
  private readonly ticks: number;
  private readonly overdue: number;
  /** First tick not drained yet: floor(watermark / tickMs) after every drain. */
  private cursor = Number.NEGATIVE_INFINITY;

  /** `links`: where the slots' links live (default: a LinkColumn, sized with `resize`). */
  constructor(tickMs = 1000, ticks = 4096, links: TimerLinks = new LinkColumn()) {
    this.tickMs = tickMs;
    this.links = links;
    this.ticks = ticks;
    this.overdue = ticks;
    this.heads = new Int32Array(ticks + 1).fill(NOT_SCHEDULED);
  }

  /** Grows the links' column to `slots`, when they are in a LinkColumn. */
  resize(slots: number): void {
    if (this.links instanceof LinkColumn) this.links.resize(slots);
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
    if (links.timerPrev(slot) !== NOT_SCHEDULED) this.unschedule(slot);
    const tick = this.tickOf(due);
    let list: number;
    // Before the first watermark there is no ring position yet: all wait on the overdue list.
    if (this.cursor === Number.NEGATIVE_INFINITY || !(tick >= this.cursor)) list = this.overdue;
    else if (tick - this.cursor >= this.ticks) list = (this.cursor + this.ticks - 1) % this.ticks;
    else list = tick % this.ticks;
    const first = this.heads[list] ?? NOT_SCHEDULED;
    links.setTimerNext(slot, first);
    links.setTimerPrev(slot, FIRST - list);
    if (first !== NOT_SCHEDULED) links.setTimerPrev(first, slot);
    this.heads[list] = slot;
  }

  unschedule(slot: number): void {
    const links = this.links;
    const p = links.timerPrev(slot);
    if (p === NOT_SCHEDULED) return;
    const n = links.timerNext(slot);
    if (p >= 0) links.setTimerNext(p, n);
    else this.heads[FIRST - p] = n;
    if (n !== NOT_SCHEDULED) links.setTimerPrev(n, p);
    links.setTimerPrev(slot, NOT_SCHEDULED);
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
      const next = links.timerNext(slot);
      links.setTimerPrev(slot, NOT_SCHEDULED);
      out.push(slot);
      slot = next;
    }
    this.heads[list] = NOT_SCHEDULED;
  }
}
