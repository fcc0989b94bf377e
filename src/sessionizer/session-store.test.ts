import { describe, expect, it } from 'vitest';
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
});
