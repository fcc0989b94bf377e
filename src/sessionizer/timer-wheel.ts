const NOT_SCHEDULED = -1;

/**
 * Where each slot's mark lives: the list it is scheduled on, or -1. The sessionizer keeps it in
 * the session records (session-store.ts), which a close reads anyway; `MarkColumn` is the
 * stand-alone form.
 */
export interface TimerMarks {
  timerList(slot: number): number;
  setTimerList(slot: number, list: number): void;
}

/** Timer marks side by side in a column of their own, grown with `resize`. */
export class MarkColumn implements TimerMarks {
  private marks = new Int32Array(0);

  /** Grows the column to `slots` (new slots are not scheduled). */
  resize(slots: number): void {
    const marks = new Int32Array(slots).fill(NOT_SCHEDULED);
    marks.set(this.marks);
    this.marks = marks;
  }

  timerList(slot: number): number {
    return this.marks[slot] ?? NOT_SCHEDULED;
  }

  setTimerList(slot: number, list: number): void {
    this.marks[slot] = list;
  }
}

/**
 * A growable list of slots in one Int32Array. Emptied, it keeps its room for the bucket's next
 * turn (about as full), unless it held under a quarter of it (a burst is over).
 */
class SlotList {
  items = new Int32Array(4);
  length = 0;

  clear(): void {
    if (this.items.length > 64 && this.length * 4 < this.items.length) {
      this.items = new Int32Array(Math.max(4, this.length * 2));
    }
    this.length = 0;
  }

  push(slot: number): void {
    if (this.length === this.items.length) {
      const items = new Int32Array(this.length * 2);
      items.set(this.items);
      this.items = items;
    }
    this.items[this.length++] = slot;
  }
}

/**
 * A hashed timer wheel over event time: a list of slots per tick (tickMs of event time) in a
 * ring of `ticks` buckets. The watermark only moves forward, so buckets are drained in order as
 * it passes them.
 *
 * A bucket is an array of slots, and each slot is marked with the one list it is on
 * (`TimerMarks`). Moving or unscheduling a slot only changes its mark; its old entry stays where
 * it was and is skipped when that bucket is drained (its mark names another list, or none).
 * NOTE: arrays, not lists linked through the session records. Draining a linked list chases one
 * pointer per slot, each a likely cache miss at a million open sessions, and none can start
 * before the last is loaded; unlinking touched both neighbours' records. An array is read in
 * order, and the marks it checks are loads that do not wait on each other. Measured with the
 * numeric sort of close-due.ts, at 1M open sessions in the steady state (bench/sessionizer.ts,
 * 7 runs each way, one process per run): median 251k -> 267k events per CPU-second (+6%).
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
  private readonly marks: TimerMarks;
  /** Ring buckets 0..ticks-1, then the list of slots already overdue when scheduled. */
  private readonly lists: SlotList[];
  private readonly ticks: number;
  private readonly overdue: number;
  /** First tick not drained yet: floor(watermark / tickMs) after every drain. */
  private cursor = Number.NEGATIVE_INFINITY;

  /** `marks`: where the slots' marks live (default: a MarkColumn, sized with `resize`). */
  constructor(tickMs = 1000, ticks = 4096, marks: TimerMarks = new MarkColumn()) {
    this.tickMs = tickMs;
    this.marks = marks;
    this.ticks = ticks;
    this.overdue = ticks;
    this.lists = Array.from({ length: ticks + 1 }, () => new SlotList());
  }

  /** Grows the marks' column to `slots`, when they are in a MarkColumn. */
  resize(slots: number): void {
    if (this.marks instanceof MarkColumn) this.marks.resize(slots);
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
    const tick = this.tickOf(due);
    let list: number;
    // Before the first watermark there is no ring position yet: all wait on the overdue list.
    if (this.cursor === Number.NEGATIVE_INFINITY || !(tick >= this.cursor)) list = this.overdue;
    else if (tick - this.cursor >= this.ticks) list = (this.cursor + this.ticks - 1) % this.ticks;
    else list = tick % this.ticks;
    // Already there: a second entry would only be skipped.
    if (this.marks.timerList(slot) === list) return;
    this.marks.setTimerList(slot, list);
    (this.lists[list] as SlotList).push(slot);
  }

  unschedule(slot: number): void {
    this.marks.setTimerList(slot, NOT_SCHEDULED);
  }

  /** Whether a drain under `watermark` would find anything to look at. */
  pending(watermark: number): boolean {
    return (
      (this.lists[this.overdue] as SlotList).length !== 0 || this.tickOf(watermark) > this.cursor
    );
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

  /** Entries in the buckets (moved and unscheduled slots' old entries included), for tests. */
  get entries(): number {
    let n = 0;
    for (const list of this.lists) n += list.length;
    return n;
  }

  /** Slots the buckets have room for, for tests. */
  get room(): number {
    let n = 0;
    for (const list of this.lists) n += list.items.length;
    return n;
  }

  /**
   * Empties a bucket into `out`, skipping entries whose slot was moved or unscheduled since. A
   * slot on the list is unmarked as it is taken, so a second entry of it (it left the list and
   * came back) is skipped too: each slot comes out once.
   */
  private take(list: number, out: number[]): void {
    const marks = this.marks;
    const slots = this.lists[list] as SlotList;
    const { items, length } = slots;
    for (let i = 0; i < length; i++) {
      const slot = items[i] ?? NOT_SCHEDULED;
      if (marks.timerList(slot) !== list) continue;
      marks.setTimerList(slot, NOT_SCHEDULED);
      out.push(slot);
    }
    slots.clear();
  }
}
