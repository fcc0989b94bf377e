/**
 * Each session's remembered events, sorted by event time, in one shared Uint32Array.
 *
 * An entry is three words: the event's time as ms after the session start, a 32-bit fingerprint
 * of its id, and a tag = (page-type id << 8) | 8 more fingerprint bits (page-type id 0 = not a
 * page view). The log serves three purposes at once: dedupe (a resent id is found by its
 * fingerprint), the page-type path in event-time order (late page views are inserted where they
 * belong), and the landing page (the first page entry).
 *
 * Storage is a slab allocator: blocks of 1, 2, 4, ... entries, one free list per size class, so
 * a session's log costs one block and no JS object. A log holds at most `maxEntries`: the
 * earliest events by time (an earlier arrival evicts the latest entry), so what is remembered
 * does not depend on arrival order.
 */
const WORDS = 3;
const NONE = -1;
const LENGTH_MASK = 0xffff;

export function tagOf(pageId: number, extra: number): number {
  if (pageId > 0xff_ffff) throw new RangeError(`page-type id ${pageId} does not fit 24 bits`);
  return ((pageId << 8) | (extra & 0xff)) >>> 0;
}

export function pageOfTag(tag: number): number {
  return tag >>> 8;
}

/**
 * Where each slot's log head lives: the word offset of its block (-1: none) and its info word,
 * (size class << 16) | entry count. The sessionizer keeps them in the session records
 * (session-store.ts), which the event has just read, so the log costs no cache line of its own
 * besides its block; `LogColumn` is the stand-alone form.
 */
export interface LogHeads {
  logBlock(slot: number): number;
  logInfo(slot: number): number;
  setLog(slot: number, block: number, info: number): void;
  setLogInfo(slot: number, info: number): void;
}

/** Log heads in a column of their own: two words a slot, grown with `resize`. */
export class LogColumn implements LogHeads {
  private meta = new Int32Array(0);

  /** Grows the column to `slots` (new slots have no log). */
  resize(slots: number): void {
    const next = new Int32Array(slots * 2);
    next.set(this.meta);
    for (let i = this.meta.length; i < next.length; i += 2) next[i] = NONE;
    this.meta = next;
  }

  logBlock(slot: number): number {
    return this.meta[slot * 2] ?? NONE;
  }

  logInfo(slot: number): number {
    return this.meta[slot * 2 + 1] ?? 0;
  }

  setLog(slot: number, block: number, info: number): void {
    this.meta[slot * 2] = block;
    this.meta[slot * 2 + 1] = info;
  }

  setLogInfo(slot: number, info: number): void {
    this.meta[slot * 2 + 1] = info;
  }
}

export class EventLogs {
  pool = new Uint32Array(3 * 1024);
  readonly maxEntries: number;
  private readonly heads: LogHeads;
  private top = 0;
  private readonly freeHeads: number[];

  /** `heads`: where the slots' log heads live (default: a LogColumn, sized with `resize`). */
  constructor(maxEntries: number, heads: LogHeads = new LogColumn()) {
    this.maxEntries = maxEntries;
    this.heads = heads;
    this.freeHeads = new Array<number>(classFor(maxEntries) + 1).fill(NONE);
  }

  /** Grows the heads' column to `slots`, when they are in a LogColumn. */
  resize(slots: number): void {
    if (this.heads instanceof LogColumn) this.heads.resize(slots);
  }

  /** Entries in the slot's log. */
  count(slot: number): number {
    return this.heads.logInfo(slot) & LENGTH_MASK;
  }

  private blockOf(slot: number): number {
    return this.heads.logBlock(slot);
  }

  private classOf(slot: number): number {
    return this.heads.logInfo(slot) >>> 16;
  }

  private setLength(slot: number, length: number): void {
    this.heads.setLogInfo(slot, (this.heads.logInfo(slot) & ~LENGTH_MASK) | length);
  }

  private setBlock(slot: number, block: number, cls: number, length: number): void {
    this.heads.setLog(slot, block, (cls << 16) | length);
  }

