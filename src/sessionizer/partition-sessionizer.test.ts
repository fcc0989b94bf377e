import { describe, expect, it } from 'vitest';
import type { SessionClosed, SessionOutput, SessionSummary, SessionUpdate } from '../core/index.js';
import { sessionId } from './hash.js';
import type { SessionizerOptions } from './options.js';
import { PartitionSessionizer } from './partition-sessionizer.js';
import { CollectingSink } from './sink.js';
import { clickEvent, HOUR, MINUTE, T0 } from './test-support.js';

function setup(options: SessionizerOptions = {}) {
  const sink = new CollectingSink();
  const sessionizer = new PartitionSessionizer(options, { sink });
  /** Processes an event that arrives `delay` ms after its event time. */
  const send = (fields: Parameters<typeof clickEvent>[0], delay = 0) => {
    const event = clickEvent({ receivedAt: fields.timestamp + delay, ...fields });
    return sessionizer.process(event, event.timestamp + delay);
  };
  const closed = (): SessionClosed[] =>
    sink.sessions.filter((o): o is SessionClosed => o.kind === 'closed');
  const updates = (): SessionUpdate[] =>
    sink.sessions.filter((o): o is SessionUpdate => o.kind === 'update');
  const last = (): SessionOutput | undefined => sink.sessions[sink.sessions.length - 1];
  return { sink, sessionizer, send, closed, updates, last };
}

/** Moves the watermark to `t` with another visitor's event (watermark = its time - 2 min). */
function pushWatermark(send: ReturnType<typeof setup>['send'], t: number): void {
  send({ timestamp: t + 2 * MINUTE, visitor: 'clock' });
}

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

describe('PartitionSessionizer: campaign split', () => {
  const google = { channel: 'Paid Search', source: 'google', medium: 'cpc', campaign: 'spring' };

  it.each([
    { split: true, sessions: 2, reason: 'campaign' },
    { split: false, sessions: 1, reason: 'gap' },
  ])('a new campaign mid-visit with splitOnCampaign=$split', ({ split, sessions, reason }) => {
    const { send, sessionizer, closed } = setup({ splitOnCampaign: split });
    send({ timestamp: T0 });
    send({ timestamp: T0 + MINUTE, ...google });
    send({ timestamp: T0 + 2 * MINUTE }); // internal navigation: direct, no split
    sessionizer.drain();
    expect(closed()).toHaveLength(sessions);
    expect(closed()[0]?.reason).toBe(reason);
    expect(closed().at(-1)?.session.entryCampaign).toBe(split ? 'spring' : '');
  });

  it('does not split on the same campaign again, nor on a direct event', () => {
    const { send, sessionizer, closed } = setup({ splitOnCampaign: true });
    send({ timestamp: T0, ...google });
    send({ timestamp: T0 + MINUTE, ...google });
    send({ timestamp: T0 + 2 * MINUTE });
    sessionizer.drain();
    expect(closed()).toHaveLength(1);
  });

  it('absorbs a campaign event that arrives late inside a session (documented limit)', () => {
    const { send, sessionizer, closed } = setup({ splitOnCampaign: true });
    send({ timestamp: T0 });
    send({ timestamp: T0 + 2 * MINUTE });
    send({ timestamp: T0 + MINUTE, ...google }, MINUTE);
    sessionizer.drain();
    expect(closed()).toHaveLength(1);
  });
});

describe('PartitionSessionizer: aggregates', () => {
  it('keeps entry, landing, exit, path, conversions and revenue in event-time order', () => {
    const { send, sessionizer, updates, closed } = setup();
    send({ timestamp: T0 + MINUTE, path: '/p/1', pageType: 'product' });
    send({ timestamp: T0 + 2 * MINUTE, path: '/p/1', pageType: 'product' });
    send({
      timestamp: T0 + 3 * MINUTE,
      type: 'track',
      isConversion: true,
      revenue: 30,
      currency: 'EUR',
    });
    send({ timestamp: T0 + 4 * MINUTE, path: '/thanks', pageType: 'thanks' });
    send(
      { timestamp: T0, path: '/', pageType: 'home', channel: 'Email', source: 'newsletter' },
      4 * MINUTE,
    );
    send({ timestamp: T0 + 5 * MINUTE, type: 'track', isConversion: true, revenue: 12.5 });
    sessionizer.drain();
    expect(updates().map((u) => u.session.version)).toEqual([1, 2, 3, 4, 6, 7]);
    const session = closed().at(-1)?.session as SessionSummary;
    expect(session).toMatchObject({
      startedAt: T0,
      endedAt: T0 + 5 * MINUTE,
      eventCount: 6,
      pageviewCount: 4,
      path: ['home', 'product', 'product', 'thanks'],
      entryChannel: 'Email',
      entrySource: 'newsletter',
      landingPage: '/',
      exitPage: '/thanks',
      conversions: 2,
      converted: true,
      revenue: 42.5,
      currency: 'EUR',
      deviceType: 'desktop',
      country: 'DE',
      isBot: false,
      userId: null,
      version: 8,
    });
  });

  it('caps the path at 64 page types but counts every page view', () => {
    const { send, sessionizer, closed } = setup();
    for (let i = 0; i < 70; i++) send({ timestamp: T0 + i * 1000, pageType: `t${i}` });
    sessionizer.drain();
    const session = closed()[0]?.session;
    expect(session?.path).toHaveLength(64);
    expect(session?.path[63]).toBe('t63');
    expect(session?.pageviewCount).toBe(70);
    expect(session?.exitPage).toBe('/');
  });

  it('flags a session with any bot event as a bot session', () => {
    const { send, sessionizer, closed } = setup();
    send({ timestamp: T0 });
    send({ timestamp: T0 + 1000, isBot: true, deviceType: 'bot' });
    sessionizer.drain();
    expect(closed()[0]?.session.isBot).toBe(true);
  });

  it('leaves nothing behind once drained (every interned string released)', () => {
    const { send, sessionizer } = setup();
    for (let i = 0; i < 50; i++) {
      send({
        timestamp: T0 + ((i * 7) % 50) * MINUTE,
        visitor: `v${i % 4}`,
        path: `/p/${i}`,
        pageType: `t${i % 5}`,
        userId: i % 3 === 0 ? `u${i}` : null,
        isConversion: i % 4 === 0,
        currency: 'EUR',
      });
    }
    sessionizer.drain();
    expect(sessionizer.stats()).toMatchObject({
      openSessions: 0,
      closedKept: 0,
      strings: 0,
      pageTypes: 0,
    });
  });
});

