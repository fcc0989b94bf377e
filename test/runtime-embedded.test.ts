import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/index.js';
import { loadConfig } from '../src/config/index.js';
import { Runtime, type RuntimeParts } from '../src/runtime/index.js';
import { gatewayFor } from './support/gateway.js';

// The embedded shape end to end, in one process: collector -> in-memory log -> ingest ->
// sessionizer -> chdb. Nothing external is needed, so this runs with the unit tests.
describe('Runtime (embedded)', () => {
  it('stores accepted events, their sessions, live scores and failed events in chdb', async () => {
    const config = loadConfig({
      PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), 'pathcast-runtime-')),
      PATHCAST_PORT: '0',
      PATHCAST_PARTITIONS: '2',
      PATHCAST_SITES: JSON.stringify({
        sites: [{ id: 'shop', writeKey: 'wk_shop_1234', secretKey: 'sk_shop_1234' }],
      }),
    });
    let parts: RuntimeParts | undefined;
    const runtime = new Runtime(config, {
      logger: silentLogger,
      pipeline: { checkpointIntervalMs: 100, tickMs: 100 },
      buildApp: (built) => {
        parts = built;
        return gatewayFor(config, built);
      },
    });
    await runtime.start();
    try {
      const url = runtime.status().url ?? '';
      const base = Date.now() - 60_000;
      const batch = [
        ...['home', 'product/17', 'cart'].map((page, i) => ({
          type: 'page',
          messageId: `p-${i}`,
          anonymousId: 'visitor-1',
          timestamp: new Date(base + i * 1_000).toISOString(),
          properties: { url: `https://shop.example/${page}` },
        })),
        {
          type: 'track',
          event: 'Order Completed',
          messageId: 'order-1',
          anonymousId: 'visitor-1',
          timestamp: new Date(base + 5_000).toISOString(),
          properties: { revenue: 42, currency: 'EUR' },
        },
        { type: 'track', event: 'No identity', messageId: 'bad-1' },
      ];
      const response = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from('wk_shop_1234:').toString('base64')}`,
        },
        body: JSON.stringify({ batch }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ accepted: 4, rejected: [{ index: 4 }] });

      const handle = parts?.clickhouse;
      if (handle === undefined) throw new Error('the runtime built no app');
      const query = async (sql: string): Promise<Array<Record<string, unknown>>> =>
        (await handle.client.query({ query: sql, format: 'JSONEachRow' })).json();
      const db = handle.database;
      const deadline = Date.now() + 30_000;
      let stored: Array<Record<string, unknown>> = [];
      for (;;) {
        stored = await query(
          `SELECT (SELECT uniqExact(id) FROM ${db}.events) AS events,
                  (SELECT uniqExact(id) FROM ${db}.failed_events) AS failed,
                  (SELECT uniqExact(id) FROM ${db}.sessions) AS sessions,
                  (SELECT count() FROM ${db}.scores) AS scores`,
        );
        const row = stored[0] ?? {};
        if (
          row['events'] === 4 &&
          row['failed'] === 1 &&
          row['sessions'] === 1 &&
          row['scores'] === 4
        ) {
          break;
        }
        if (Date.now() > deadline) throw new Error(`not stored in time: ${JSON.stringify(stored)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const [session] = await query(
        `SELECT argMax(event_count, row_version) AS events, argMax(revenue, row_version) AS revenue,
                argMax(converted, row_version) AS converted
         FROM ${db}.sessions GROUP BY id`,
      );
      expect(session).toMatchObject({ events: 4, revenue: 42, converted: 1 });
      // Every session update was scored live with the model the trainer serves.
      const scores = await query(
        `SELECT propensity, markov_probability AS markov FROM ${db}.scores ORDER BY at`,
      );
      expect(scores).toHaveLength(4);
      for (const score of scores) {
        expect(score['propensity']).toBeGreaterThanOrEqual(0);
        expect(score['propensity']).toBeLessThanOrEqual(1);
      }
    } finally {
      await runtime.close();
    }
  }, 60_000);

  it('cuts sessions by the configured gap, in the pipeline and in /v1/score alike', async () => {
    const config = loadConfig({
      PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), 'pathcast-runtime-gap-')),
      PATHCAST_PORT: '0',
      PATHCAST_PARTITIONS: '1',
      PATHCAST_SESSION_GAP_MINUTES: '1',
      PATHCAST_SITES: JSON.stringify({
        sites: [{ id: 'shop', writeKey: 'wk_shop_gap1', secretKey: 'sk_shop_gap1' }],
      }),
    });
    let parts: RuntimeParts | undefined;
    const runtime = new Runtime(config, {
      logger: silentLogger,
      pipeline: { checkpointIntervalMs: 100, tickMs: 100 },
      buildApp: (built) => {
        parts = built;
        return gatewayFor(config, built);
      },
    });
    await runtime.start();
    try {
      const url = runtime.status().url ?? '';
      const base = Date.now() - 10 * 60_000;
      // 30 s, then 150 s apart: one session under a 1-minute gap, then another (the default
      // 30-minute gap would keep all three in one).
      const batch = [0, 30_000, 180_000].map((offset, i) => ({
        type: 'page',
        messageId: `gap-${i}`,
        anonymousId: 'visitor-gap',
        timestamp: new Date(base + offset).toISOString(),
        properties: { url: `https://shop.example/page/${i}` },
      }));
      const collected = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from('wk_shop_gap1:').toString('base64')}`,
        },
        body: JSON.stringify({ batch }),
      });
      expect(collected.status).toBe(200);

      const handle = parts?.clickhouse;
      if (handle === undefined) throw new Error('the runtime built no app');
      const db = handle.database;
      const deadline = Date.now() + 30_000;
      let sessions: Array<{ id: string; events: number }> = [];
      for (;;) {
        sessions = await (
          await handle.client.query({
            query: `SELECT id, argMax(event_count, row_version) AS events FROM ${db}.sessions
                    GROUP BY id ORDER BY min(started_at)`,
            format: 'JSONEachRow',
          })
        ).json();
        if (sessions.reduce((sum, row) => sum + row.events, 0) === 3) break;
        if (Date.now() > deadline)
          throw new Error(`not stored in time: ${JSON.stringify(sessions)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(sessions.map((row) => row.events)).toEqual([2, 1]);

      const scored = await fetch(`${url}/v1/score?perEvent=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk_shop_gap1' },
        body: JSON.stringify({ batch }),
      });
      expect(scored.status).toBe(200);
      const answer = (await scored.json()) as { events: Array<{ sessionId: string }> };
      expect(answer.events.map((e) => e.sessionId)).toEqual([
        sessions[0]?.id,
        sessions[0]?.id,
        sessions[1]?.id,
      ]);
    } finally {
      await runtime.close();
    }
  }, 60_000);

  it("enriches each site's events with the site's own page types and conversions", async () => {
    const config = loadConfig({
      PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), 'pathcast-runtime-sites-')),
      PATHCAST_PORT: '0',
      PATHCAST_PARTITIONS: '1',
      PATHCAST_SITES: JSON.stringify({
        sites: [
          {
            id: 'books',
            writeKey: 'wk_books_123',
            secretKey: 'sk_books_123',
            pageTypes: [{ pattern: '/title/*', pageType: 'book' }],
            conversionEvents: ['Book Bought'],
            currency: 'EUR',
          },
        ],
      }),
    });
    let parts: RuntimeParts | undefined;
    const runtime = new Runtime(config, {
      logger: silentLogger,
      pipeline: { checkpointIntervalMs: 100, tickMs: 100 },
      buildApp: (built) => {
        parts = built;
        return gatewayFor(config, built);
      },
    });
    await runtime.start();
    try {
      const at = new Date(Date.now() - 60_000).toISOString();
      const reader = { anonymousId: 'reader-1', timestamp: at };
      const batch = [
        {
          ...reader,
          type: 'page',
          messageId: 'b-1',
          properties: { url: 'https://b.example/title/dune' },
        },
        // Not this site's conversion: the default Order Completed is not one here.
        {
          ...reader,
          type: 'track',
          event: 'Order Completed',
          messageId: 'b-2',
          properties: { revenue: 5 },
        },
        {
          ...reader,
          type: 'track',
          event: 'Book Bought',
          messageId: 'b-3',
          properties: { revenue: 9.5 },
        },
      ];
      const collected = await fetch(`${runtime.status().url ?? ''}/v1/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from('wk_books_123:').toString('base64')}`,
        },
        body: JSON.stringify({ batch }),
      });
      expect(collected.status).toBe(200);

      const handle = parts?.clickhouse;
      if (handle === undefined) throw new Error('the runtime built no app');
      const db = handle.database;
      const deadline = Date.now() + 30_000;
      let events: Array<Record<string, unknown>> = [];
      for (;;) {
        events = await (
          await handle.client.query({
            query: `SELECT id, page_type, is_conversion, revenue, currency FROM ${db}.events
                    ORDER BY id`,
            format: 'JSONEachRow',
          })
        ).json();
        if (events.length === 3) break;
        if (Date.now() > deadline) throw new Error(`not stored in time: ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(events).toEqual([
        { id: 'b-1', page_type: 'book', is_conversion: 0, revenue: 0, currency: '' },
        { id: 'b-2', page_type: '', is_conversion: 0, revenue: 0, currency: '' },
        { id: 'b-3', page_type: '', is_conversion: 1, revenue: 9.5, currency: 'EUR' },
      ]);
    } finally {
      await runtime.close();
    }
  }, 60_000);
});
