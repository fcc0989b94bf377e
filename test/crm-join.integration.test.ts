import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Profile, Score } from '../src/core/index.js';
import { PostgresProfileStore } from '../src/crm/index.js';
import { pollUntil } from './polling.js';
import { testServices } from './services.js';
import { startEmbedded } from './support/embedded-runtime.js';

// The CRM join in the running pipeline: a visitor who identifies is scored with the profile
// the real PostgreSQL holds, and the profile that lands after the first score fills it in.
describe('CRM join (PostgreSQL source, embedded pipeline)', () => {
  it('re-scores the open session when the profile lands, then scores with it directly', async () => {
    const services = testServices();
    const userId = `user-${randomUUID()}`;
    const profile: Profile = {
      userId,
      emailHash: '',
      segment: 'vip',
      lifetimeValue: 1_200,
      orders: 9,
      firstOrderAt: null,
      lastOrderAt: null,
      tenureDays: 400,
      churned: false,
      attributes: { tier: 'gold' },
      updatedAt: Date.now(),
    };
    // A table of the test's own, named by PATHCAST_POSTGRES_TABLE below: the runtime must read it.
    const table = `crm_join_${randomBytes(4).toString('hex')}`;
    const store = new PostgresProfileStore({ url: services.postgresUrl, table });
    await store.start();
    await store.write([profile]);
    await store.close();

    const embedded = await startEmbedded({
      PATHCAST_PARTITIONS: '2',
      PATHCAST_POSTGRES_URL: services.postgresUrl,
      PATHCAST_POSTGRES_TABLE: table,
      PATHCAST_SITES: JSON.stringify({
        sites: [{ id: 'shop', writeKey: 'wk_shop_crm1', secretKey: 'sk_shop_crm1' }],
      }),
    });
    try {
      const { parts } = embedded;
      const scores: Score[] = [];
      parts.scores.subscribe((score) => {
        if (score.visitor === 'visitor-crm') scores.push(score);
      });
      const send = async (event: Record<string, unknown>): Promise<void> => {
        expect((await embedded.post('wk_shop_crm1', [event])).status).toBe(200);
      };
      const base = Date.now() - 60_000;
      await send({
        type: 'identify',
        messageId: `id-${userId}`,
        anonymousId: 'visitor-crm',
        userId,
        timestamp: new Date(base).toISOString(),
      });
      // One event, two scores: the update itself (the profile not cached yet), then the same
      // session again once PostgreSQL answered.
      await pollUntil('the late profile re-score', () => (scores.length >= 2 ? true : undefined), {
        timeoutMs: 30_000,
        describe: () => JSON.stringify(scores),
      });
      expect(scores).toHaveLength(2);
      expect(scores[1]?.sessionId).toBe(scores[0]?.sessionId);
      expect(parts.profiles.peek(userId)).toMatchObject({ segment: 'vip', orders: 9 });

      // Now cached: the next event is scored with the profile at once, no extra score.
      await send({
        type: 'page',
        messageId: `page-${userId}`,
        anonymousId: 'visitor-crm',
        timestamp: new Date(base + 2_000).toISOString(),
        properties: { url: 'https://shop.example/products/7' },
      });
      await pollUntil('the page score', () => (scores.length >= 3 ? true : undefined), {
        timeoutMs: 30_000,
      });
      expect(scores).toHaveLength(3);
      expect(scores[2]?.sessionId).toBe(scores[0]?.sessionId);
    } finally {
      await embedded.close();
      const client = new pg.Client({ connectionString: services.postgresUrl });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS "${table}"`);
      await client.end();
    }
  }, 90_000);
});