  /** Words held by blocks in use or on free lists (the pool's high-water mark). */
  get usedWords(): number {
    return this.top;
  }

  /** Gives `slot` an empty log with room for `capacity` entries. */
  open(slot: number, capacity = 1): void {
    const cls = classFor(Math.min(Math.max(capacity, 1), this.maxEntries));
    this.setBlock(slot, this.alloc(cls), cls, 0);
  }

  /** Frees the log (if any); `onTag` sees every entry's tag (to release page-type references). */
  close(slot: number, onTag: (tag: number) => void): void {
    const base = this.blockOf(slot);
    if (base === NONE) return;
    const n = this.count(slot);
    for (let i = 0; i < n; i++) onTag(this.pool[base + i * WORDS + 2] ?? 0);
    this.free(base, this.classOf(slot));
    this.setBlock(slot, NONE, 0, 0);
  }

  /**
   * Inserts an entry after all entries at the same or an earlier offset. When the log is full,
   * an entry later than all others is not kept (returns false) and an earlier one evicts the
   * latest entry, whose tag goes to `onDrop`.
   */
  insert(
    slot: number,
    offset: number,
    fp: number,
    tag: number,
    onDrop: (tag: number) => void,
  ): boolean {
    let n = this.count(slot);
    let base = this.blockOf(slot);
    const at = this.upperBound(base, n, offset);
    if (n === this.maxEntries) {
      if (at === n) return false;
      n -= 1;
      onDrop(this.pool[base + n * WORDS + 2] ?? 0);
    } else if (n === 1 << this.classOf(slot)) {
      base = this.growBlock(slot, n + 1);
    }
    const pool = this.pool;
    if (at < n) pool.copyWithin(base + (at + 1) * WORDS, base + at * WORDS, base + n * WORDS);
    const p = base + at * WORDS;
    pool[p] = offset;
    pool[p + 1] = fp;
    pool[p + 2] = tag;
    this.setLength(slot, n + 1);
    return true;
  }

  /** The first word of the slot's log (for reading ahead: see PartitionSessionizer.processAll). */
  firstWord(slot: number): number {
    return this.pool[this.blockOf(slot)] ?? 0;
  }

  /** Whether an entry with this 40-bit fingerprint is in the log (whatever its time). */
  has(slot: number, fp: number, extra: number): boolean {
    const base = this.blockOf(slot);
    const end = base + this.count(slot) * WORDS;
    const pool = this.pool;
    for (let p = base; p < end; p += WORDS) {
      if (pool[p + 1] === fp && ((pool[p + 2] ?? 0) & 0xff) === extra) return true;
    }
    return false;
  }

  /** Adds `delta` to every offset: the session's start moved `delta` ms earlier. */
  rebase(slot: number, delta: number): void {
    const base = this.blockOf(slot);
    const end = base + this.count(slot) * WORDS;
    for (let p = base; p < end; p += WORDS) this.pool[p] = (this.pool[p] ?? 0) + delta;
  }

  /**
   * Appends `src`'s entries (offsets + `delta`) to `dst` and frees `src`'s block. The caller
   * guarantees they all come after `dst`'s entries (a later session merged into an earlier one).
   */
  absorb(dst: number, src: number, delta: number, onDrop: (tag: number) => void): void {
    const srcBase = this.blockOf(src);
    const srcLength = this.count(src);
    const n = this.count(dst);
    const keep = Math.min(srcLength, this.maxEntries - n);
    let base = this.blockOf(dst);
    if (n + keep > 1 << this.classOf(dst)) base = this.growBlock(dst, n + keep);
    const pool = this.pool;
    for (let i = 0; i < srcLength; i++) {
      const from = srcBase + i * WORDS;
      if (i >= keep) {
        onDrop(pool[from + 2] ?? 0);
        continue;
      }
      const to = base + (n + i) * WORDS;
      pool[to] = (pool[from] ?? 0) + delta;
      pool[to + 1] = pool[from + 1] ?? 0;
      pool[to + 2] = pool[from + 2] ?? 0;
    }
    this.setLength(dst, n + keep);
    this.free(srcBase, this.classOf(src));
    this.setBlock(src, NONE, 0, 0);
  }

