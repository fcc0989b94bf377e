/**
 * The sessions of one partition as fixed-size records in one ArrayBuffer: a session is a slot
 * index, its fields are words at `slot * STRIDE + field`, freed slots are reused through a free
 * list threaded through NEXT. 88 bytes a session here, its event log's head and its timer-wheel
 * mark included (EventLogs' LogHeads, TimerWheel's TimerMarks), so an event or a close reads no
 * column of theirs; plus its event log's block (event-logs.ts) and its key (the visitor string, a
 * key-table bucket). Strings are interned ids (string-table.ts).
 *
 * NOTE: records, not one typed array per field: an event reads and writes nearly every field of
 * its session, at a random slot among a million, so column-wise storage cost one cache miss per
 * field (~18 an event); a record is two cache lines.
 *
 * Times: START is absolute ms; the end and the exit page's time are Uint32 ms after the start
 * (a session is at most maxLengthMs < 2^32 ms long).
 */
import type { LogHeads } from './event-logs.js';
import type { TimerMarks } from './timer-wheel.js';

export const FLAG_IN_USE = 1;
export const FLAG_BOT = 2;
export const FLAG_CLOSED = 4;

/** Float64 fields (two words each, 8-byte aligned since STRIDE is even). */
export const START = 0;
export const REVENUE = 2;
/** Uint32 fields: read them with `u32`. */
export const END_OFFSET = 4;
export const EXIT_OFFSET = 5;
export const EVENTS = 6;
export const PAGEVIEWS = 7;
export const CONVERSIONS = 8;
export const VERSION = 9;
/** keyHash(visitor, site): the key table never hashes a string twice (key-table.ts). */
export const HASH = 10;
/** Int32 fields: read them with `i32`. Next session of the same key by start (-1 = last). */
export const NEXT = 11;
/** String-table ids. ENTRY_ID is the tuple of the first event's marketing and device context. */
export const ENTRY_ID = 12;
export const LANDING_ID = 13;
export const EXIT_ID = 14;
export const CURRENCY_ID = 15;
export const USER_ID = 16;
/** Site id in the low 24 bits, flags in the high 8 (read them with `site` / `hasFlag`). */
const SITE_FLAGS = 17;
/** The event log's head (EventLogs' LogHeads): its block's word offset + 1 (0: none), info. */
const LOG_BLOCK = 18;
const LOG_INFO = 19;
/** The timer-wheel list the session is on (TimerMarks), + 1 (0: not scheduled). */
const TIMER_LIST = 20;
/** Word 21 is unused: a record stays an even number of words, so START stays 8-byte aligned. */
const STRIDE = 22;

/** The largest site id a record holds (sites are never released: 16M distinct sites). */
export const MAX_SITE_ID = 0xff_ffff;

/** String-id fields a session holds a reference to (released when it goes). */
export const STRING_FIELDS = [ENTRY_ID, LANDING_ID, EXIT_ID, CURRENCY_ID, USER_ID] as const;

const NONE = -1;

export class SessionStore implements LogHeads, TimerMarks {
  capacity = 0;
  /** Views of one buffer; replaced when it grows, so read them through the store each time. */
  private words = new Int32Array(0);
  private uwords = new Uint32Array(0);
  private doubles = new Float64Array(0);
  /** The visitor key, shared with the key map (one string per visitor, not per session). */
  visitor: string[] = [];

  private freeHead = NONE;
  private used = 0;
  private readonly onGrow: (capacity: number) => void;

