import { describe, expect, it } from 'vitest';
import { registry, type SessionSummary } from '../core/index.js';
import { PendingPrefixes, type PendingConfig } from './pending-prefixes.js';
import { seededRandom } from './random.js';
import { SessionBuilder } from './testing/session-builder.js';

const CONFIG: PendingConfig = {
  sampleRate: 1,
  maxPrefixesPerSession: 4,
  maxPendingSessions: 10,
  maxPendingPrefixes: 100,
  staleAfterMs: 60_000,
};

/** The summary after `events` pageviews, starting at `start`. */
function sessionAfter(id: string, events: number, start = 0): SessionSummary {
  const builder = new SessionBuilder({ id });
  for (let i = 0; i < events; i++) builder.event({ at: start + i * 1000, page: `/p${i}` });
  return builder.session;
}

function offer(store: PendingPrefixes, session: SessionSummary): number {
  const slot = store.reserve(session);
  if (slot >= 0) {
    store.put(session.id, slot, {
      indices: Uint32Array.of(session.eventCount),
      conversions: session.conversions,
      eventCount: session.eventCount,
    });
  }
  return slot;
}

async function droppedCount(reason: string): Promise<number> {
  const metric = registry.getSingleMetric('pathcast_trainer_pending_dropped_total');
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
}

describe('PendingPrefixes', () => {
  it('keeps every prefix up to the per-session cap, then a uniform reservoir sample', () => {
    const kept = new Array<number>(11).fill(0);
    const trials = 4000;
    const random = seededRandom(5);
    const prefixes = Array.from({ length: 10 }, (_, e) => sessionAfter('s', e + 1));
    for (let t = 0; t < trials; t++) {
      const store = new PendingPrefixes({ ...CONFIG, maxPrefixesPerSession: 2 }, random);
      for (const session of prefixes) offer(store, session);
      const entry = store.take('s');
      expect(entry?.prefixes).toHaveLength(2);
      expect(entry?.seen).toBe(10);
      for (const p of entry?.prefixes ?? [])
        kept[p.eventCount] = (kept[p.eventCount] as number) + 1;
    }
    // Each of the 10 candidates survives with probability 2/10.
    for (let e = 1; e <= 10; e++) expect((kept[e] as number) / trials).toBeCloseTo(0.2, 1);
  });

  it('samples updates by Bernoulli rate', () => {
    const store = new PendingPrefixes(
      { ...CONFIG, sampleRate: 0.25, maxPrefixesPerSession: 10_000, maxPendingPrefixes: 10_000 },
      seededRandom(3),
    );
    let sampled = 0;
    for (let e = 1; e <= 4000; e++) if (offer(store, sessionAfter('s', 1)) >= 0) sampled++;
    expect(sampled / 4000).toBeCloseTo(0.25, 1);
  });

  it('refuses new sessions when full, keeping the ones it has, and frees room on take', async () => {
    const refusedBefore = await droppedCount('full');
    const store = new PendingPrefixes({ ...CONFIG, maxPendingSessions: 2 }, seededRandom(1));
    expect(offer(store, sessionAfter('a', 1))).toBe(0);
    expect(offer(store, sessionAfter('b', 1))).toBe(0);
    expect(offer(store, sessionAfter('c', 1))).toBe(-1);
    expect(await droppedCount('full')).toBe(refusedBefore + 1);
    // Sessions already admitted keep sampling.
    expect(offer(store, sessionAfter('a', 2))).toBe(1);
    expect(store.sessions).toBe(2);
    expect(store.prefixes).toBe(3);
    expect(store.take('a')?.prefixes.map((p) => p.eventCount)).toEqual([1, 2]);
    expect(store.take('a')).toBeUndefined();
    expect(store.prefixes).toBe(1);
    expect(offer(store, sessionAfter('c', 1))).toBe(0);
  });

  it('stops growing at the global prefix budget but still replaces within a session', () => {
    const store = new PendingPrefixes({ ...CONFIG, maxPendingPrefixes: 3 }, seededRandom(2));
    for (let e = 1; e <= 3; e++) offer(store, sessionAfter('a', e));
    expect(store.prefixes).toBe(3);
    expect(offer(store, sessionAfter('b', 1))).toBe(-1);
    for (let e = 4; e <= 50; e++) offer(store, sessionAfter('a', e));
    expect(store.prefixes).toBe(3);
    const kept = store.take('a')?.prefixes.map((p) => p.eventCount) ?? [];
    expect(kept).toHaveLength(3);
    expect(kept.some((e) => e > 3)).toBe(true);
  });

  it('evicts sessions whose close never came once they are stale', () => {
    const store = new PendingPrefixes({ ...CONFIG, maxPendingSessions: 2 }, seededRandom(1));
    offer(store, sessionAfter('old', 1, 0));
    offer(store, sessionAfter('b', 1, 30_000));
    // 'c' arrives more than staleAfterMs after 'old' opened: 'old' makes room.
    expect(offer(store, sessionAfter('c', 1, 61_000))).toBe(0);
    expect(store.take('old')).toBeUndefined();
    expect(store.take('b')).toBeDefined();
  });

  it('refuses a slot it did not reserve', () => {
    const store = new PendingPrefixes(CONFIG, seededRandom(1));
    expect(() =>
      store.put('nope', 0, { indices: new Uint32Array(0), conversions: 0, eventCount: 1 }),
    ).toThrow(RangeError);
  });
});
