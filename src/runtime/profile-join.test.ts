import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  silentLogger,
  type ClickEvent,
  type Profile,
  type Score,
  type SessionClosed,
  type SessionSummary,
  type SessionUpdate,
} from '../core/index.js';
import { MemoryProfileStore, ProfileCache } from '../crm/index.js';
import { ProfileJoin } from './profile-join.js';
import { SESSION_T0, sessionSummary } from './test-sessions.js';
import { ScoringOutputs } from './scoring-outputs.js';
import type { PipelineOutputs } from './partition-pipeline.js';

const profile = (userId: string, segment: string): Profile => ({
  userId,
  emailHash: '',
  segment,
  lifetimeValue: 420,
  orders: 3,
  firstOrderAt: null,
  lastOrderAt: null,
  tenureDays: 100,
  churned: false,
  attributes: {},
  updatedAt: 1,
});

const T0 = SESSION_T0;

const summary = (id: string, userId: string | null): SessionSummary =>
  sessionSummary(id, { userId });

function pageview(id: string): ClickEvent {
  return {
    id: `event-${id}`,
    site: 'shop',
    type: 'page',
    name: '',
    visitor: `visitor-${id}`,
    anonymousId: `visitor-${id}`,
    userId: null,
    previousId: null,
    groupId: null,
    timestamp: T0,
    receivedAt: T0,
    sentAt: T0,
    clockSkewMs: 0,
    futureClamped: false,
    url: 'https://shop.example/',
    path: '/',
    referrer: '',
    title: 'Home',
    pageType: 'home',
    browser: 'Firefox',
    os: 'Linux',
    deviceType: 'desktop',
    isBot: false,
    ipPrefix: '192.0.2.0',
    country: 'DE',
    channel: 'Direct',
    source: '',
    medium: '',
    campaign: '',
    term: '',
    content: '',
    clickId: '',
    referrerClass: 'direct',
    referrerDomain: '',
    isConversion: false,
    revenue: 0,
    currency: '',
    properties: '{}',
    processorVersion: 'test',
  };
}

/** A one-pageview session's update, as the sessionizer emits it (the event is not read here). */
function update(id: string, userId: string | null): SessionUpdate {
  return { kind: 'update', session: summary(id, userId), event: pageview(id) };
}

function closed(id: string, userId: string | null): SessionClosed {
  return { kind: 'closed', session: summary(id, userId), reason: 'gap', mergedInto: null };
}

/** Real cache over the real in-memory store: the join sees what the pipeline would. */
async function cacheWith(...profiles: Profile[]): Promise<ProfileCache> {
  const store = new MemoryProfileStore();
  await store.write(profiles);
  return new ProfileCache({}, { source: store, logger: silentLogger });
}

/** Lets the cache's batched fetch (one per event-loop turn) land. */
async function fetchesLand(): Promise<void> {
  for (let i = 0; i < 5; i++) await turn();
}

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('ProfileJoin', () => {
  it('fills in a profile that lands after the update, once, and forgets users without one', async () => {
    const cache = await cacheWith(profile('u-1', 'vip'));
    closers.push(() => cache.close());
    const late: Array<[string, string]> = [];
    const join = new ProfileJoin(cache, (u, p) => late.push([u.session.id, p.segment]));
    closers.push(() => join.close());

    expect(join.profileFor(update('anon', null))).toBeUndefined();
    expect(join.waiting).toBe(0);

    // First sight of each user: not cached yet, so the updates wait for their fetch.
    expect(join.profileFor(update('s-1', 'u-1'))).toBeUndefined();
    expect(join.profileFor(update('s-2', 'u-unknown'))).toBeUndefined();
    expect(join.waiting).toBe(2);
    await fetchesLand();
    expect(late).toEqual([['s-1', 'vip']]);
    expect(join.waiting).toBe(0);

    // Now cached: the next update carries it at once, and nothing waits.
    expect(join.profileFor(update('s-1', 'u-1'))?.segment).toBe('vip');
    expect(join.profileFor(update('s-2', 'u-unknown'))).toBeUndefined();
    expect(join.waiting).toBe(0);
  });

  it('never fills in a closed session', async () => {
    const cache = await cacheWith(profile('u-1', 'vip'));
    closers.push(() => cache.close());
    const late: string[] = [];
    const join = new ProfileJoin(cache, (u) => late.push(u.session.id));
    closers.push(() => join.close());

    join.profileFor(update('s-1', 'u-1'));
    expect(join.waiting).toBe(1);
    join.closed(closed('s-1', 'u-1').session);
    expect(join.waiting).toBe(0);
    await fetchesLand();
    expect(late).toEqual([]);
  });

  it('bounds what waits, forgetting the oldest first', async () => {
    const cache = await cacheWith(profile('u-1', 'vip'), profile('u-2', 'new'));
    closers.push(() => cache.close());
    const late: string[] = [];
    const join = new ProfileJoin(cache, (u) => late.push(u.session.id), 1);
    closers.push(() => join.close());

    join.profileFor(update('s-1', 'u-1'));
    join.profileFor(update('s-2', 'u-2'));
    expect(join.waiting).toBe(1);
    await fetchesLand();
    expect(late).toEqual(['s-2']);
  });
});

describe('ScoringOutputs with the CRM join', () => {
  it('scores an identified visitor again when the profile lands, and passes everything on', async () => {
    const cache = await cacheWith(profile('u-1', 'vip'));
    closers.push(() => cache.close());
    const passed: string[] = [];
    const next: PipelineOutputs = {
      events: () => undefined,
      session: (_p, output) => passed.push(`${output.kind}:${output.session.id}`),
      identity: () => undefined,
      flush: async () => undefined,
      backedUp: () => false,
    };
    const scores: Score[] = [];
    const outputs = await ScoringOutputs.create(next, {
      logger: silentLogger,
      profiles: cache,
      onScore: (score) => scores.push(score),
    });
    closers.push(() => outputs.close());

    outputs.session(0, update('s-1', 'u-1'));
    expect(scores.map((s) => s.sessionId)).toEqual(['s-1']);
    await fetchesLand();
    // The late profile re-scored the open session: a second score for it, same model.
    expect(scores.map((s) => s.sessionId)).toEqual(['s-1', 's-1']);
    expect(scores[1]?.visitor).toBe(scores[0]?.visitor);
    expect(passed).toEqual(['update:s-1']);
  });
});
