/**
 * Hostile strings on both engines (QUALITY.md, bad input): quotes, backslashes, NUL, `;`,
 * UNION, unicode, 10k characters, in every stored string field of every table and in every
 * string filter of every query. Each string must come back verbatim, and a filter must select
 * exactly the rows that hold it: every hostile string is also the site of its own rows, so a
 * filter that changed the query's shape (`' OR 1=1 --`) would return the other strings' rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickEvent, Profile, SessionSummary } from '../core/index.js';
import type { FailedEvent } from '../ingest/index.js';
import { testServices } from '../../test/services.js';
import type { IdentityLink } from './rows/identity-row.js';
import type { StoredModel } from './rows/model-row.js';
import type { ScoreRecord } from './rows/score-row.js';
import { createStorageQueries, type StorageQueries } from './queries/storage-queries.js';
import { openEnginePair, type EnginePair } from './testing/engines.js';
import { BASE, makeEvent } from './testing/fixtures.js';
import { HOSTILE_STRINGS, label } from './testing/hostile-strings.js';
import { createStorageWriters } from './writer/storage-writers.js';

const RANGE = { from: BASE - 3_600_000, to: BASE + 3_600_000 };

interface Case {
  readonly h: string;
  readonly events: readonly ClickEvent[];
  readonly session: SessionSummary;
  readonly score: ScoreRecord;
  readonly failure: FailedEvent;
  readonly profile: Profile;
  readonly identity: IdentityLink;
  readonly model: StoredModel;
}

/** Every string field of every stored type set to `h` (ids made unique with a prefix). */
function hostileCase(h: string, i: number): Case {
  const id = `${i}:${h}`;
  const at = BASE + i * 60_000;
  const strings = {
    site: h,
    visitor: h,
    anonymousId: h,
    userId: h,
    previousId: h,
    groupId: h,
    url: h,
    path: h,
    referrer: h,
    title: h,
    pageType: h,
    browser: h,
    os: h,
    ipPrefix: h,
    country: h,
    channel: h,
    source: h,
    medium: h,
    campaign: h,
    term: h,
    content: h,
    clickId: h,
    referrerClass: h,
    referrerDomain: h,
    currency: h,
    properties: h,
    processorVersion: h,
  };
  const page = makeEvent({ ...strings, id: `${id}:page`, type: 'page', name: h, timestamp: at });
  const track = makeEvent({
    ...strings,
    id: `${id}:track`,
    type: 'track',
    name: h,
    timestamp: at + 1000,
    isConversion: true,
    revenue: 12.5,
  });
  const session: SessionSummary = {
    id,
    site: h,
    visitor: h,
    userId: h,
    startedAt: at,
    endedAt: at + 1000,
    eventCount: 2,
    pageviewCount: 1,
    path: [h, h],
    entryChannel: h,
    entrySource: h,
    entryMedium: h,
    entryCampaign: h,
    landingPage: h,
    exitPage: h,
    deviceType: h as SessionSummary['deviceType'],
    country: h,
    isBot: false,
    converted: true,
    conversions: 1,
    revenue: 12.5,
    currency: h,
    version: 3,
  };
  return {
    h,
    events: [page, track],
    session,
    score: {
      site: h,
      visitor: h,
      sessionId: id,
      at,
      propensity: 0.25,
      markovProbability: 0.5,
      nextPages: [
        { pageType: h, probability: 0.75 },
        { pageType: '', probability: 0.25 },
      ],
      modelVersion: h,
      channel: h,
      country: h,
      deviceType: h,
    },
    failure: {
      id,
      site: h,
      reason: 'schema_violation',
      message: h,
      stage: 'processor',
      processorVersion: h,
      size: h.length,
      payload: h,
      failedAt: at,
      topic: h,
      partition: 3,
      offset: 42,
    },
    profile: {
      userId: id,
      emailHash: h,
      segment: h,
      lifetimeValue: 1.5,
      orders: 2,
      firstOrderAt: null,
      lastOrderAt: at,
      tenureDays: 10,
      churned: true,
      attributes: { [h]: h, plain: h },
      updatedAt: at,
    },
    identity: { site: h, anonymousId: h, userId: id, at },
    model: {
      kind: id,
      version: h,
      createdAt: at,
      metrics: { [h]: 0.5 },
      snapshot: new Uint8Array(Buffer.from(h, 'utf8')),
    },
  };
}

const CASES = HOSTILE_STRINGS.map(hostileCase);

let engines: EnginePair;
const queries: { name: string; q: StorageQueries }[] = [];