  /** `onGrow`: told each new capacity (for columns kept beside the records; none by default). */
  constructor(onGrow: (capacity: number) => void = () => undefined, initialCapacity = 1024) {
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
      this.freeHead = this.i32(slot, NEXT);
    }
    this.used += 1;
    this.words[slot * STRIDE + SITE_FLAGS] = FLAG_IN_USE << 24;
    this.words[slot * STRIDE + NEXT] = NONE;
    return slot;
  }

  /** Returns the slot to the free list; the caller has released its strings and log. */
  free(slot: number): void {
    if (!this.hasFlag(slot, FLAG_IN_USE)) throw new RangeError(`session slot ${slot} freed twice`);
    const base = slot * STRIDE;
    this.words.fill(0, base, base + STRIDE);
    this.visitor[slot] = '';
    this.words[base + NEXT] = this.freeHead;
    this.freeHead = slot;
    this.used -= 1;
  }

  start(slot: number): number {
    return this.doubles[(slot * STRIDE + START) >> 1] ?? 0;
  }

  setStart(slot: number, value: number): void {
    this.doubles[(slot * STRIDE + START) >> 1] = value;
  }

  revenue(slot: number): number {
    return this.doubles[(slot * STRIDE + REVENUE) >> 1] ?? 0;
  }

  setRevenue(slot: number, value: number): void {
    this.doubles[(slot * STRIDE + REVENUE) >> 1] = value;
  }

  /** An unsigned field (END_OFFSET .. HASH). */
  u32(slot: number, field: number): number {
    return this.uwords[slot * STRIDE + field] ?? 0;
  }

  /** A signed field (NEXT, string ids). */
  i32(slot: number, field: number): number {
    return this.words[slot * STRIDE + field] ?? 0;
  }

  /** Sets a 32-bit field, signed or unsigned (the bits are the same). */
  set(slot: number, field: number, value: number): void {
    this.words[slot * STRIDE + field] = value;
  }

  /** Adds to an unsigned counter field. */
  add(slot: number, field: number, delta: number): void {
    const at = slot * STRIDE + field;
    this.uwords[at] = (this.uwords[at] ?? 0) + delta;
  }

  next(slot: number): number {
    return this.words[slot * STRIDE + NEXT] ?? NONE;
  }

  setNext(slot: number, next: number): void {
    this.words[slot * STRIDE + NEXT] = next;
  }

  site(slot: number): number {
    return (this.words[slot * STRIDE + SITE_FLAGS] ?? 0) & MAX_SITE_ID;
  }

  setSite(slot: number, siteId: number): void {
    if (siteId > MAX_SITE_ID || siteId < 0) throw new RangeError(`site id ${siteId} out of range`);
    const at = slot * STRIDE + SITE_FLAGS;
    this.words[at] = ((this.words[at] ?? 0) & ~MAX_SITE_ID) | siteId;
  }

  hash(slot: number): number {
    return this.uwords[slot * STRIDE + HASH] ?? 0;
  }

  visitorOf(slot: number): string {
    return this.visitor[slot] ?? '';
  }

  hasFlag(slot: number, flag: number): boolean {
    return ((this.words[slot * STRIDE + SITE_FLAGS] ?? 0) & (flag << 24)) !== 0;
  }

  setFlag(slot: number, flag: number, on: boolean): void {
    const at = slot * STRIDE + SITE_FLAGS;
    const word = this.words[at] ?? 0;
    this.words[at] = on ? word | (flag << 24) : word & ~(flag << 24);
  }

  /** The flags byte (FLAG_*). */
  flags(slot: number): number {
    return (this.words[slot * STRIDE + SITE_FLAGS] ?? 0) >>> 24;
  }

  logBlock(slot: number): number {
    return (this.words[slot * STRIDE + LOG_BLOCK] ?? 0) - 1;
  }

  logInfo(slot: number): number {
    return this.words[slot * STRIDE + LOG_INFO] ?? 0;
  }

  setLog(slot: number, block: number, info: number): void {
    const base = slot * STRIDE;
    this.words[base + LOG_BLOCK] = block + 1;
    this.words[base + LOG_INFO] = info;
  }

  setLogInfo(slot: number, info: number): void {
    this.words[slot * STRIDE + LOG_INFO] = info;
  }

  timerList(slot: number): number {
    return (this.words[slot * STRIDE + TIMER_LIST] ?? 0) - 1;
  }

  setTimerList(slot: number, list: number): void {
    this.words[slot * STRIDE + TIMER_LIST] = list + 1;
  }

  end(slot: number): number {
    return this.start(slot) + this.u32(slot, END_OFFSET);
  }

  private grow(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * STRIDE * 4);
    const words = new Int32Array(buffer);
    words.set(this.words);
    this.words = words;
    this.uwords = new Uint32Array(buffer);
    this.doubles = new Float64Array(buffer);
    for (let i = this.capacity; i < capacity; i++) this.visitor.push('');
    this.capacity = capacity;
    this.onGrow(capacity);
  }
}
