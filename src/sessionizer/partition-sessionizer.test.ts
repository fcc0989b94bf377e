import { describe, expect, it } from 'vitest';
import { metricValue } from '../core/index.js';
import { sessionId } from './hash.js';
import type { ProcessResult } from './partition-sessionizer.js';
import type { SessionizerOptions } from './options.js';
import {
  clickEvent,
  generateStream,
  HOUR,
  MINUTE,
  prng,
  pushWatermark,
  setup,
  T0,
  type Arrival,
} from './test-support.js';

describe('PartitionSessionizer: gaps and closes', () => {
  it('closes a session once the watermark has left the second of its last event + gap', () => {
    const { send, closed } = setup();
    send({ timestamp: T0 });
    send({ timestamp: T0 + 10 * MINUTE, type: 'track' });
    pushWatermark(send, T0 + 40 * MINUTE + 999);
    expect(closed()).toHaveLength(0);
    pushWatermark(send, T0 + 40 * MINUTE + 1000);
    const [done] = closed();
    expect(done?.reason).toBe('gap');
    expect(done?.session).toMatchObject({
      visitor: 'v1',
      startedAt: T0,
      endedAt: T0 + 10 * MINUTE,
      eventCount: 2,
      pageviewCount: 1,
    });
  });

  it.each([
    ['whole milliseconds', 1],
    ['fractions of a millisecond', 0.25],
  ])('emits the closes of one drain by due time, then start, site and visitor (%s)', (_, step) => {
    const { send, closed } = setup();
    const random = prng(5);
    const expected: { end: number; start: number; site: string; visitor: string }[] = [];
    for (let k = 0; k < 400; k++) {
      // Few distinct ends, so many sessions share a due time and are ordered by what follows.
      const end = T0 + 10 * MINUTE + Math.floor(random() * 4) * step;
      const start = end - Math.floor(random() * 3) * MINUTE;
      const site = random() < 0.5 ? 's1' : 's2';
      const visitor = `v${Math.floor(random() * 1e6)}-${k}`;
      send({ timestamp: start, site, visitor });
      if (end !== start) send({ timestamp: end, site, visitor, type: 'track' });
      expected.push({ end, start, site, visitor });
    }
    pushWatermark(send, T0 + 45 * MINUTE);
    const byOrder = (a: (typeof expected)[0], b: (typeof expected)[0]): number =>
      a.end - b.end ||
      a.start - b.start ||
      (a.site < b.site ? -1 : a.site > b.site ? 1 : 0) ||
      (a.visitor < b.visitor ? -1 : a.visitor > b.visitor ? 1 : 0);
    expected.sort(byOrder);
    const got = closed().map(({ session }) => ({
      end: session.endedAt,
      start: session.startedAt,
      site: session.site,
      visitor: session.visitor,
    }));
    expect(got).toEqual(expected);
  });

  it('purges and closes in one drain as in two: same outputs, the purged session gone', () => {
    // v1's first session closes at T0 + 30 min and is purged 30 min later (the lateness); its
    // second, from T0 + 35 min, closes at T0 + 65 min: one watermark step can do both at once.
    const run = (steps: readonly number[]) => {
      const { sink, sessionizer, send } = setup();
      send({ timestamp: T0 });
      pushWatermark(send, T0 + 32 * MINUTE);
      send({ timestamp: T0 + 35 * MINUTE, type: 'track' });
      for (const step of steps) pushWatermark(send, step);
      const v1 = sink.sessions
        .filter((o) => o.session.visitor === 'v1')
        .map((o) => ({ session: o.session, reason: o.kind === 'closed' ? o.reason : null }));
      return { v1, stats: sessionizer.stats() };
    };
    const oneDrain = run([T0 + 70 * MINUTE]);
    const twoDrains = run([T0 + 61 * MINUTE, T0 + 70 * MINUTE]);
    expect(oneDrain.v1).toEqual(twoDrains.v1);
    const closes = oneDrain.v1.filter((o) => o.reason !== null);
    expect(closes.map((o) => [o.session.id, o.reason])).toEqual([
      [sessionId('s1', 'v1', T0), 'gap'],
      [sessionId('s1', 'v1', T0 + 35 * MINUTE), 'gap'],
    ]);
    // Kept: v1's second session and the clock's first (both closed), the clock's last (open).
    expect(oneDrain.stats).toMatchObject({ closedKept: 2, openSessions: 1 });
  });

  it('has counted every close by reason when a call returns (published in bulk)', async () => {
    const closedTotal = (reason: string): Promise<number> =>
      metricValue('pathcast_sessionizer_sessions_closed_total', { reason });
    const [gap, maxLength] = [await closedTotal('gap'), await closedTotal('max_length')];
    const { send, sessionizer } = setup({ maxLengthMs: HOUR });
    send({ timestamp: T0, visitor: 'v2' });
    for (let t = 0; t <= 80 * MINUTE; t += 20 * MINUTE) send({ timestamp: T0 + t });
    // v1's later events move the watermark on: v2 closes by its gap, v1's first session by its
    // max length, both inside process() calls.
    pushWatermark(send, T0 + 61 * MINUTE);
    expect(await closedTotal('gap')).toBe(gap + 1);
    expect(await closedTotal('max_length')).toBe(maxLength + 1);
    // v1's second session and the clock visitor's close by their gaps at the end of input.
    expect(sessionizer.drain()).toBe(2);
    expect(await closedTotal('gap')).toBe(gap + 3);
    expect(await closedTotal('max_length')).toBe(maxLength + 1);
  });

  it.each([
    { name: 'exactly the gap later: same session', offset: 30 * MINUTE, sessions: 1 },
    { name: '1 ms more: a new session', offset: 30 * MINUTE + 1, sessions: 2 },
  ])('$name', ({ offset, sessions }) => {
    const { send, sessionizer, updates } = setup();
    send({ timestamp: T0 });
    send({ timestamp: T0 + offset });
    sessionizer.drain();
    expect(new Set(updates().map((u) => u.session.id)).size).toBe(sessions);
  });

  it('splits a visit longer than the max length at the first event past it', () => {
    const { send, sessionizer, closed } = setup({ maxLengthMs: 3 * HOUR });
    for (let t = 0; t <= 4 * HOUR; t += 20 * MINUTE) send({ timestamp: T0 + t });
    sessionizer.drain();
    const [first, second] = closed();
    expect(first?.reason).toBe('max_length');
    expect(first?.session).toMatchObject({ startedAt: T0, endedAt: T0 + 160 * MINUTE });
    expect(second?.session).toMatchObject({ startedAt: T0 + 3 * HOUR, endedAt: T0 + 4 * HOUR });
    expect(second?.reason).toBe('gap');
  });

  it('closes an idle partition through processing time alone', () => {
    const { sessionizer, closed } = setup();
    sessionizer.process(clickEvent({ timestamp: T0 }), T0);
    // idle 1 min, then event time runs with the clock: gap 30 + out-of-orderness 2 + idle 1,
    // and closes happen once the watermark leaves the due second (timer-wheel.ts).
    expect(sessionizer.advanceTime(T0 + 33 * MINUTE + 999)).toBe(0);
    expect(closed()).toHaveLength(0);
    expect(sessionizer.advanceTime(T0 + 33 * MINUTE + 1000)).toBe(1);
    expect(closed()[0]?.reason).toBe('gap');
    expect(sessionizer.openSessions()).toBe(0);
  });

  it('does not move the watermark with processing time while events keep arriving', () => {
    const { sessionizer } = setup();
    sessionizer.process(clickEvent({ timestamp: T0 }), T0 + 10 * HOUR);
    expect(sessionizer.advanceTime(T0 + 10 * HOUR + 30_000)).toBe(0);
    expect(sessionizer.watermark()).toBe(T0 - 2 * MINUTE);
  });

  it('keeps a client clock far ahead of receivedAt from pushing the watermark', () => {
    const { sessionizer, send } = setup();
    sessionizer.process(clickEvent({ timestamp: T0 + 20 * HOUR, receivedAt: T0 }), T0);
    expect(sessionizer.watermark()).toBe(T0 + MINUTE - 2 * MINUTE);
    expect(send({ timestamp: T0 + 1000, visitor: 'v2' })).toBe('accepted');
  });

  it("emits closes only after the lateness in 'final' mode", () => {
    const { send, closed } = setup({ closeMode: 'final' });
    send({ timestamp: T0 });
    pushWatermark(send, T0 + 31 * MINUTE);
    expect(closed()).toHaveLength(0);
    pushWatermark(send, T0 + 60 * MINUTE + 1000);
    expect(closed().map((c) => c.reason)).toEqual(['gap']);
  });
});

