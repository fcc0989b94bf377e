/**
 * Session lookup by id and a visitor's latest score, on both engines (Debian's 18.16 server and
 * chdb): versions written in separate parts are collapsed by the query, merged-away sessions
 * resolve to their survivor, and hostile ids come back verbatim or not at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionOutput, SessionSummary } from '../../core/index.js';
import { testServices } from '../../../test/services.js';
import type { ScoreRecord } from '../rows/score-row.js';
import { openEnginePair, type EnginePair } from '../testing/engines.js';
import { BASE, SITES, makeEvent } from '../testing/fixtures.js';
import { HOSTILE_STRINGS, label } from '../testing/hostile-strings.js';
import { createStorageWriters } from '../writer/storage-writers.js';
import { buildSessionById } from './session-by-id.js';
import { createStorageQueries, type StorageQueries } from './storage-queries.js';

const SITE = SITES[0];
const HOSTILE_SITE = SITES[1];

function summary(
  id: string,
  version: number,
  fields: Partial<SessionSummary> = {},
): SessionSummary {
  return {
    id,
    site: SITE,
    visitor: `visitor-of-${id}`,
    userId: null,
    startedAt: BASE,
    endedAt: BASE + version * 1_000,
    eventCount: version,
    pageviewCount: version,
    path: Array.from({ length: version }, (_, i) => `/page-${i}`),
    entryChannel: 'Email',
    entrySource: 'newsletter',
    entryMedium: 'email',
    entryCampaign: 'spring',
    landingPage: '/page-0',
    exitPage: `/page-${version - 1}`,
    deviceType: 'mobile',
    country: 'DE',
    isBot: false,
    converted: false,
    conversions: 0,
    revenue: 0,
    currency: '',
    version,
    ...fields,
  };
}

const update = (session: SessionSummary): SessionOutput => ({
  kind: 'update',
  session,
  event: makeEvent({ id: `${session.id}-e${session.version}`, site: session.site }),
});

const merged = (session: SessionSummary, into: string): SessionOutput => ({
  kind: 'closed',
  session,
  reason: 'merged',
  mergedInto: into,
});

// Each group is written by its own insert, so versions of one id sit in different parts.
const WRITES: SessionOutput[][] = [
  // "open": three updates, the latest is v3.
  [update(summary('open', 1))],
  [update(summary('open', 2)), update(summary('open', 3))],
  // "closed": updated, then closed with reason gap.
  [update(summary('closed', 1, { converted: true, conversions: 1, revenue: 42 }))],
  [
    {
      kind: 'closed',
      session: summary('closed', 2, { converted: true, conversions: 1, revenue: 42 }),
      reason: 'gap',
      mergedInto: null,
    },
  ],
  // "late" bridged "early" and "survivor": late -> early (renamed) -> survivor.
  [update(summary('late', 1)), update(summary('early', 1)), update(summary('survivor', 1))],
  [merged(summary('late', 2), 'early'), update(summary('survivor', 2))],
  [merged(summary('early', 2), 'survivor'), update(summary('survivor', 4))],
  // A tombstone with no successor, and a corrupt cycle.
  [merged(summary('gone', 1), '')],
  [merged(summary('cycle-a', 1), 'cycle-b'), merged(summary('cycle-b', 1), 'cycle-a')],
  // The same id on the hostile site: a site only sees its own sessions.
  [update(summary('open', 7, { site: HOSTILE_SITE, visitor: 'other' }))],
  // Every hostile string as a session id (and visitor) of the hostile site.
  HOSTILE_STRINGS.filter((s) => s !== '').map((s) =>
    update(summary(s, 1, { site: HOSTILE_SITE, visitor: s })),
  ),
];

const score = (
  visitor: string,
  sessionId: string,
  at: number,
  propensity: number,
): ScoreRecord => ({
  site: SITE,
  visitor,
  sessionId,
  at,
  propensity,
  markovProbability: propensity / 2,
  nextPages: [{ pageType: '/cart', probability: 0.25 }],
  modelVersion: `ftrl@${at - BASE}`,
});

const SCORES: ScoreRecord[] = [
  score('v-1', 's1', BASE + 1_000, 0.1),
  score('v-1', 's2', BASE + 9_000, 0.9),
  score('v-1', 's2', BASE + 9_000, 0.9), // replayed
  score('v-1', 's1', BASE + 5_000, 0.5),
  score('v-2', 's3', BASE + 20_000, 0.3),
  ...HOSTILE_STRINGS.map((s, i) => ({
    ...score(s, `h-${i}`, BASE + i, i / 100),
    site: HOSTILE_SITE,
  })),
];

let engines: EnginePair;
const queries: { name: string; q: StorageQueries }[] = [];

beforeAll(async () => {
  engines = await openEnginePair(testServices().clickhouseUrl, 'pathcast_it_session_by_id');
  for (const { name, handle } of engines.both) {
    const writers = createStorageWriters(handle, {
      all: { batchRows: 10_000, flushIntervalMs: 10 },
    });
    for (const outputs of WRITES) await writers.sessions.write(outputs);
    await writers.scores.write(SCORES);
    await writers.close();
    queries.push({ name, q: createStorageQueries(handle) });
  }
});

afterAll(async () => {
  await engines?.close();
});

describe('session by id', () => {
  it('collapses versions written in separate parts to the latest', async () => {
    for (const { q } of queries) {
      const found = await q.session({ site: SITE, id: 'open' });
      expect(found?.mergedFrom).toEqual([]);
      expect(found?.session).toMatchObject({
        id: 'open',
        site: SITE,
        version: 3,
        eventCount: 3,
        path: ['/page-0', '/page-1', '/page-2'],
        closed: false,
        closeReason: '',
      });
    }
  });

  it('answers a closed session with its close reason', async () => {
    for (const { q } of queries) {
      const found = await q.session({ site: SITE, id: 'closed' });
      expect(found?.session).toMatchObject({
        version: 2,
        closed: true,
        closeReason: 'gap',
        converted: true,
        revenue: 42,
      });
    }
  });

  it('resolves merged-away ids to the session they became part of', async () => {
    for (const { q } of queries) {
      const found = await q.session({ site: SITE, id: 'late' });
      expect(found?.mergedFrom).toEqual(['late', 'early']);
      expect(found?.session).toMatchObject({ id: 'survivor', version: 4 });
      expect((await q.session({ site: SITE, id: 'early' }))?.mergedFrom).toEqual(['early']);
    }
  });

  it('answers nothing for unknown ids, dead ends, cycles and other sites', async () => {
    for (const { q } of queries) {
      for (const id of ['nope', 'gone', 'cycle-a', 'survivor-x', 'OPEN']) {
        expect(await q.session({ site: SITE, id })).toBeUndefined();
      }
      expect(await q.session({ site: 'elsewhere', id: 'open' })).toBeUndefined();
      // Same id, other site: that site's own row, never this one's.
      const other = await q.session({ site: HOSTILE_SITE, id: 'open' });
      expect(other?.session).toMatchObject({ site: HOSTILE_SITE, visitor: 'other', version: 7 });
    }
  });

  it.each(HOSTILE_STRINGS.filter((s) => s !== '').map((s) => [label(s), s]))(
    'returns the hostile id %s verbatim',
    async (_label, id) => {
      for (const { q } of queries) {
        const found = await q.session({ site: HOSTILE_SITE, id });
        // A lone surrogate is stored as U+FFFD; none of these strings has one.
        expect(found?.session.id).toBe(id);
        expect(found?.session.visitor).toBe(id);
        // The same text on the other site, or with a suffix, finds nothing.
        expect(await q.session({ site: SITE, id })).toBeUndefined();
        expect(await q.session({ site: HOSTILE_SITE, id: `${id}'` })).toBeUndefined();
      }
    },
  );

  it('keeps the id a single escaped literal in the SQL', () => {
    const sql = buildSessionById('db', { site: SITE, id: "x' OR 1=1 --" });
    expect(sql).toContain("id = 'x\\' OR 1=1 --'");
  });
});

describe('latest score of a visitor', () => {
  it('answers the newest score by event time', async () => {
    for (const { q } of queries) {
      expect(await q.latestVisitorScore({ site: SITE, visitor: 'v-1' })).toEqual({
        ...score('v-1', 's2', BASE + 9_000, 0.9),
        channel: '',
        country: '',
        deviceType: '',
      });
      expect(await q.latestVisitorScore({ site: SITE, visitor: 'v-3' })).toBeUndefined();
      expect(await q.latestVisitorScore({ site: HOSTILE_SITE, visitor: 'v-1' })).toBeUndefined();
    }
  });

  it.each(HOSTILE_STRINGS.map((s, i) => [label(s), s, i] as const))(
    'finds the hostile visitor %s verbatim',
    async (_label, visitor, i) => {
      for (const { q } of queries) {
        const found = await q.latestVisitorScore({ site: HOSTILE_SITE, visitor });
        expect(found?.visitor).toBe(visitor);
        expect(found?.sessionId).toBe(`h-${i}`);
      }
    },
  );
});