beforeAll(async () => {
  engines = await openEnginePair(testServices().clickhouseUrl, 'pathcast_it_hostile');
  for (const { name, handle } of engines.both) {
    const writers = createStorageWriters(handle, { all: { flushIntervalMs: 20 } });
    await Promise.all([
      writers.events.write(CASES.flatMap((c) => c.events)),
      writers.sessions.write(
        CASES.map((c) => ({ kind: 'closed', session: c.session, reason: 'gap', mergedInto: null })),
      ),
      writers.scores.write(CASES.map((c) => c.score)),
      writers.failedEvents.write(CASES.map((c) => c.failure)),
      writers.profiles.write(CASES.map((c) => c.profile)),
      writers.identities.write(CASES.map((c) => c.identity)),
      writers.models.write(CASES.map((c) => c.model)),
    ]);
    await writers.close();
    queries.push({ name, q: createStorageQueries(handle) });
  }
});

afterAll(async () => {
  await engines?.close();
});

describe.concurrent.each(CASES.map((c) => [label(c.h), c] as const))('%s', (_label, c) => {
  const segment = { ...RANGE, site: c.h, channels: [c.h], countries: [c.h] };
  const engine = (name: string): StorageQueries =>
    queries.find((x) => x.name === name)?.q as StorageQueries;

  // Each test sends its queries together: they are independent, and the machine has two cores.
  it.each(['server', 'embedded'])('is stored and returned verbatim (%s)', async (name) => {
    const q = engine(name);
    const [events, scores, sessions, failures, profiles, identities, models] = await Promise.all([
      q.visitorEvents({ ...RANGE, site: c.h, visitor: c.h }),
      q.scoreTimeline({ site: c.h, sessionId: c.session.id }),
      q.searchSessions({ ...segment, text: c.h, converted: true }),
      q.searchFailedEvents({ ...RANGE, site: c.h, text: c.h }),
      q.profiles([c.profile.userId]),
      q.identities({ site: c.h, anonymousId: c.h, userId: c.identity.userId }),
      q.latestModels(c.model.kind),
    ]);
    expect(events).toEqual(c.events);
    expect(scores).toEqual([c.score]);
    expect(sessions.sessions).toEqual([{ ...c.session, closed: true, closeReason: 'gap' }]);
    expect(failures.failures).toEqual([c.failure]);
    expect(profiles).toEqual([c.profile]);
    expect(identities).toEqual([c.identity]);
    expect(models).toEqual([c.model]);
  });

  it.each(['server', 'embedded'])('filters select exactly its rows (%s)', async (name) => {
    const q = engine(name);
    const [kpis, series, flow, paths, steps, counts] = await Promise.all([
      q.overview(segment),
      q.timeSeries({ ...segment, bucket: 'hour' }),
      q.pageFlow(segment),
      q.channelPaths(segment),
      q.funnel({
        ...segment,
        steps: [
          { kind: 'page', pageType: c.h },
          { kind: 'event', name: c.h },
        ],
        windowMs: 60_000,
      }),
      q.failureCounts({ ...RANGE, site: c.h }),
    ]);
    expect(kpis).toMatchObject({ sessions: 1, visitors: 1, convertedSessions: 1, scores: 1 });
    expect(kpis.revenue).toBe(12.5);
    expect(kpis.averagePropensity).toBe(0.25);
    expect(series.reduce((n, p) => n + p.sessions, 0)).toBe(1);
    expect(flow).toEqual([
      {
        step: 1,
        from: { kind: 'page', pageType: c.h },
        to: { kind: 'page', pageType: c.h },
        sessions: 1,
      },
      { step: 2, from: { kind: 'page', pageType: c.h }, to: { kind: 'conversion' }, sessions: 1 },
    ]);
    expect(paths).toEqual([{ channels: [c.h], conversions: 1, value: 12.5, nulls: 0 }]);
    expect(steps.map((s) => s.visitors)).toEqual([1, 1]);
    expect(counts).toEqual([{ reason: 'schema_violation', count: 1 }]);
  });

  it.each(['server', 'embedded'])(
    'as a filter on other rows it matches nothing (%s)',
    async (name) => {
      const q = engine(name);
      // Another case's site, with this case's string in every other filter.
      const other = (CASES.find((x) => x.h !== c.h && !x.h.includes(c.h)) ??
        CASES.find((x) => x.h !== c.h)) as Case;
      const mixed = { ...RANGE, site: other.h, channels: [c.h], countries: [c.h] };
      const results = await Promise.all([
        q.overview(mixed).then((k) => k.sessions + k.scores),
        q.pageFlow(mixed),
        q.channelPaths(mixed),
        q.searchSessions(mixed).then((p) => p.sessions),
        c.h === ''
          ? []
          : q.searchSessions({ ...RANGE, site: other.h, text: c.h }).then((p) => p.sessions),
        q.visitorEvents({ ...RANGE, site: other.h, visitor: c.h }),
        q.scoreTimeline({ site: other.h, sessionId: c.session.id }),
        q.profiles([c.h]),
        q.latestModels(c.h),
      ]);
      expect(results).toEqual([0, [], [], [], [], [], [], [], []]);
    },
  );
});