describe('PartitionSessionizer: disorder and late data', () => {
  it('puts an out-of-order event where it belongs in time', () => {
    const { send, sessionizer, closed } = setup();
    send({ timestamp: T0, pageType: 'home' });
    send({ timestamp: T0 + 20 * MINUTE, pageType: 'cart' });
    send({ timestamp: T0 + 10 * MINUTE, pageType: 'product' }, 10 * MINUTE);
    sessionizer.drain();
    expect(closed()).toHaveLength(1);
    expect(closed()[0]?.session.path).toEqual(['home', 'product', 'cart']);
    expect(closed()[0]?.session.eventCount).toBe(3);
  });

  it('keeps an event later than the allowed lateness as a failed event with reason late', () => {
    const { send, sink, sessionizer } = setup();
    pushWatermark(send, T0 + 2 * HOUR);
    const before = sink.sessions.length;
    const event = clickEvent({ timestamp: T0 + 90 * MINUTE - 1 });
    expect(
      sessionizer.process(event, T0 + 3 * HOUR, { topic: 'ev', partition: 3, offset: 42 }),
    ).toBe('late');
    expect(sink.sessions).toHaveLength(before);
    expect(sink.failures).toHaveLength(1);
    expect(sink.failures[0]).toMatchObject({
      id: event.id,
      reason: 'late',
      stage: 'sessionizer',
      site: 's1',
      partition: 3,
      offset: 42,
      failedAt: T0 + 3 * HOUR,
    });
    expect(JSON.parse(sink.failures[0]?.payload ?? '{}')).toMatchObject({ id: event.id });
    // At exactly the allowed lateness it is still taken.
    expect(send({ timestamp: T0 + 90 * MINUTE })).toBe('accepted');
  });

  it('merges two sessions that a late event bridges; the earlier id survives', () => {
    const { send, sessionizer, sink } = setup();
    send({ timestamp: T0 });
    send({ timestamp: T0 + 40 * MINUTE });
    const [a, b] = sink.sessions.map((o) => o.session.id);
    send({ timestamp: T0 + 20 * MINUTE }, 20 * MINUTE);
    const merged = sink.sessions.find((o) => o.kind === 'closed' && o.reason === 'merged');
    expect(merged).toMatchObject({ session: { id: b }, mergedInto: a });
    sessionizer.drain();
    const final = sink.sessions[sink.sessions.length - 1];
    expect(final).toMatchObject({
      kind: 'closed',
      reason: 'gap',
      session: { id: a, eventCount: 3, startedAt: T0, endedAt: T0 + 40 * MINUTE },
    });
  });

  it('reopens a session that was already closed when late data bridges it to the next', () => {
    const { send, sessionizer, sink, closed } = setup();
    send({ timestamp: T0 });
    send({ timestamp: T0 + 31 * MINUTE });
    pushWatermark(send, T0 + 35 * MINUTE);
    expect(closed().map((c) => c.reason)).toEqual(['gap']);
    const first = closed()[0]?.session.id;
    expect(send({ timestamp: T0 + 15 * MINUTE }, 22 * MINUTE)).toBe('accepted');
    expect(closed().map((c) => [c.reason, c.mergedInto])).toEqual([
      ['gap', null],
      ['merged', first],
    ]);
    sessionizer.drain();
    const sessions = sink.sessions.filter((o) => o.session.visitor === 'v1');
    const versions = sessions.filter((o) => o.session.id === first).map((o) => o.session.version);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    const mine = closed().filter((c) => c.session.visitor === 'v1');
    expect(mine.at(-1)?.session).toMatchObject({ id: first, eventCount: 3 });
  });

  it('renames a session whose start moves back, so ids depend only on the events', () => {
    const { send, sessionizer, sink } = setup();
    send({ timestamp: T0 + 5 * MINUTE });
    const early = clickEvent({ timestamp: T0, receivedAt: T0 + 5 * MINUTE, channel: 'Email' });
    sessionizer.process(early, T0 + 5 * MINUTE);
    const lateId = sessionId('s1', 'v1', T0 + 5 * MINUTE);
    const id = sessionId('s1', 'v1', T0);
    expect(sink.sessions.map((o) => [o.kind, o.session.id])).toEqual([
      ['update', lateId],
      ['closed', lateId],
      ['update', id],
    ]);
    expect(sink.sessions[1]).toMatchObject({ reason: 'merged', mergedInto: id });
    expect(sink.sessions[2]?.session).toMatchObject({ entryChannel: 'Email', startedAt: T0 });
  });

  it('gives the same outputs, ids included, when the same input is replayed', () => {
    const events = [0, 12, 5, 50, 47, 200].map((m, i) =>
      clickEvent({ timestamp: T0 + m * MINUTE, visitor: `v${i % 2}` }),
    );
    const runs = [1, 2].map(() => {
      const { sessionizer, sink } = setup();
      for (const e of events) sessionizer.process(e, T0 + 60 * MINUTE);
      sessionizer.drain();
      return sink.sessions;
    });
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]?.length).toBeGreaterThan(6);
  });
});