describe('PartitionSessionizer: duplicates', () => {
  it('ignores a resent event, also when its clock correction moved it a little', () => {
    const { sessionizer, sink } = setup();
    const event = clickEvent({ timestamp: T0 });
    expect(sessionizer.process(event, T0)).toBe('accepted');
    expect(sessionizer.process(event, T0 + 1000)).toBe('duplicate');
    expect(sessionizer.process({ ...event, timestamp: T0 + 7 }, T0 + 2000)).toBe('duplicate');
    expect(sessionizer.process(clickEvent({ timestamp: T0 }), T0)).toBe('accepted');
    sessionizer.drain();
    expect(sink.sessions.filter((o) => o.kind === 'update')).toHaveLength(2);
    expect(sessionizer.stats().duplicates).toBe(2);
  });
});

describe('PartitionSessionizer: identities', () => {
  it('stitches anonymous sessions to a user id and emits the link once', () => {
    const { send, sessionizer, sink, closed } = setup();
    send({ timestamp: T0 });
    send({ timestamp: T0 + MINUTE, type: 'identify', userId: 'u-1' });
    send({ timestamp: T0 + 2 * MINUTE, userId: 'u-1' });
    expect(sink.identities).toEqual([
      {
        site: 's1',
        anonymousId: 'v1',
        userId: 'u-1',
        linkedAt: T0 + MINUTE,
        eventId: expect.any(String),
        via: 'identify',
      },
    ]);
    send({ timestamp: T0 + 5 * HOUR });
    sessionizer.drain();
    expect(closed().map((c) => c.session.userId)).toEqual(['u-1', 'u-1']);
  });

  it('fills in the user of the visitor’s other open session, not of a closed one', () => {
    const { send, sessionizer, closed } = setup();
    send({ timestamp: T0, visitor: 'v0' });
    send({ timestamp: T0 + 40 * MINUTE, visitor: 'v0' });
    send({ timestamp: T0 + 10 * MINUTE });
    send({ timestamp: T0 + 41 * MINUTE });
    // v1's first session is still open (watermark 39.5 min < 10 + 30), v0's first is closed.
    send({ timestamp: T0 + 41.5 * MINUTE, type: 'identify', userId: 'u-2' });
    send({ timestamp: T0 + 41.5 * MINUTE, type: 'identify', userId: 'u-0', visitor: 'v0' });
    sessionizer.drain();
    expect(closed().map((c) => [c.session.visitor, c.session.userId])).toEqual([
      ['v0', null],
      ['v1', 'u-2'],
      ['v0', 'u-0'],
      ['v1', 'u-2'],
    ]);
  });

  it('links an alias previousId to the user id', () => {
    const { send, sink } = setup();
    send({
      timestamp: T0,
      type: 'alias',
      previousId: 'old-anon',
      userId: 'u-3',
      anonymousId: null,
    });
    expect(sink.identities.map((l) => [l.anonymousId, l.userId, l.via])).toEqual([
      ['old-anon', 'u-3', 'alias'],
    ]);
  });
});

describe('PartitionSessionizer: checkpoints', () => {
  it('refuses a checkpoint written under other options, and a corrupt one', () => {
    const { sessionizer, send } = setup();
    send({ timestamp: T0 });
    const snapshot = sessionizer.snapshot();
    const other = new PartitionSessionizer({ gapMs: 10 * MINUTE }, { sink: new CollectingSink() });
    expect(() => other.restore(snapshot)).toThrow(/gapMs/);
    const corrupt = Buffer.from(snapshot);
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
    expect(() => sessionizer.restore(corrupt)).toThrow(/checksum/);
    expect(() => sessionizer.restore(Buffer.from('nonsense'))).toThrow(/not a sessionizer/);
    expect(sessionizer.openSessions()).toBe(1);
  });
});