  /** Offset of the first page entry, or -1 when the log has none. */
  firstPageOffset(slot: number): number {
    const base = this.blockOf(slot);
    const end = base + this.count(slot) * WORDS;
    for (let p = base; p < end; p += WORDS) {
      if ((this.pool[p + 2] ?? 0) >>> 8 !== 0) return this.pool[p] ?? 0;
    }
    return -1;
  }

  /** Names (through `name`) of the first `limit` page entries' page types, in time order. */
  pages(slot: number, limit: number, name: (id: number) => string): string[] {
    const base = this.blockOf(slot);
    const end = base + this.count(slot) * WORDS;
    const pool = this.pool;
    // Counted first, so the array is allocated at its size: an empty one pushed to reserves 17.
    let n = 0;
    for (let p = base; p < end && n < limit; p += WORDS) if ((pool[p + 2] ?? 0) >>> 8 !== 0) n += 1;
    const out = new Array<string>(n);
    let i = 0;
    for (let p = base; i < n; p += WORDS) {
      const page = (pool[p + 2] ?? 0) >>> 8;
      if (page !== 0) out[i++] = name(page);
    }
    return out;
  }

  /** Word `field` (0 offset, 1 fingerprint, 2 tag) of entry `index`. */
  word(slot: number, index: number, field: 0 | 1 | 2): number {
    return this.pool[this.blockOf(slot) + index * WORDS + field] ?? 0;
  }

  /** Appends an entry as is, for a restore that replays entries in order. */
  push(slot: number, offset: number, fp: number, tag: number): void {
    const n = this.count(slot);
    let base = this.blockOf(slot);
    if (n === 1 << this.classOf(slot)) base = this.growBlock(slot, n + 1);
    const p = base + n * WORDS;
    this.pool[p] = offset;
    this.pool[p + 1] = fp;
    this.pool[p + 2] = tag;
    this.setLength(slot, n + 1);
  }

  /** First index whose offset is greater than `offset` (binary search). */
  private upperBound(base: number, n: number, offset: number): number {
    // NOTE: most events arrive in order, so check the end first.
    if (n === 0 || (this.pool[base + (n - 1) * WORDS] ?? 0) <= offset) return n;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.pool[base + mid * WORDS] ?? 0) <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Moves the slot's entries to a block with room for `needed`; returns the new base. */
  private growBlock(slot: number, needed: number): number {
    const oldClass = this.classOf(slot);
    const cls = classFor(needed);
    const fresh = this.alloc(cls);
    // NOTE: alloc may have replaced the pool; read the old block only after it.
    const old = this.blockOf(slot);
    const n = this.count(slot);
    this.pool.copyWithin(fresh, old, old + n * WORDS);
    this.free(old, oldClass);
    this.setBlock(slot, fresh, cls, n);
    return fresh;
  }

  private alloc(cls: number): number {
    const head = this.freeHeads[cls] ?? NONE;
    if (head !== NONE) {
      this.freeHeads[cls] = (this.pool[head] ?? 0) - 1;
      return head;
    }
    const words = (1 << cls) * WORDS;
    if (this.top + words > this.pool.length) {
      const next = new Uint32Array(Math.max(this.top + words, Math.ceil(this.pool.length * 1.5)));
      next.set(this.pool.subarray(0, this.top));
      this.pool = next;
    }
    const block = this.top;
    this.top += words;
    return block;
  }

  private free(block: number, cls: number): void {
    // The free list is threaded through the blocks' first words (next + 1; 0 ends the list).
    this.pool[block] = (this.freeHeads[cls] ?? NONE) + 1;
    this.freeHeads[cls] = block;
  }
}

function classFor(entries: number): number {
  return entries <= 1 ? 0 : 32 - Math.clz32(entries - 1);
}
