import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/index.js';
import { loadConfig } from '../../src/config/index.js';
import { Runtime, type RuntimeParts } from '../../src/runtime/index.js';
import { pollUntil } from '../polling.js';
import { gatewayFor } from './gateway.js';

/**
 * An embedded Runtime (in-memory log, chdb) on a fresh data directory, with the gateway as
 * `pathcast start` builds it, and helpers to send events and read back what was stored.
 */
export interface Embedded {
  readonly parts: RuntimeParts;
  readonly url: string;
  /** Posts a batch with the site's write key; answers the HTTP status and body. */
  post(writeKey: string, batch: unknown[]): Promise<{ status: number; body: unknown }>;
  /** Rows of a ClickHouse query (`{db}` stands for the runtime's database). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Polls `sql` until `done` holds for its rows (30 s at most). */
  rowsWhen<T = Record<string, unknown>>(sql: string, done: (rows: T[]) => boolean): Promise<T[]>;
  close(): Promise<void>;
}

/** Starts one; `env` adds to (or overrides) a free port and a fresh PATHCAST_DATA_DIR. */
export async function startEmbedded(env: Record<string, string>): Promise<Embedded> {
  const config = loadConfig({
    PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), 'pathcast-runtime-')),
    PATHCAST_PORT: '0',
    ...env,
  });
  let built: RuntimeParts | undefined;
  const runtime = new Runtime(config, {
    logger: silentLogger,
    pipeline: { checkpointIntervalMs: 100, tickMs: 100 },
    buildApp: (made) => {
      built = made;
      return gatewayFor(config, made);
    },
  });
  await runtime.start();
  const parts = built;
  if (parts === undefined) throw new Error('the runtime built no app');
  const handle = parts.clickhouse;
  const url = runtime.status().url ?? '';
  const query = async <T>(sql: string): Promise<T[]> =>
    (
      await handle.client.query({
        query: sql.replaceAll('{db}', handle.database),
        format: 'JSONEachRow',
      })
    ).json<T>();
  return {
    parts,
    url,
    async post(writeKey, batch) {
      const response = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({ batch }),
      });
      return { status: response.status, body: await response.json() };
    },
    query,
    async rowsWhen<T>(sql: string, done: (rows: T[]) => boolean) {
      let rows: T[] = [];
      return pollUntil(
        sql,
        async () => {
          rows = await query<T>(sql);
          return done(rows) ? rows : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, describe: () => JSON.stringify(rows) },
      );
    },
    close: () => runtime.close(),
  };
}
