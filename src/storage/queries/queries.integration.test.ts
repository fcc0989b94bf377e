/**
 * Every query on both engines: the real ClickHouse server (Debian's 18.16) and embedded chdb
 * (26.x) must return the same answer, and the answer this test computes itself from the
 * fixture history (testing/expected.ts). The history has replays, a merged-away session, open
 * sessions, duplicate events and failures, and crosses a month (partition) boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePathFile } from '../../markov-online/index.js';
import { testServices } from '../../../test/services.js';
import { openEnginePair, type EnginePair } from '../testing/engines.js';
import {
  expectedChannelPaths,
  expectedFailures,
  expectedFunnel,
  expectedOverview,
  expectedPageFlow,
  expectedSessions,
  expectedTimeSeries,
} from '../testing/expected.js';
import { BASE, SITES, buildHistory, type History } from '../testing/fixtures.js';
import { createStorageWriters } from '../writer/storage-writers.js';
import { toChannelAttributionFile } from './attribution.js';
import type { FailedEventSearch } from './failed-events.js';
import type { SegmentFilter } from './filters.js';
import type { FunnelQuery } from './funnel.js';
import type { SessionSearch } from './session-search.js';
import { createStorageQueries, type StorageQueries } from './storage-queries.js';

const DAY = 86_400_000;
const history: History = buildHistory();

let engines: EnginePair;
const queries: { name: string; q: StorageQueries }[] = [];

beforeAll(async () => {
  engines = await openEnginePair(testServices().clickhouseUrl, 'pathcast_it_queries');
  for (const { name, handle } of engines.both) {
    // Small batches: many parts, so every read has to de-duplicate by itself.
    const writers = createStorageWriters(handle, { all: { batchRows: 150, flushIntervalMs: 50 } });
    await Promise.all([
      writers.events.write(history.events),
      writers.sessions.write(history.sessionOutputs),
      writers.scores.write(history.scores),
      writers.failedEvents.write(history.failures),
      writers.profiles.write(history.profiles),
      writers.identities.write(history.identities),
    ]);
    await writers.close();
    queries.push({ name, q: createStorageQueries(handle) });
  }
});

afterAll(async () => {
  await engines?.close();
});

/** Floats summed in different orders differ in the last bits; compare at 1e-9. */
function rounded<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e9) / 1e9 : v,
    ),
  ) as T;
}

async function onBoth<T>(run: (q: StorageQueries) => Promise<T>): Promise<T[]> {
  return Promise.all(queries.map(({ q }) => run(q).then(rounded)));
}

const ALL: SegmentFilter = { site: SITES[0], from: BASE - DAY, to: BASE + 4 * DAY };
const SEGMENTS: Record<string, SegmentFilter> = {
  'whole site': ALL,
  'the hostile site': { ...ALL, site: SITES[1] },
  'channels, countries and devices': {
    ...ALL,
    channels: ['Email', "Direct'; --"],
    countries: ['DE', ''],
    devices: ['mobile', 'desktop'],
  },
  'one day (minute-aligned)': { ...ALL, from: BASE + 2 * 3_600_000, to: BASE + 26 * 3_600_000 },
  'nothing matches': { ...ALL, channels: ["' OR 1=1 --"] },
};

