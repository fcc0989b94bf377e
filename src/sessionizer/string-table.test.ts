import { describe, expect, it } from 'vitest';
import { StringSlots, StringTable } from './string-table.js';

describe('StringTable', () => {
  it('interns once, counts references and drops a string with its last reference', () => {
    const table = new StringTable();
    const a = table.intern('/product/:id');
    expect(table.intern('/product/:id')).toBe(a);
    expect(table.count(a)).toBe(2);
    table.release(a);
    expect(table.name(a)).toBe('/product/:id');
    table.release(a);
    expect(table.size).toBe(0);
    expect(() => table.name(a)).toThrow(RangeError);
    expect(() => table.release(a)).toThrow(/released more often/);
  });

  it('reuses freed ids and keeps the empty string as the uncounted id 0', () => {
    const table = new StringTable();
    expect(table.intern('')).toBe(0);
    table.release(0);
    expect(table.name(0)).toBe('');
    const a = table.intern('a');
    table.release(a);
    expect(table.intern('b')).toBe(a);
    expect(table.name(a)).toBe('b');
  });

  it.each([
    '"; DROP TABLE',
    'ü\u0000x',
    'x'.repeat(10_000),
    '\ud83d\ude00',
    'constructor',
    '__proto__',
  ])('keeps hostile strings verbatim: %#', (value) => {
    const table = new StringTable();
    const id = table.intern(value);
    expect(table.name(id)).toBe(value);
    expect(table.parts(id, '\u0000')).toEqual(value.split('\u0000'));
  });

  it('grows past its initial capacity', () => {
    const table = new StringTable();
    const ids = Array.from({ length: 1000 }, (_, i) => table.intern(`s${i}`));
    expect(ids.map((id) => table.name(id))).toEqual(ids.map((_, i) => `s${i}`));
    expect(table.size).toBe(1000);
  });
});

describe('StringSlots', () => {
  it('gives every intern an id of its own, counts references and reuses freed ids', () => {
    const slots = new StringSlots();
    expect(slots.intern('')).toBe(0);
    const a = slots.intern('user-1');
    const b = slots.intern('user-1');
    expect(b).not.toBe(a);
    expect([slots.held(a), slots.held(b), slots.size]).toEqual(['user-1', 'user-1', 2]);
    slots.retain(a);
    slots.release(a);
    expect(slots.name(a)).toBe('user-1');
    slots.release(a);
    expect(slots.size).toBe(1);
    expect(() => slots.name(a)).toThrow(RangeError);
    expect(() => slots.release(a)).toThrow(/released more often/);
    expect(slots.intern('user-2')).toBe(a);
    expect(slots.name(a)).toBe('user-2');
    slots.release(0);
    expect(slots.name(0)).toBe('');
  });

  it('holds thousands of strings and gives them all back', () => {
    const slots = new StringSlots();
    const ids = Array.from({ length: 5_000 }, (_, i) => slots.intern(`u${i % 100}`));
    expect(new Set(ids).size).toBe(5_000);
    expect(ids.every((id, i) => slots.held(id) === `u${i % 100}`)).toBe(true);
    for (const id of ids) slots.release(id);
    expect(slots.size).toBe(0);
  });
});
