import { describe, expect, it } from 'vitest';
import { startEmbedded } from './support/embedded-runtime.js';

// The embedded shape end to end, in one process: collector -> in-memory log -> ingest ->
// sessionizer -> chdb. Nothing external is needed, so this runs with the unit tests.
describe('Runtime (embedded)', () => {
  it('stores accepted events, their sessions, live scores and failed events in chdb', async () => {
    const embedded = await startEmbedded({
      PATHCAST_PARTITIONS: '2',
      PATHCAST_SITES: JSON.stringify({
        sites: [{ id: 'shop', writeKey: 'wk_shop_1234', secretKey: 'sk_shop_1234' }],
      }),
    });
    try {
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
      const answer = await embedded.post('wk_shop_1234', batch);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ accepted: 4, rejected: [{ index: 4 }] });

      await embedded.rowsWhen(
        `SELECT (SELECT uniqExact(id) FROM {db}.events) AS events,
                (SELECT uniqExact(id) FROM {db}.failed_events) AS failed,
                (SELECT uniqExact(id) FROM {db}.sessions) AS sessions,
                (SELECT count() FROM {db}.scores) AS scores`,
        ([row]) =>
          row?.['events'] === 4 &&
          row['failed'] === 1 &&
          row['sessions'] === 1 &&
          row['scores'] === 4,
      );
      const [session] = await embedded.query(
        `SELECT argMax(event_count, row_version) AS events, argMax(revenue, row_version) AS revenue,
                argMax(converted, row_version) AS converted
         FROM {db}.sessions GROUP BY id`,
      );
      expect(session).toMatchObject({ events: 4, revenue: 42, converted: 1 });
      // Every session update was scored live with the model the trainer serves.
      const scores = await embedded.query(
        `SELECT propensity, markov_probability AS markov FROM {db}.scores ORDER BY at`,
      );
      expect(scores).toHaveLength(4);
      for (const score of scores) {
        expect(score['propensity']).toBeGreaterThanOrEqual(0);
        expect(score['propensity']).toBeLessThanOrEqual(1);
      }
    } finally {
      await embedded.close();
    }
  }, 60_000);

  it('cuts sessions by the configured gap, in the pipeline and in /v1/score alike', async () => {
    const embedded = await startEmbedded({
      PATHCAST_PARTITIONS: '1',
      PATHCAST_SESSION_GAP_MINUTES: '1',
      PATHCAST_SITES: JSON.stringify({
        sites: [{ id: 'shop', writeKey: 'wk_shop_gap1', secretKey: 'sk_shop_gap1' }],
      }),
    });
    try {
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
      expect((await embedded.post('wk_shop_gap1', batch)).status).toBe(200);

      const sessions = await embedded.rowsWhen<{ id: string; events: number }>(
        `SELECT id, argMax(event_count, row_version) AS events FROM {db}.sessions
         GROUP BY id ORDER BY min(started_at)`,
        (rows) => rows.reduce((sum, row) => sum + row.events, 0) === 3,
      );
      expect(sessions.map((row) => row.events)).toEqual([2, 1]);

      const scored = await fetch(`${embedded.url}/v1/score?perEvent=true`, {
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
      await embedded.close();
    }
  }, 60_000);

  it("enriches each site's events with the site's own page types and conversions", async () => {
    const embedded = await startEmbedded({
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
    try {
      const reader = { anonymousId: 'reader-1', timestamp: new Date(Date.now() - 60_000) };
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
      expect((await embedded.post('wk_books_123', batch)).status).toBe(200);
      const events = await embedded.rowsWhen(
        'SELECT id, page_type, is_conversion, revenue, currency FROM {db}.events ORDER BY id',
        (rows) => rows.length === 3,
      );
      expect(events).toEqual([
        { id: 'b-1', page_type: 'book', is_conversion: 0, revenue: 0, currency: '' },
        { id: 'b-2', page_type: '', is_conversion: 0, revenue: 0, currency: '' },
        { id: 'b-3', page_type: '', is_conversion: 1, revenue: 9.5, currency: 'EUR' },
      ]);
    } finally {
      await embedded.close();
    }
  }, 60_000);
});