describe.each(Object.entries(SEGMENTS))('segment: %s', (name, filter) => {
  it('overview KPIs', async () => {
    const [server, embedded] = await onBoth((q) => q.overview(filter));
    const expected = rounded(expectedOverview(history, filter));
    // Guards against a fixture that makes every comparison trivially 0 = 0.
    if (name !== 'nothing matches') {
      expect(expected.sessions).toBeGreaterThan(0);
      expect(expected.scores).toBeGreaterThan(0);
    }
    expect(server).toEqual(expected);
    expect(embedded).toEqual(server);
  });

  it.each(['hour', 'day'] as const)('time series by %s', async (bucket) => {
    const query = { ...filter, bucket };
    const [server, embedded] = await onBoth((q) => q.timeSeries(query));
    expect(server).toEqual(rounded(expectedTimeSeries(history, query)));
    expect(embedded).toEqual(server);
  });

  it('page flow for a Sankey', async () => {
    const query = { ...filter, maxSteps: 4, linksPerStep: 6 };
    const [server, embedded] = await onBoth((q) => q.pageFlow(query));
    expect(server).toEqual(expectedPageFlow(history, query));
    expect(embedded).toEqual(server);
  });

  it('channel paths for attribution', async () => {
    const [server, embedded] = await onBoth((q) => q.channelPaths(filter));
    expect(server).toEqual(rounded(expectedChannelPaths(history, filter)));
    expect(embedded).toEqual(server);
  });

  it('session search, page by page', async () => {
    for (const { q } of queries) {
      const seen = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const result = await q.searchSessions({
          ...filter,
          limit: 7,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...result.sessions);
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      expect(rounded(seen)).toEqual(rounded(expectedSessions(history, filter)));
    }
  });
});

it('a minute time series fills the empty minutes', async () => {
  const query = { ...ALL, from: BASE, to: BASE + 90 * 60_000, bucket: 'minute' as const };
  const [server, embedded] = await onBoth((q) => q.timeSeries(query));
  expect(server).toHaveLength(90);
  expect(server).toEqual(rounded(expectedTimeSeries(history, query)));
  expect(embedded).toEqual(server);
});

it('the merged-away session and its conversions are nowhere', async () => {
  const [server] = await onBoth((q) => q.searchSessions({ ...ALL, text: 'v0', limit: 1000 }));
  expect(server?.sessions.map((s) => s.id)).not.toContain('s-000-ghost');
  const overview = await queries[0]?.q.overview(ALL);
  expect(overview?.revenue).not.toBeGreaterThan(900);
});

describe('session search filters', () => {
  const cases: Record<string, [SessionSearch, Parameters<typeof expectedSessions>[2]]> = {
    converted: [{ ...ALL, converted: true }, (t) => t.summary.converted],
    'not converted': [{ ...ALL, converted: false }, (t) => !t.summary.converted],
    'text in the visitor id, any case': [
      { ...ALL, text: "IT'S \\" },
      (t) => t.summary.visitor.toLowerCase().includes("it's \\"),
    ],
    'text in the user id': [
      { ...ALL, text: 'user-1' },
      (t) => (t.summary.userId ?? '').includes('user-1'),
    ],
    'a LIKE pattern means itself': [{ ...ALL, text: '%' }, () => false],
    'minimum propensity': [
      { ...ALL, minPropensity: 0.9 },
      (t) =>
        history.scores.some(
          (s) => s.sessionId === t.summary.id && s.site === t.summary.site && s.propensity >= 0.9,
        ),
    ],
  };
  it.each(Object.entries(cases))('%s', async (_name, [search, extra]) => {
    const [server, embedded] = await onBoth((q) => q.searchSessions({ ...search, limit: 1000 }));
    const expected = rounded(expectedSessions(history, search, extra));
    if (search.text !== '%') expect(expected.length).toBeGreaterThan(0);
    expect(server?.sessions).toEqual(expected);
    expect(embedded).toEqual(server);
  });
});

describe('funnels (windowFunnel)', () => {
  const funnels: Record<string, FunnelQuery> = {
    'product, cart, checkout within an hour': {
      ...ALL,
      steps: [
        { kind: 'page', pageType: '/product/:id' },
        { kind: 'page', pageType: '/cart' },
        { kind: 'page', pageType: '/checkout' },
      ],
      windowMs: 3_600_000,
    },
    'any page to an order within 2 minutes': {
      ...ALL,
      steps: [
        { kind: 'page', pageType: '/' },
        { kind: 'event', name: 'Order Completed' },
      ],
      windowMs: 120_000,
    },
    'to a conversion, mobile only, over 60 days (seconds unit)': {
      ...ALL,
      from: BASE - 30 * DAY,
      to: BASE + 30 * DAY,
      devices: ['mobile'],
      steps: [
        { kind: 'page', pageType: "/it's \\ weird" },
        { kind: 'page', pageType: '/cart' },
        { kind: 'conversion' },
      ],
      windowMs: 86_400_000,
    },
  };
  it.each(Object.entries(funnels))('%s', async (_name, query) => {
    const [server, embedded] = await onBoth((q) => q.funnel(query));
    expect(server?.map((s) => s.visitors)).toEqual(expectedFunnel(history, query));
    expect(server?.[0]?.visitors).toBeGreaterThan(0);
    expect(embedded).toEqual(server);
  });
});

describe('failed events', () => {
  const range = { from: BASE - DAY, to: BASE + DAY };
  const searches: Record<string, FailedEventSearch> = {
    'all sites': range,
    'one site': { ...range, site: SITES[1] },
    'by reason and stage': {
      ...range,
      reasons: ['late', 'invalid_json'],
      stages: ['collector', 'sessionizer'],
    },
    'a time window': { from: BASE + 30 * 60_000, to: BASE + 90 * 60_000 },
  };
  it.each(Object.entries(searches))('%s, page by page', async (_name, search) => {
    for (const { q } of queries) {
      const seen = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const result = await q.searchFailedEvents({
          ...search,
          limit: 4,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...result.failures);
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      expect(seen).toEqual(expectedFailures(history, search));
    }
  });

  it('text search in id and message', async () => {
    const search = { ...range, text: "IT'S \\ HERE", limit: 1000 };
    const [server, embedded] = await onBoth((q) => q.searchFailedEvents(search));
    expect(server?.failures).toEqual(
      expectedFailures(history, search, (f) => f.message.includes("it's \\ here")),
    );
    expect(server?.failures.length).toBeGreaterThan(0);
    expect(embedded).toEqual(server);
  });

  it('counts by reason', async () => {
    const [server, embedded] = await onBoth((q) => q.failureCounts(range));
    const expected = new Map<string, number>();
    for (const f of expectedFailures(history, range)) {
      expected.set(f.reason, (expected.get(f.reason) ?? 0) + 1);
    }
    expect(Object.fromEntries(server?.map((c) => [c.reason, c.count]) ?? [])).toEqual(
      Object.fromEntries(expected),
    );
    expect(embedded).toEqual(server);
  });
});

describe('records', () => {
  it('visitor events come back once each, in time order', async () => {
    const visitor = history.sessions[3]?.summary.visitor as string;
    const site = history.sessions[3]?.summary.site as string;
    const query = { site, visitor, from: BASE - DAY, to: BASE + 4 * DAY };
    const [server, embedded] = await onBoth((q) => q.visitorEvents(query));
    const ids = new Set<string>();
    const expected = history.events
      .filter((e) => e.site === site && e.visitor === visitor && !ids.has(e.id) && ids.add(e.id))
      .sort((a, b) => a.timestamp - b.timestamp || (a.id < b.id ? -1 : 1));
    expect(server).toEqual(expected);
    expect(embedded).toEqual(server);
  });

  it('profiles: the latest version of each', async () => {
    const ids = ['user-0', 'user-3', 'user-6', 'nobody'];
    const [server, embedded] = await onBoth((q) => q.profiles(ids));
    const latest = new Map<string, (typeof history.profiles)[number]>();
    for (const p of history.profiles) {
      const seen = latest.get(p.userId);
      if (ids.includes(p.userId) && (seen === undefined || p.updatedAt > seen.updatedAt)) {
        latest.set(p.userId, p);
      }
    }
    expect(server).toEqual([...latest.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1)));
    expect(embedded).toEqual(server);
  });

  it("a session's score timeline, each time once", async () => {
    const session = history.sessions[5]?.summary as (typeof history.sessions)[number]['summary'];
    const query = { site: session.site, sessionId: session.id };
    const [server, embedded] = await onBoth((q) => q.scoreTimeline(query));
    const expected = history.scores
      .filter((s) => s.site === session.site && s.sessionId === session.id)
      .sort((a, b) => a.at - b.at);
    expect(expected.length).toBeGreaterThan(0);
    expect(server).toEqual(rounded(expected));
    expect(embedded).toEqual(server);
  });

  it('identities of an anonymous id', async () => {
    const link = history.identities[1];
    const lookup = { site: link?.site as string, anonymousId: link?.anonymousId as string };
    const [server, embedded] = await onBoth((q) => q.identities(lookup));
    expect(server).toEqual([link]);
    expect(embedded).toEqual(server);
  });
});

it('channel paths export to a file the attribution command reads back', async () => {
  const [paths] = await onBoth((q) => q.channelPaths(ALL));
  const text = toChannelAttributionFile(paths ?? []);
  const parsed = parsePathFile(text);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  expect(parsed.value.issues).toEqual([]);
  expect(parsed.value.journeys).toHaveLength(paths?.length ?? -1);
  const total = (paths ?? []).reduce((n, p) => n + p.conversions, 0);
  expect(parsed.value.journeys.reduce((n, j) => n + j.conversions, 0)).toBe(total);
  // ';' cannot live inside a channel name in this format: it became a space.
  expect(parsed.value.journeys.flatMap((j) => j.channels)).toContain("Direct'  --");
});