describe('PartitionSessionizer.processAll', () => {
  /** Feeds `arrivals` in batches of the given sizes (cycled), each batch at its last arrival. */
  function feed(
    arrivals: readonly Arrival[],
    sizes: readonly number[],
    batched: boolean,
    options: SessionizerOptions = {},
  ) {
    const { sessionizer, sink } = setup(options);
    const results: ProcessResult[] = [];
    for (let from = 0, b = 0; from < arrivals.length; b++) {
      const batch = arrivals.slice(from, from + (sizes[b % sizes.length] ?? 1));
      from += batch.length;
      const now = batch[batch.length - 1]?.at ?? T0;
      const events = batch.map((a) => a.event);
      if (batched) sessionizer.processAll(events, now, undefined, results);
      else for (const e of events) results.push(sessionizer.process(e, now));
    }
    return { sessionizer, sink, results };
  }

  it('gives what process() gives one event at a time: outputs, results and state', () => {
    const arrivals = generateStream(11, {
      visitors: 300,
      visitsPerVisitor: 3,
      spacing: [10_000, 20 * MINUTE],
      maxDelay: 5 * MINUTE,
      lateShare: 0.05,
      lateDelay: [20 * MINUTE, 3 * HOUR],
      duplicateShare: 0.1,
      campaignShare: 0.2,
      longVisitMs: 26 * HOUR,
      gapMs: 30 * MINUTE,
    });
    // Batches across and within read-ahead groups of 64, the last one partial; the same
    // batches (so the same processing times) one event at a time for comparison.
    const sizes = [1, 63, 64, 65, 200, 7];
    const one = feed(arrivals, sizes, false);
    const all = feed(arrivals, sizes, true);
    expect(all.results).toEqual(one.results);
    expect(new Set(one.results)).toEqual(new Set(['accepted', 'duplicate', 'late']));
    expect(all.sink.sessions).toEqual(one.sink.sessions);
    expect(all.sink.failures).toEqual(one.sink.failures);
    expect(all.sessionizer.snapshot().equals(one.sessionizer.snapshot())).toBe(true);
    const kinds = one.sink.sessions.map((o) => o.kind);
    const accepted = one.results.filter((r) => r === 'accepted').length;
    expect(kinds.filter((k) => k === 'update')).toHaveLength(accepted);
    expect(kinds.filter((k) => k === 'closed').length).toBeGreaterThan(1000);
  });

  it('gives what process() gives with identified visitors and a full identity map', () => {
    const arrivals = generateStream(12, {
      visitors: 400,
      visitsPerVisitor: 3,
      spacing: [10_000, 20 * MINUTE],
      maxDelay: 5 * MINUTE,
      gapMs: 30 * MINUTE,
    });
    // Every other visitor identifies itself at its second event and sends its user with two in
    // three events from then on (a few switch users later); the map holds 25 links, so batches
    // evict as they link.
    const seen = new Map<string, number>();
    const identified = arrivals.map(({ event, at }) => {
      const n = seen.get(event.visitor) ?? 0;
      seen.set(event.visitor, n + 1);
      const v = Number(event.visitor.split('-')[2]);
      if (v % 2 === 1 || n === 0 || (n > 1 && n % 3 === 0)) return { event, at };
      const userId = n > 6 && v % 10 === 0 ? `user-${v}-b` : `user-${v}`;
      return { event: { ...event, userId, type: n === 1 ? 'identify' : event.type }, at };
    });
    const sizes = [64, 1, 200, 63];
    const one = feed(identified, sizes, false, { maxIdentities: 25 });
    const all = feed(identified, sizes, true, { maxIdentities: 25 });
    expect(all.results).toEqual(one.results);
    expect(all.sink.sessions).toEqual(one.sink.sessions);
    expect(all.sink.identities).toEqual(one.sink.identities);
    expect(all.sessionizer.snapshot().equals(one.sessionizer.snapshot())).toBe(true);
    // The map was full and evicting, and anonymous events took their user from it.
    expect(one.sessionizer.stats().identities).toBe(25);
    expect(one.sink.identities.length).toBeGreaterThan(500);
    const fromMap = one.sink.sessions.filter(
      (o) => o.kind === 'update' && o.event.userId === null && o.session.userId !== null,
    );
    expect(fromMap.length).toBeGreaterThan(100);
  });

  it('takes late and invalid events of new sites inside a batch as process() does', () => {
    const late = clickEvent({ timestamp: T0, site: 'new-a', visitor: 'x' });
    const onTime = clickEvent({ timestamp: T0 + 5 * HOUR, site: 'new-b', visitor: 'y' });
    const invalid = clickEvent({ timestamp: Number.NaN, site: 'new-c', visitor: 'z' });
    const first = clickEvent({ timestamp: T0 + 5 * HOUR });
    const runs = [false, true].map((batched) => {
      const { sessionizer, sink } = setup();
      sessionizer.process(first, T0 + 5 * HOUR);
      const results: ProcessResult[] = [];
      const events = [late, invalid, onTime];
      if (batched) sessionizer.processAll(events, T0 + 5 * HOUR, undefined, results);
      else for (const e of events) results.push(sessionizer.process(e, T0 + 5 * HOUR));
      return { results, snapshot: sessionizer.snapshot(), failed: sink.failures };
    });
    expect(runs[0]?.results).toEqual(['late', 'invalid', 'accepted']);
    expect(runs[1]?.results).toEqual(runs[0]?.results);
    expect(runs[1]?.failed.map((f) => f.reason)).toEqual(['late', 'invalid_timestamp']);
    expect(runs[1]?.snapshot.equals(runs[0]?.snapshot ?? Buffer.alloc(0))).toBe(true);
  });

  it('hands each failed event the origin given for it', () => {
    const { sessionizer, sink } = setup();
    const events = [
      clickEvent({ timestamp: T0 }),
      clickEvent({ timestamp: Number.NaN, visitor: 'broken' }),
    ];
    const origins = [0, 1].map((offset) => ({ topic: 'events', partition: 3, offset }));
    sessionizer.processAll(events, T0, origins);
    expect(sink.failures.map((f) => [f.id, f.topic, f.partition, f.offset])).toEqual([
      [events[1]?.id, 'events', 3, 1],
    ]);
  });
});
