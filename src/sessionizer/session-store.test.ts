import { describe, expect, it } from 'vitest';
import { EventLogs } from './event-logs.js';
import {
  END_OFFSET,
  EVENTS,
  FLAG_BOT,
  FLAG_CLOSED,
  FLAG_IN_USE,
  MAX_SITE_ID,
  NEXT,
  SessionStore,
  USER_ID,
} from './session-store.js';
import { TimerWheel } from './timer-wheel.js';

describe('SessionStore', () => {
  it('keeps each field of a record apart from its neighbours and across growth', () => {
    const grown: number[] = [];
    const store = new SessionStore((capacity) => grown.push(capacity), 2);
    const slots = Array.from({ length: 5 }, () => store.alloc());
    expect(grown).toEqual([2, 3, 5]);
    for (const slot of slots) {
      store.setStart(slot, 1.7e12 + slot);
      store.setRevenue(slot, slot * 0.5);
      store.set(slot, END_OFFSET, 0xffff_fff0 + slot);
      store.set(slot, USER_ID, slot + 1);
      store.add(slot, EVENTS, slot + 2);
      store.setSite(slot, MAX_SITE_ID - slot);
      store.setFlag(slot, FLAG_CLOSED, slot % 2 === 0);
    }
    for (const slot of slots) {
      expect(store.start(slot)).toBe(1.7e12 + slot);
      expect(store.revenue(slot)).toBe(slot * 0.5);
      // Unsigned fields read back unsigned, signed ones signed.
      expect(store.u32(slot, END_OFFSET)).toBe(0xffff_fff0 + slot);
      expect(store.end(slot)).toBe(1.7e12 + slot + 0xffff_fff0 + slot);
      expect(store.i32(slot, USER_ID)).toBe(slot + 1);
      expect(store.u32(slot, EVENTS)).toBe(slot + 2);
      expect(store.next(slot)).toBe(-1);
      // Site and flags share a word without touching each other.
      expect(store.site(slot)).toBe(MAX_SITE_ID - slot);
      expect(store.hasFlag(slot, FLAG_CLOSED)).toBe(slot % 2 === 0);
      expect(store.hasFlag(slot, FLAG_BOT)).toBe(false);
      expect(store.flags(slot) & FLAG_IN_USE).toBe(FLAG_IN_USE);
    }
    expect(() => store.setSite(0, MAX_SITE_ID + 1)).toThrow(RangeError);
  });

  it('clears a freed record, reuses the slot, and refuses a double free', () => {
    const store = new SessionStore(() => undefined, 4);
    const a = store.alloc();
    const b = store.alloc();
    store.setStart(b, 42);
    store.set(b, USER_ID, 7);
    store.setFlag(b, FLAG_BOT, true);
    store.free(b);
    expect(store.size).toBe(1);
    expect(() => store.free(b)).toThrow(RangeError);
    expect(store.alloc()).toBe(b);
    expect(store.start(b)).toBe(0);
    expect(store.i32(b, USER_ID)).toBe(0);
    expect(store.hasFlag(b, FLAG_BOT)).toBe(false);
    expect(store.i32(b, NEXT)).toBe(-1);
    expect(store.site(a)).toBe(0);
  });

  it("holds the event logs' heads and the timer marks in its records, none on a fresh or freed slot", () => {
    const store = new SessionStore(() => undefined, 2);
    const logs = new EventLogs(8, store);
    const wheel = new TimerWheel(1000, 16, store);
    const drop = (): void => undefined;
    const slots = Array.from({ length: 4 }, () => store.alloc());
    for (const slot of slots) {
      // Zeroed words read as "no log" and "not scheduled".
      expect(store.logBlock(slot)).toBe(-1);
      expect(store.timerList(slot)).toBe(-1);
      logs.open(slot);
      for (let i = 0; i <= slot; i++) logs.insert(slot, 10 * i, 100 * slot + i, 0, drop);
      // Overdue before the first drain: marked with the overdue list (after the 16 ring ones).
      wheel.schedule(slot, 5_000 + slot);
    }
    for (const slot of slots) expect(store.timerList(slot)).toBe(16);
    // The log heads and marks survive the records' growth, fields apart from their neighbours.
    for (const slot of slots) {
      expect(logs.count(slot)).toBe(slot + 1);
      expect(logs.word(slot, slot, 1)).toBe(100 * slot + slot);
      expect(store.i32(slot, NEXT)).toBe(-1);
    }
    const out: number[] = [];
    wheel.drain(0, out);
    expect(out).toEqual(slots);
    for (const slot of slots) expect(store.timerList(slot)).toBe(-1);
    wheel.schedule(slots[1] ?? 0, 3_000);
    wheel.schedule(slots[2] ?? 0, 3_500);
    expect(store.timerList(slots[2] ?? 0)).toBe(3);
    // As SessionizerState.retire does: off the wheel, log closed, then the record freed.
    wheel.unschedule(slots[2] ?? 0);
    logs.close(slots[2] ?? 0, drop);
    store.free(slots[2] ?? 0);
    expect(store.alloc()).toBe(slots[2]);
    expect(store.logBlock(slots[2] ?? 0)).toBe(-1);
    expect(store.timerList(slots[2] ?? 0)).toBe(-1);
    const due: number[] = [];
    wheel.drain(10_000, due);
    expect(due).toEqual([slots[1]]);
  });
});
