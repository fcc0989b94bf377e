import { describe, expect, it } from 'vitest';
import { RecentSessions, hashSessionId } from './recent-sessions.js';

describe('RecentSessions', () => {
  it('remembers the last `capacity` session ids and forgets the oldest', () => {
    const recent = new RecentSessions(3);
    expect(['a', 'b', 'c'].map((id) => recent.add(id))).toEqual([true, true, true]);
    expect(recent.add('b')).toBe(false);
    expect(recent.add('d')).toBe(true); // 'a' falls out
    expect(recent.count).toBe(3);
    expect(recent.add('c')).toBe(false);
    expect(recent.add('a')).toBe(true); // learnt again: beyond the window
    expect(recent.hashes()).toEqual(Float64Array.from(['c', 'd', 'a'].map(hashSessionId)));
  });

  it('restores from saved hashes, oldest first, with the same window', () => {
    const before = new RecentSessions(4);
    for (const id of ['s1', 's2', 's3', 's4', 's5']) before.add(id);
    const after = new RecentSessions(4, before.hashes());
    expect(after.hashes()).toEqual(before.hashes());
    expect(after.add('s5')).toBe(false);
    expect(after.add('s6')).toBe(true); // evicts s2, as `before` would
    expect(after.add('s1')).toBe(true);
    expect(after.add('s3')).toBe(true);
    // A smaller ring keeps the newest.
    expect(new RecentSessions(2, before.hashes()).hashes()).toEqual(
      Float64Array.from(['s4', 's5'].map(hashSessionId)),
    );
  });

  it('hashes to 48-bit integers, different for different ids', () => {
    const hashes = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const hash = hashSessionId(`site:visitor-${i}:${1_700_000_000_000 + i}`);
      expect(Number.isSafeInteger(hash) && hash >= 0 && hash < 2 ** 48).toBe(true);
      hashes.add(hash);
    }
    expect(hashes.size).toBe(10_000);
    expect(() => new RecentSessions(0)).toThrow(RangeError);
  });
});
