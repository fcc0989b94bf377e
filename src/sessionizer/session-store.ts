/**
 * The sessions of one partition as struct-of-arrays: one typed-array column per field, a session
 * is a slot index, freed slots are reused through a free list threaded through `next`. About
 * 81 bytes a session here, plus its event log (event-logs.ts), its timer links (timer-wheel.ts)
 * and its key (the visitor string, a key-table bucket). Strings are interned ids
 * (string-table.ts).
 *
 * Times: `start` is absolute ms; the end and the exit page's time are Uint32 ms after the start
 * (a session is at most maxLengthMs < 2^32 ms long).
 */
export const FLAG_IN_USE = 1;
export const FLAG_BOT = 2;
export const FLAG_CLOSED = 4;

const NONE = -1;

export class SessionStore {
  capacity = 0;
  start = new Float64Array(0);
  endOffset = new Uint32Array(0);
  exitOffset = new Uint32Array(0);
  /** Next session of the same key by start time (-1 = last); the free list for free slots. */
  next = new Int32Array(0);
  events = new Uint32Array(0);
  pageviews = new Uint32Array(0);
  conversions = new Uint32Array(0);
  revenue = new Float64Array(0);
  version = new Uint32Array(0);
  /** String-table ids. `entry` is the tuple of the first event's marketing and device context. */
  site = new Int32Array(0);
  entry = new Int32Array(0);
  landing = new Int32Array(0);
  exit = new Int32Array(0);
  currency = new Int32Array(0);
  userId = new Int32Array(0);
  flags = new Uint8Array(0);
  /** keyHash(visitor, site): the key table never hashes a string twice (key-table.ts). */
  hash = new Uint32Array(0);
  /** The visitor key, shared with the key map (one string per visitor, not per session). */
  visitor: string[] = [];

  private freeHead = NONE;
  private used = 0;
  private readonly onGrow: (capacity: number) => void;

  constructor(onGrow: (capacity: number) => void, initialCapacity = 1024) {
    this.onGrow = onGrow;
    this.grow(initialCapacity);
  }

  /** Sessions in use. */
  get size(): number {
    return this.used;
  }

  alloc(): number {
    let slot = this.freeHead;
    if (slot === NONE) {
      if (this.used === this.capacity) this.grow(Math.ceil(this.capacity * 1.5));
      // With an empty free list every slot below `used` is taken.
      slot = this.used;
    } else {
      this.freeHead = this.next[slot] ?? NONE;
    }
    this.used += 1;
    this.flags[slot] = FLAG_IN_USE;
    this.next[slot] = NONE;
    return slot;
  }

  /** Returns the slot to the free list; the caller has released its strings and log. */
  free(slot: number): void {
    if (((this.flags[slot] ?? 0) & FLAG_IN_USE) === 0) {
      throw new RangeError(`session slot ${slot} freed twice`);
    }
    this.start[slot] = 0;
    this.endOffset[slot] = 0;
    this.exitOffset[slot] = 0;
    this.events[slot] = 0;
    this.pageviews[slot] = 0;
    this.conversions[slot] = 0;
    this.revenue[slot] = 0;
    this.version[slot] = 0;
    this.site[slot] = 0;
    this.entry[slot] = 0;
    this.landing[slot] = 0;
    this.exit[slot] = 0;
    this.currency[slot] = 0;
    this.userId[slot] = 0;
    this.hash[slot] = 0;
    this.flags[slot] = 0;
    this.visitor[slot] = '';
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.used -= 1;
  }

  hasFlag(slot: number, flag: number): boolean {
    return ((this.flags[slot] ?? 0) & flag) !== 0;
  }

  setFlag(slot: number, flag: number, on: boolean): void {
    const flags = this.flags[slot] ?? 0;
    this.flags[slot] = on ? flags | flag : flags & ~flag;
  }

  end(slot: number): number {
    return (this.start[slot] ?? 0) + (this.endOffset[slot] ?? 0);
  }

  private grow(capacity: number): void {
    const old = this.capacity;
    this.start = f64(this.start, capacity);
    this.endOffset = u32(this.endOffset, capacity);
    this.exitOffset = u32(this.exitOffset, capacity);
    this.next = i32(this.next, capacity);
    this.events = u32(this.events, capacity);
    this.pageviews = u32(this.pageviews, capacity);
    this.conversions = u32(this.conversions, capacity);
    this.revenue = f64(this.revenue, capacity);
    this.version = u32(this.version, capacity);
    this.site = i32(this.site, capacity);
    this.entry = i32(this.entry, capacity);
    this.landing = i32(this.landing, capacity);
    this.exit = i32(this.exit, capacity);
    this.currency = i32(this.currency, capacity);
    this.userId = i32(this.userId, capacity);
    this.hash = u32(this.hash, capacity);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.flags = flags;
    for (let i = old; i < capacity; i++) this.visitor.push('');
    this.capacity = capacity;
    this.onGrow(capacity);
  }
}

function f64(old: Float64Array<ArrayBuffer>, size: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(size);
  next.set(old);
  return next;
}

function u32(old: Uint32Array<ArrayBuffer>, size: number): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(size);
  next.set(old);
  return next;
}

function i32(old: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(size);
  next.set(old);
  return next;
}
