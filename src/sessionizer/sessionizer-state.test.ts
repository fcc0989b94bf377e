import { describe, expect, it } from 'vitest';
import { keyHash } from './hash.js';
import { resolveSessionizerConfig } from './options.js';
import { createSession } from './session-mutations.js';
import { SessionizerState } from './sessionizer-state.js';
import { clickEvent, HOUR, T0 } from './test-support.js';

/** Two visitor ids whose keys (site id `siteId`) share a key-table hash: a birthday search. */
function collidingVisitors(siteId: number): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const visitor = `visitor-${i}`;
    const hash = keyHash(visitor, siteId);
    const other = seen.get(hash);
    if (other !== undefined) return [other, visitor];
    seen.set(hash, visitor);
  }
}

describe('SessionizerState key lists', () => {
  it('finds and retires sessions by identity past another key of the same hash', () => {
    const state = new SessionizerState(resolveSessionizerConfig({}));
    const siteId = state.siteId('s1');
    const [x, y] = collidingVisitors(siteId);
    const hash = keyHash(x, siteId);
    expect(keyHash(y, siteId)).toBe(hash);
    const open = (visitor: string, at: number, prev: number, head: number): number => {
      const slot = createSession(state, clickEvent({ timestamp: at, visitor }), visitor, hash);
      state.link(slot, prev, head, hash);
      return slot;
    };
    // x's list takes the home bucket; y's (two sessions, then a third) the next one.
    const x1 = open(x, T0, -1, -1);
    const y1 = open(y, T0, -1, -1);
    const y2 = open(y, T0 + HOUR, y1, y1);
    const y3 = open(y, T0 + 2 * HOUR, y2, y1);
    expect(state.head('s1', x)).toBe(x1);
    expect(state.head('s1', y)).toBe(y1);

    expect(state.previous(x1, hash)).toBe(-1);
    expect(state.previous(y1, hash)).toBe(-1);
    expect(state.previous(y2, hash)).toBe(y1);
    expect(state.previous(y3, hash)).toBe(y2);

    state.retire(y2);
    expect(state.previous(y3, hash)).toBe(y1);
    expect(state.store.next(y1)).toBe(y3);
    // Retiring x's only session empties the home bucket; y's list moves up into it.
    state.retire(x1);
    expect(state.head('s1', x)).toBe(-1);
    expect(state.head('s1', y)).toBe(y1);
    expect(state.previous(y3, hash)).toBe(y1);
    state.retire(y1);
    expect(state.head('s1', y)).toBe(y3);
    expect(state.previous(y3, hash)).toBe(-1);
    state.retire(y3);
    expect(state.head('s1', y)).toBe(-1);
    expect(state.keys.size).toBe(0);
    expect(() => state.previous(y3, hash)).toThrow(RangeError);
  });
});
