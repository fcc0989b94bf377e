import { describe, expect, it } from 'vitest';
import { assignRoundRobin } from './memory-group.js';
import { PartitionLog, recordBytes } from './partition-log.js';

const limits = { maxRecords: 3, maxBytes: 10_000 };

function filled(count: number): PartitionLog {
  const log = new PartitionLog('t', 0);
  for (let i = 0; i < count; i++) {
    const value = Buffer.from(`v${i}`);
    log.append(`k${i}`, value, {}, i, recordBytes({ key: `k${i}`, value, headers: {} }));
  }
  return log;
}

describe('PartitionLog', () => {
  it('numbers records from 0 and reads a window', () => {
    const log = filled(5);
    expect([log.startOffset, log.endOffset, log.size]).toEqual([0, 5, 5]);
    expect(log.read(1, 2).map((r) => r.offset)).toEqual([1, 2]);
    expect(log.read(4, 10).map((r) => r.offset)).toEqual([4]);
    expect(log.read(5, 10)).toEqual([]);
  });

  it('releases from the front, keeps offsets, and tracks bytes exactly', () => {
    const log = filled(5);
    const before = log.byteSize;
    const first = recordBytes({ key: 'k0', value: Buffer.from('v0'), headers: {} });
    expect(log.releaseBefore(1)).toBe(1);
    expect(log.byteSize).toBe(before - first);
    expect([log.startOffset, log.endOffset]).toEqual([1, 5]);
    expect(log.read(0, 2).map((r) => r.offset)).toEqual([1, 2]);
    expect(log.releaseBefore(1)).toBe(0);
    expect(log.releaseBefore(99)).toBe(4);
    expect([log.startOffset, log.endOffset, log.size, log.byteSize]).toEqual([5, 5, 0, 0]);
  });

  it('stays correct across the compaction of a long released prefix', () => {
    const log = filled(5_000);
    log.releaseBefore(4_000);
    expect(log.read(4_000, 3).map((r) => r.offset)).toEqual([4_000, 4_001, 4_002]);
    expect(log.read(4_999, 3).map((r) => r.value.toString())).toEqual(['v4999']);
    expect(log.size).toBe(1_000);
  });

  it('has room up to the bounds, and always in an empty partition', () => {
    const empty = new PartitionLog('t', 0);
    expect(empty.hasRoomFor(100, 1e9, limits)).toBe(true);
    const log = filled(2);
    expect(log.hasRoomFor(1, 10, limits)).toBe(true);
    expect(log.hasRoomFor(2, 10, limits)).toBe(false);
    expect(log.hasRoomFor(1, 10_000, limits)).toBe(false);
  });

  it('counts headers in the byte size', () => {
    const value = Buffer.from('v');
    expect(recordBytes({ key: 'k', value, headers: { ab: 'cd' } })).toBe(
      recordBytes({ key: 'k', value, headers: {} }) + 8,
    );
  });
});

describe('assignRoundRobin', () => {
  it.each([
    [4, 1, [[0, 1, 2, 3]]],
    [
      4,
      2,
      [
        [0, 2],
        [1, 3],
      ],
    ],
    [5, 3, [[0, 3], [1, 4], [2]]],
    [2, 3, [[0], [1], []]],
    [3, 0, []],
  ])('%i partitions over %i members', (partitions, members, expected) => {
    expect(assignRoundRobin(partitions, members)).toEqual(expected);
  });
});
