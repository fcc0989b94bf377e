/**
 * The REST API, OpenAPI docs, readiness and metrics on the real Runtime (embedded log, chdb):
 * traffic goes in through the collector (inject), answers come back from the live pipeline and
 * ClickHouse. /v1/score is checked to leave the log, the live pipeline and ClickHouse untouched.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Score } from '../src/core/index.js';
import { loadConfig, type SiteConfig } from '../src/config/index.js';
import { Runtime, type RuntimeParts } from '../src/runtime/index.js';
import { HOSTILE_STRINGS, label } from '../src/storage/testing/hostile-strings.js';
import { pollUntil } from './polling.js';
import { testSite } from './support/collector-harness.js';
import { gatewayFor } from './support/gateway.js';

const SHOP: SiteConfig = testSite('shop');
const BLOG: SiteConfig = testSite('blog');
const bearer = (site: SiteConfig) => ({ authorization: `Bearer ${site.secretKey}` });
const writeKeyAuth = (site: SiteConfig) => ({
  authorization: `Basic ${Buffer.from(`${site.writeKey}:`).toString('base64')}`,
});

let runtime: Runtime;
let parts: RuntimeParts;
let app: FastifyInstance;
/** Builds another gateway on the runtime: its live cache holds only scores made after. */
let gateway: () => Promise<FastifyInstance>;
/** A second gateway, built once visitor-1 was scored: it answers visitor-1 from ClickHouse. */
let historyApp: FastifyInstance | undefined;
/** Every score the live pipeline published, as the websockets would see them. */
const published: Score[] = [];

const START = Date.now() - 10 * 60_000;
const page = (messageId: string, anonymousId: string, path: string, at: number) => ({
  type: 'page',
  messageId,
  anonymousId,
  timestamp: new Date(at).toISOString(),
  properties: { url: `https://shop.example${path}` },
});
const JOURNEY = [
  page('j-1', 'visitor-1', '/', START),
  page('j-2', 'visitor-1', '/product/17', START + 20_000),
  page('j-3', 'visitor-1', '/cart', START + 40_000),
];

async function collect(site: SiteConfig, batch: unknown[]): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { ...writeKeyAuth(site), 'content-type': 'application/json' },
    payload: { batch },
  });
}

