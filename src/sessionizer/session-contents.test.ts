import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../core/index.js';
import { PartitionSessionizer } from './partition-sessionizer.js';
import { CollectingSink } from './sink.js';
import { clickEvent, HOUR, MINUTE, setup, T0 } from './test-support.js';

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
  it('refuses a checkpoint written under other internal options, and a corrupt one', () => {
    const { sessionizer, send } = setup();
    send({ timestamp: T0 });
    const snapshot = sessionizer.snapshot();
    const other = new PartitionSessionizer(
      { maxTrackedEvents: 4096 },
      { sink: new CollectingSink() },
    );
    expect(() => other.restore(snapshot)).toThrow(
      /checkpoint was written with maxTrackedEvents=2048, this sessionizer has 4096/,
    );
    const corrupt = Buffer.from(snapshot);
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
    expect(() => sessionizer.restore(corrupt)).toThrow(/checksum/);
    expect(() => sessionizer.restore(Buffer.from('nonsense'))).toThrow(/not a sessionizer/);
    expect(sessionizer.openSessions()).toBe(1);
  });

  it('restores under new session rules, says which changed, and closes by the new gap', () => {
    const { sessionizer, send } = setup();
    send({ timestamp: T0 });
    const snapshot = sessionizer.snapshot();
    const sink = new CollectingSink();
    const shorter = new PartitionSessionizer(
      { gapMs: 10 * MINUTE, splitOnCampaign: true },
      { sink },
    );
    expect(shorter.restore(snapshot)).toEqual([
      `gapMs ${30 * MINUTE} -> ${10 * MINUTE}`,
      'splitOnCampaign false -> true',
    ]);
    expect(shorter.openSessions()).toBe(1);
    // The watermark 15 minutes past the session (18 minutes of idle processing time, less the
    // 1-minute idle timeout and the 2-minute out-of-orderness): over the new 10-minute gap,
    // under the old 30-minute one.
    shorter.advanceTime(T0 + 18 * MINUTE);
    expect(shorter.openSessions()).toBe(0);
    const closes = sink.sessions.filter((o) => o.kind === 'closed');
    expect(closes.map((c) => (c.kind === 'closed' ? c.reason : ''))).toEqual(['gap']);
  });
});
