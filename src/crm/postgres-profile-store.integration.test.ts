/**
 * The PostgreSQL profile store against the real server (test/global-setup.ts): migration,
 * upserts of hostile values, batched lookups, the updated_at guard, a 10k-row CSV import with
 * bad rows, and the cache in front of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError, type Profile } from '../core/index.js';
import { testServices } from '../../test/services.js';
import { PostgresProfileStore } from './postgres-profile-store.js';
import { ProfileCache } from './profile-cache.js';
import { importProfileFile } from './profile-import.js';
import type { RowIssue } from './profile-rows.js';
import { hashEmail } from './profile-values.js';

const table = `crm_it_${randomBytes(5).toString('hex')}`;
const url = testServices().postgresUrl;
const admin = new pg.Client({ connectionString: url });
const store = new PostgresProfileStore({ url, table });
let dir: string;

const profile = (userId: string, overrides: Partial<Profile> = {}): Profile => ({
  userId,
  emailHash: hashEmail(`${userId}@example.com`),
  segment: 'regular',
  lifetimeValue: 99.95,
  orders: 3,
  firstOrderAt: Date.UTC(2021, 0, 1),
  lastOrderAt: null,
  tenureDays: 1_000,
  churned: false,
  attributes: { plan: 'pro' },
  updatedAt: 1_700_000_000_000,
  ...overrides,
});

beforeAll(async () => {
  await admin.connect();
  await store.start();
  dir = await mkdtemp(join(tmpdir(), 'pathcast-crm-pg-'));
});

afterAll(async () => {
  await store.close();
  await admin.query(`DROP TABLE IF EXISTS "${table}"`);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
});

describe('PostgresProfileStore', () => {
  it('creates the table, idempotently', async () => {
    const again = new PostgresProfileStore({ url, table });
    await again.start();
    await again.close();
    const { rows } = await admin.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
      [table],
    );
    expect(rows.map((r) => r.column_name)).toEqual([
      'user_id',
      'email_hash',
      'segment',
      'lifetime_value',
      'orders',
      'first_order_at',
      'last_order_at',
      'tenure_days',
      'churned',
      'attributes',
      'updated_at',
    ]);
  });

  it('stores hostile values verbatim and reads them back in one batched query', async () => {
    const hostile = [
      profile(`q'uote"d\\`, { segment: `'; DROP TABLE ${table}; --` }),
      profile('ünïcödé 😀 \u200b', {
        attributes: { __proto__: 'x', 'k"ey': "v'al\nue", ünï: '😀' },
      }),
      profile('long', {
        attributes: { note: 'é'.repeat(10_000) },
        lastOrderAt: Date.UTC(2024, 4, 1),
      }),
      profile('{1,2}', { segment: '{"a":1}', churned: true, lifetimeValue: -0.5 }),
      profile('NULL', { segment: 'NULL', firstOrderAt: null }),
    ];
    await store.write(hostile);
    const found = await store.getMany([...hostile.map((p) => p.userId), 'nobody', "' OR 1=1 --"]);
    expect(found.size).toBe(hostile.length);
    for (const expected of hostile) expect(found.get(expected.userId)).toEqual(expected);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${table}"`);
    expect(rows[0]).toEqual({ n: hostile.length });
  });

  it('upserts: a newer row replaces, an older one does not, duplicates in a batch resolve to the last', async () => {
    await store.write([profile('up', { segment: 'v1', updatedAt: 2_000 })]);
    await store.write([profile('up', { segment: 'older', updatedAt: 1_000 })]);
    expect((await store.getMany(['up'])).get('up')?.segment).toBe('v1');
    await store.write([
      profile('up', { segment: 'v2', updatedAt: 3_000 }),
      profile('up', { segment: 'v3', updatedAt: 3_000 }),
    ]);
    expect((await store.getMany(['up'])).get('up')?.segment).toBe('v3');
    await store.delete(['up']);
    expect((await store.getMany(['up'])).size).toBe(0);
  });

  it('imports a 10k-row CSV: good rows land, bad rows are reported with their line numbers', async () => {
    const lines = ['user_id,email,segment,lifetime_value,orders,first_order_at,churned,plan'];
    const badLines = new Map<number, string>();
    for (let i = 0; i < 10_000; i++) {
      const line = lines.length + 1;
      const id = `imp-${i}`;
      if (i % 1_000 === 17) {
        lines.push(`${id},${id}@example.com,vip,lots,1,2024-01-01,no,pro`);
        badLines.set(line, 'lifetime_value');
      } else if (i % 1_000 === 503) {
        lines.push(`,${id}@example.com,vip,1,1,2024-01-01,no,pro`);
        badLines.set(line, 'user_id');
      } else if (i % 1_000 === 911) {
        lines.push(`${id},${id}@example.com,vip,1,1,2024-13-45,no,pro`);
        badLines.set(line, 'first_order_at');
      } else {
        lines.push(
          `${id},${id}@Example.com,"seg, ""${i % 3}""",${i}.5,${i % 9},2024-01-01T00:00:00Z,${i % 2 ? 'yes' : 'no'},p${i % 4}`,
        );
      }
    }
    const file = join(dir, 'profiles.csv');
    await writeFile(file, `${lines.join('\r\n')}\r\n`, 'utf8');
    const issues: RowIssue[] = [];
    const summary = await importProfileFile(file, store, {
      format: 'csv',
      batchSize: 1_000,
      onIssue: (issue) => issues.push(issue),
    });
    expect(issues.map((i) => [i.line, i.field])).toEqual([...badLines]);
    expect(summary).toMatchObject({ rows: 10_000, bad: 30, imported: 9_970, duplicates: 0 });

    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${table}" WHERE user_id LIKE 'imp-%'`,
    );
    expect(rows[0]?.n).toBe(9_970);
    const sample = await store.getMany(['imp-1', 'imp-17', 'imp-2']);
    expect(sample.has('imp-17')).toBe(false);
    expect(sample.get('imp-1')).toEqual({
      userId: 'imp-1',
      emailHash: hashEmail('imp-1@example.com'),
      segment: 'seg, "1"',
      lifetimeValue: 1.5,
      orders: 1,
      firstOrderAt: Date.UTC(2024, 0, 1),
      lastOrderAt: null,
      tenureDays: 0,
      churned: true,
      attributes: { plan: 'p1' },
      updatedAt: expect.any(Number) as number,
    });
  });

  it('serves the cache: many misses become one ANY($1) query, then hits', async () => {
    const cache = new ProfileCache({}, { source: store });
    const ids = Array.from({ length: 600 }, (_, i) => `imp-${i}`);
    const results = await Promise.all([...ids, 'nobody'].map((id) => cache.get(id)));
    // imp-17 and imp-503 were bad rows of the import.
    expect(results.filter((p) => p !== null)).toHaveLength(598);
    expect(cache.stats()).toMatchObject({ fetches: 1, fetchedKeys: 601 });
    for (const id of ids) cache.peek(id);
    expect(cache.stats()).toMatchObject({ hits: 600, misses: 601, fetches: 1 });
    await cache.close();
  });

  it("answers the hot path's misses with one ANY($1) query in the background, then hits", async () => {
    const cache = new ProfileCache({}, { source: store });
    const ids = [...Array.from({ length: 300 }, (_, i) => `imp-${i + 300}`), 'nobody'];
    for (const id of ids) expect(cache.peek(id)).toBeUndefined();
    await cache.whenIdle();
    expect(cache.stats()).toMatchObject({ fetches: 1, fetchedKeys: 301, misses: 301 });
    const answers = ids.map((id) => cache.peek(id));
    // imp-503 was a bad row of the import; nobody was never there.
    expect(answers.filter((p) => p !== null && p !== undefined)).toHaveLength(299);
    expect([answers[203], answers[300]]).toEqual([null, null]);
    expect(answers[0]?.userId).toBe('imp-300');
    expect(cache.stats()).toMatchObject({ hits: 301, fetches: 1 });
    await cache.close();
  });

  it('fails with a retriable error when the server cannot be reached', async () => {
    const down = new PostgresProfileStore({
      url: 'postgres://pathcast@127.0.0.1:1/none',
      table,
      connectionTimeoutMs: 1_000,
    });
    await expect(down.start()).rejects.toBeInstanceOf(TransientError);
    await down.close();
  });
});