function score(
  body: unknown,
  headers: Record<string, string> = bearer(SHOP),
  query = '',
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: `/v1/score${query}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const get = (url: string, headers: Record<string, string> = bearer(SHOP), on = app) =>
  on.inject({ method: 'GET', url, headers });

/** The latest score the pipeline published for a visitor, once it has. */
function liveScoreOf(visitor: string, events: number): Promise<Score> {
  return pollUntil(
    `${events} live scores of ${visitor}`,
    () => {
      const mine = published.filter((s) => s.visitor === visitor);
      return mine.length >= events ? mine[mine.length - 1] : undefined;
    },
    { timeoutMs: 30_000, describe: () => `${published.length} scores published` },
  );
}

/** Waits until ClickHouse has the session with `events` events (through the REST route). */
function storedSession(sessionId: string, events: number): Promise<Record<string, unknown>> {
  return pollUntil(
    `session ${sessionId} stored with ${events} events`,
    async () => {
      const response = await get(`/v1/sessions/${encodeURIComponent(sessionId)}`);
      if (response.statusCode !== 200) return undefined;
      const body = response.json<{ session: Record<string, unknown> }>();
      return body.session['eventCount'] === events ? body : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  const result = await parts.clickhouse.client.query({ query: sql, format: 'JSONEachRow' });
  return result.json();
}

beforeAll(async () => {
  const config = loadConfig({
    PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), 'pathcast-rest-')),
    PATHCAST_PORT: '0',
    PATHCAST_PARTITIONS: '2',
    PATHCAST_SITES: JSON.stringify({ sites: [SHOP, BLOG] }),
  });
  const build = (built: RuntimeParts) => gatewayFor(config, built);
  runtime = new Runtime(config, {
    logger: silentLogger,
    pipeline: { checkpointIntervalMs: 100, tickMs: 100 },
    buildApp: async (built) => {
      parts = built;
      parts.scores.subscribe((s) => published.push(s));
      app = await build(built);
      return app;
    },
  });
  await runtime.start();
  gateway = () => build(parts);

  const first = await collect(SHOP, [
    ...JOURNEY,
    { type: 'identify', messageId: 'j-id', anonymousId: 'visitor-1', userId: 'user-1' },
  ]);
  expect(first.statusCode).toBe(200);
  await liveScoreOf('visitor-1', 4);
  await parts.storage.writers.profiles.write([
    {
      userId: 'user-1',
      emailHash: 'ab'.repeat(32),
      segment: 'loyal',
      lifetimeValue: 420.5,
      orders: 7,
      firstOrderAt: START - 86_400_000 * 300,
      lastOrderAt: START - 86_400_000,
      tenureDays: 300,
      churned: false,
      attributes: { tier: 'gold' },
      updatedAt: START,
    },
  ]);
  historyApp = await build(parts);
}, 120_000);

afterAll(async () => {
  await historyApp?.close();
  await runtime?.close();
});

describe('GET /v1/sessions/:id', () => {
  it("answers the session's latest stored state", async () => {
    const live = await liveScoreOf('visitor-1', 4);
    const body = await storedSession(live.sessionId, 4);
    expect(body).toMatchObject({
      success: true,
      mergedFrom: [],
      session: {
        id: live.sessionId,
        site: 'shop',
        visitor: 'visitor-1',
        userId: 'user-1',
        startedAt: START,
        eventCount: 4,
        pageviewCount: 3,
        path: ['/', '/product/:id', '/cart'],
        closed: false,
      },
    });
  });

  it('is refused without the secret key, with a write key, and to another site', async () => {
    const { sessionId } = await liveScoreOf('visitor-1', 4);
    await storedSession(sessionId, 4);
    const url = `/v1/sessions/${sessionId}`;
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'missing_secret_key'],
      [{ authorization: 'Bearer sk_guess' }, 401, 'invalid_secret_key'],
      [writeKeyAuth(SHOP), 403, 'write_key_forbidden'],
      [bearer(BLOG), 404, 'session_not_found'],
    ];
    for (const [headers, status, code] of cases) {
      const response = await get(url, headers);
      expect([response.statusCode, response.json().code]).toEqual([status, code]);
    }
  });

  it.each(
    [...HOSTILE_STRINGS.filter((s) => s !== ''), 'y'.repeat(10_000)].map((s) => [label(s), s]),
  )('answers 404 with a code for the hostile id %s', async (_label, id) => {
    const response = await get(`/v1/sessions/${encodeURIComponent(id)}`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ success: false, code: 'session_not_found' });
  });
});

describe('GET /v1/visitors/:id', () => {
  it('answers the live propensity, next pages, identities and the CRM profile', async () => {
    const live = await liveScoreOf('visitor-1', 4);
    const body = await pollUntil(
      'the identity link stored',
      async () => {
        const response = await get('/v1/visitors/visitor-1');
        const json = response.json<{ identities: unknown[] }>();
        return json.identities?.length > 0 ? json : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(body).toMatchObject({
      success: true,
      site: 'shop',
      visitor: 'visitor-1',
      score: {
        source: 'live',
        sessionId: live.sessionId,
        at: live.at,
        propensity: live.propensity,
        markovProbability: live.markovProbability,
        nextPages: live.nextPages,
        modelVersion: live.modelVersion,
      },
      identities: [{ anonymousId: 'visitor-1', userId: 'user-1' }],
      profile: { userId: 'user-1', segment: 'loyal', lifetimeValue: 420.5, orders: 7 },
    });
    // What stays in the CRM is not handed out.
    expect(JSON.stringify(body)).not.toContain('gold');
    expect(JSON.stringify(body)).not.toContain('abab');
  });

  it('falls back to the latest stored score when this gateway has none in memory', async () => {
    const live = await liveScoreOf('visitor-1', 4);
    const body = await pollUntil(
      'the score stored',
      async () => {
        const response = await get('/v1/visitors/visitor-1', bearer(SHOP), historyApp);
        const json = response.json<{ score: { at: number } | null }>();
        return json.score?.at === live.at ? json : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(body).toMatchObject({
      score: {
        source: 'history',
        sessionId: live.sessionId,
        propensity: live.propensity,
        nextPages: live.nextPages,
      },
    });
  });

  it('answers 404 for unknown visitors and other sites, 401/403 without a secret key', async () => {
    await liveScoreOf('visitor-1', 4);
    expect((await get('/v1/visitors/nobody')).json().code).toBe('visitor_not_found');
    const other = await get('/v1/visitors/visitor-1', bearer(BLOG));
    expect([other.statusCode, other.json().code]).toEqual([404, 'visitor_not_found']);
    expect((await get('/v1/visitors/visitor-1', {})).statusCode).toBe(401);
    expect((await get('/v1/visitors/visitor-1', writeKeyAuth(SHOP))).statusCode).toBe(403);
    const long = await get(`/v1/visitors/${'z'.repeat(10_000)}`);
    expect([long.statusCode, long.json().code]).toEqual([404, 'visitor_not_found']);
  });

  it('returns hostile visitor ids verbatim, live and from ClickHouse', async () => {
    // Ids the Segment spec allows (1 to 256 characters); each its own visitor.
    const hostile = HOSTILE_STRINGS.filter((s) => s !== '' && s.length <= 256);
    const batch = hostile.map((id, i) => page(`h-${i}`, id, '/cart', START + i));
    const response = await collect(SHOP, batch);
    expect(response.json()).toMatchObject({ success: true, accepted: hostile.length });
    const lives = new Map<string, Score>();
    for (const id of hostile) lives.set(id, await liveScoreOf(id, 1));
    const fresh = await gateway();
    try {
      await checkHostile(hostile, lives, fresh);
    } finally {
      await fresh.close();
    }
  });
});

/** Each hostile visitor id answers verbatim from memory and, on a fresh gateway, from ClickHouse. */
async function checkHostile(
  hostile: readonly string[],
  lives: ReadonlyMap<string, Score>,
  fresh: FastifyInstance,
): Promise<void> {
  for (const id of hostile) {
    const live = lives.get(id);
    const url = `/v1/visitors/${encodeURIComponent(id)}`;
    const fromMemory = await get(url);
    expect(fromMemory.statusCode, label(id)).toBe(200);
    expect(fromMemory.json()).toMatchObject({ visitor: id, score: { source: 'live' } });
    const fromHistory = await pollUntil(
      `the score of ${label(id)} stored`,
      async () => {
        const answer = await get(url, bearer(SHOP), fresh);
        return answer.statusCode === 200 ? answer.json() : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(fromHistory).toMatchObject({
      visitor: id,
      score: { source: 'history', sessionId: live?.sessionId, at: live?.at },
    });
    // The same text as a session id names no session.
    expect((await get(`/v1/sessions/${encodeURIComponent(id)}`)).statusCode).toBe(404);
  }
}

describe('POST /v1/score', () => {
  it('scores with the live model as the pipeline did, per event on request', async () => {
    const live = await liveScoreOf('visitor-1', 4);
    const response = await score({ batch: JOURNEY }, bearer(SHOP), '?perEvent=true');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const model = parts.model();
    expect(body).toMatchObject({
      success: true,
      site: 'shop',
      visitor: 'visitor-1',
      // Same events, same deterministic session id as the live session.
      sessionId: live.sessionId,
      at: START + 40_000,
      isBot: false,
      modelVersion: model?.id,
    });
    expect(body.propensity).toBeGreaterThanOrEqual(0);
    expect(body.propensity).toBeLessThanOrEqual(1);
    expect(body.markovProbability).toBe(model?.markovProbability(['/', '/product/:id', '/cart']));
    expect(body.events.map((e: { messageId: string }) => e.messageId)).toEqual([
      'j-1',
      'j-2',
      'j-3',
    ]);
    // A plain array of events is a body too; without perEvent there is no events list.
    const plain = (await score(JOURNEY)).json();
    expect(plain.events).toBeUndefined();
    expect(plain.sessionId).toBe(live.sessionId);
  });

  it('stores nothing and leaves the live pipeline untouched', async () => {
    await liveScoreOf('visitor-1', 4);
    const endsBefore = (await parts.lag()).map((p) => p.end);
    const scoresBefore = published.length;
    const dry = [
      page('dry-1', 'dry-visitor', '/', START),
      page('dry-2', 'dry-visitor', '/checkout', START + 1_000),
    ];
    for (let i = 0; i < 5; i++) expect((await score({ batch: dry })).statusCode).toBe(200);
    const refused = await score([{ type: 'page', messageId: 'dry-bad' }]);
    expect(refused.json().code).toBe('missing_identity');
    // Nothing was produced to the events topic, nothing was scored live.
    expect((await parts.lag()).map((p) => p.end)).toEqual(endsBefore);
    expect(published.length).toBe(scoresBefore);

    // A sentinel through the collector: once it is stored, so would anything before it be.
    expect((await collect(SHOP, [page('sentinel-1', 'sentinel', '/', START)])).statusCode).toBe(
      200,
    );
    const sentinel = await liveScoreOf('sentinel', 1);
    await storedSession(sentinel.sessionId, 1);
    const endsAfter = (await parts.lag()).map((p) => p.end);
    expect(endsAfter.reduce((a, b) => a + b, 0)).toBe(endsBefore.reduce((a, b) => a + b, 0) + 1);
    expect(published.some((s) => s.visitor === 'dry-visitor')).toBe(false);
    await parts.storage.writers.flush();
    const db = parts.clickhouse.database;
    const [counts] = await rows(
      `SELECT (SELECT count() FROM ${db}.events WHERE visitor = 'dry-visitor') AS events,
              (SELECT count() FROM ${db}.sessions WHERE visitor = 'dry-visitor') AS sessions,
              (SELECT count() FROM ${db}.scores WHERE visitor = 'dry-visitor') AS scores,
              (SELECT count() FROM ${db}.failed_events WHERE id LIKE 'dry-%') AS failed,
              (SELECT count() FROM ${db}.events WHERE visitor = 'sentinel') AS sentinels`,
    );
    expect(counts).toEqual({ events: 0, sessions: 0, scores: 0, failed: 0, sentinels: 1 });
    expect((await get('/v1/visitors/dry-visitor')).statusCode).toBe(404);
  });

  it.each([
    ['invalid JSON', '{"batch": [', 400, 'invalid_json'],
    ['a body that is not events', { events: [] }, 400, 'invalid_body'],
    ['an empty batch', { batch: [] }, 400, 'empty_batch'],
    [
      'too many events',
      { batch: Array.from({ length: 2_501 }, () => ({})) },
      400,
      'too_many_events',
    ],
    ['an event without identity', [{ type: 'page', messageId: 'x' }], 400, 'missing_identity'],
    [
      'two bad events',
      [{ type: 'nope', anonymousId: 'a' }, JOURNEY[0], { type: 'page' }],
      400,
      'event_rejected',
    ],
    ['two visitors', [JOURNEY[0], page('o-1', 'visitor-2', '/', START)], 400, 'multiple_visitors'],
    ['a body over 500 KB', { batch: [{ pad: 'x'.repeat(600_000) }] }, 413, 'batch_too_large'],
  ])('refuses %s with the collector code', async (_name, body, status, code) => {
    const response = await score(body);
    expect([response.statusCode, response.json().code]).toEqual([status, code]);
  });

  it('lists each rejected event by index', async () => {
    const response = await score([
      { type: 'nope', anonymousId: 'a' },
      JOURNEY[0],
      { type: 'page' },
    ]);
    expect(response.json().rejected).toMatchObject([
      { index: 0, code: 'schema_violation' },
      { index: 2, code: 'missing_identity' },
    ]);
  });

  it('refuses a query string it does not understand, and requests without a secret key', async () => {
    const badQuery = await score(JOURNEY, bearer(SHOP), '?perEvent=maybe');
    expect([badQuery.statusCode, badQuery.json().code]).toEqual([400, 'invalid_query']);
    expect((await score(JOURNEY, {})).json().code).toBe('missing_secret_key');
    expect((await score(JOURNEY, writeKeyAuth(SHOP))).json().code).toBe('write_key_forbidden');
    const basicSecret = {
      authorization: `Basic ${Buffer.from(`${SHOP.secretKey}:`).toString('base64')}`,
    };
    expect((await score(JOURNEY, basicSecret)).statusCode).toBe(200);
  });
});

describe('docs, readiness and metrics', () => {
  it('publishes an OpenAPI document listing every public route with a schema', async () => {
    const response = await get('/docs/json', {});
    expect(response.statusCode).toBe(200);
    const spec = response.json<{
      paths: Record<
        string,
        Record<string, { summary?: string; tags?: string[]; responses?: object }>
      >;
    }>();
    const routes: Array<[string, string]> = [
      ['/v1/batch', 'post'],
      ...['track', 'page', 'screen', 'identify', 'alias', 'group'].map((type): [string, string] => [
        `/v1/${type}`,
        'post',
      ]),
      ['/t.js', 'get'],
      ['/v1/score', 'post'],
      ['/v1/sessions/{id}', 'get'],
      ['/v1/visitors/{id}', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
      ['/metrics', 'get'],
    ];
    for (const [path, method] of routes) {
      const operation = spec.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation?.summary, `${method} ${path}`).toMatch(/\w/);
      expect(operation?.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      expect(Object.keys(operation?.responses ?? {}), `${method} ${path}`).toContain('200');
    }
    expect(spec.paths['/v1/score']?.['post']).toHaveProperty('requestBody');
    expect(spec.paths['/v1/batch']?.['post']).toHaveProperty('requestBody');
    expect((await get('/docs', {})).statusCode).toBeLessThan(400);
  });

  it('reports the log, the processing, ClickHouse and the model on /readyz', async () => {
    const response = await get('/readyz', {});
    expect(response.statusCode).toBe(200);
    const model = parts.model();
    expect(model).toBeDefined();
    expect(response.json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'log', ok: true, detail: expect.stringContaining('memory') },
        { name: 'pipeline', ok: true, detail: 'processing' },
        { name: 'clickhouse', ok: true, detail: 'embedded' },
        { name: 'model', ok: true, id: model?.id, version: model?.version },
      ],
    });
  });

  it('lists the operator metrics on /metrics after traffic', async () => {
    await liveScoreOf('visitor-1', 4);
    await score(JOURNEY);
    await score([{ type: 'page' }]);
    expect((await collect(SHOP, [{ type: 'page', messageId: 'm-bad' }])).statusCode).toBe(400);
    const text = (await get('/metrics', {})).body;
    const expected = [
      /^pathcast_collector_events_total\{site="shop"\} [1-9]/m,
      /^pathcast_pipeline_records_total\{outcome="accepted"\} [1-9]/m,
      /^pathcast_log_consumer_lag\{topic="[^"]+",group="[^"]+",partition="0"\} \d+/m,
      /^pathcast_log_consumer_lag\{topic="[^"]+",group="[^"]+",partition="1"\} \d+/m,
      /^pathcast_open_sessions \d+/m,
      /^pathcast_score_seconds_bucket\{le="0.001"\} [1-9]/m,
      /^pathcast_score_seconds_count [1-9]/m,
      /^pathcast_failed_events_total\{reason="missing_identity",stage="collector"\} [1-9]/m,
      /^pathcast_model_auc /m,
      /^pathcast_model_log_loss /m,
      /^pathcast_rest_requests_total\{route="score",code="ok"\} [1-9]/m,
      /^pathcast_rest_requests_total\{route="score",code="missing_identity"\} [1-9]/m,
    ];
    for (const pattern of expected) expect(text).toMatch(pattern);
  });
});
