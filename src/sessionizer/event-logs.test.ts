import { describe, expect, it } from 'vitest';
import { EventLogs, pageOfTag, tagOf } from './event-logs.js';
import { prng } from './test-support.js';

function entries(logs: EventLogs, slot: number): number[][] {
  return Array.from({ length: logs.count(slot) }, (_, i) => [
    logs.word(slot, i, 0),
    logs.word(slot, i, 1),
    pageOfTag(logs.word(slot, i, 2)),
  ]);
}

describe('EventLogs', () => {
  it('keeps entries sorted by offset, ties in insertion order', () => {
    const logs = new EventLogs(64);
    logs.resize(4);
    logs.open(1);
    const drop = (): void => undefined;
    for (const [offset, fp] of [
      [10, 1],
      [5, 2],
      [10, 3],
      [0, 4],
      [7, 5],
    ] as const) {
      expect(logs.insert(1, offset, fp, tagOf(fp, 0), drop)).toBe(true);
    }
    expect(entries(logs, 1).map(([o, f]) => [o, f])).toEqual([
      [0, 4],
      [5, 2],
      [7, 5],
      [10, 1],
      [10, 3],
    ]);
    expect(logs.has(1, 3, 0)).toBe(true);
    expect(logs.has(1, 3, 1)).toBe(false);
    expect(logs.firstPageOffset(1)).toBe(0);
    expect(logs.pages(1, 2, String)).toEqual(['4', '2']);
  });

  it('remembers the earliest entries when full: an earlier one evicts the latest', () => {
    const logs = new EventLogs(4);
    logs.resize(1);
    logs.open(0);
    const dropped: number[] = [];
    const drop = (tag: number): void => void dropped.push(pageOfTag(tag));
    for (const offset of [10, 20, 30, 40]) logs.insert(0, offset, offset, tagOf(offset, 0), drop);
    expect(logs.insert(0, 50, 50, tagOf(50, 0), drop)).toBe(false);
    expect(logs.insert(0, 15, 15, tagOf(15, 0), drop)).toBe(true);
    expect(entries(logs, 0).map(([o]) => o)).toEqual([10, 15, 20, 30]);
    expect(dropped).toEqual([40]);
  });

  it('rebases, absorbs a later log and frees blocks for reuse', () => {
    const logs = new EventLogs(8);
    logs.resize(3);
    const drop = (): void => undefined;
    logs.open(0);
    logs.open(1);
    for (const o of [0, 1, 2]) logs.insert(0, o, o, tagOf(0, o), drop);
    for (const o of [0, 1]) logs.insert(1, o, 100 + o, tagOf(7, 0), drop);
    logs.rebase(0, 5);
    logs.absorb(0, 1, 100, drop);
    expect(entries(logs, 0)).toEqual([
      [5, 0, 0],
      [6, 1, 0],
      [7, 2, 0],
      [100, 100, 7],
      [101, 101, 7],
    ]);
    const used = logs.usedWords;
    logs.close(0, drop);
    logs.close(0, drop); // a second close is harmless
    logs.open(2, 8);
    expect(logs.usedWords).toBe(used);
  });

  it('matches a brute-force sorted list under random inserts', () => {
    const random = prng(5);
    const logs = new EventLogs(32);
    logs.resize(8);
    const model: number[][][] = Array.from({ length: 8 }, () => []);
    for (let s = 0; s < 8; s++) logs.open(s);
    for (let i = 0; i < 5000; i++) {
      const slot = Math.floor(random() * 8);
      const offset = Math.floor(random() * 1000);
      const list = model[slot] ?? [];
      const dropped: number[] = [];
      const kept = logs.insert(slot, offset, i, tagOf(i % 1000, 0), (t) => void dropped.push(t));
      let at = list.findIndex(([o]) => (o ?? 0) > offset);
      if (at === -1) at = list.length;
      if (list.length === 32 && at === 32) {
        expect(kept).toBe(false);
      } else {
        list.splice(at, 0, [offset, i, i % 1000]);
        if (list.length > 32) list.pop();
      }
      if (random() < 0.01) {
        logs.close(slot, () => undefined);
        logs.open(slot);
        list.length = 0;
      }
    }
    for (let s = 0; s < 8; s++) expect(entries(logs, s)).toEqual(model[s]);
  });

  it('refuses page ids that do not fit the tag', () => {
    expect(() => tagOf(2 ** 24, 0)).toThrow(RangeError);
    expect(pageOfTag(tagOf(2 ** 24 - 1, 0xff))).toBe(2 ** 24 - 1);
  });
});
