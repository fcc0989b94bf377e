import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { ConfigError, PathcastError } from '../core/index.js';
import type { ClickHouseConfig } from '../config/index.js';

export type ClickHouseEngine = 'server' | 'embedded';

export interface ClickHouseHandle {
  readonly engine: ClickHouseEngine;
  readonly client: ClickHouseClient;
  /** Database that holds Pathcast's tables (created by `connectClickHouse`). */
  readonly database: string;
  /** Where chdb keeps its data (embedded only). */
  readonly path: string | undefined;
  close(): Promise<void>;
}

/**
 * Settings every Pathcast session runs with, on both engines. 64-bit integers come back as JSON
 * numbers (our UInt64 values are millisecond timestamps and counters, far below 2^53).
 */
export const CLICKHOUSE_SETTINGS = {
  output_format_json_quote_64bit_integers: 0,
} as const;

const require = createRequire(import.meta.url);

/**
 * Opens the history store: the ClickHouse server at `config.url`, or else embedded chdb in
 * `<dataDir>/chdb`, and makes sure `config.database` exists.
 *
 * NOTE (chdb): one data directory per process, and never from worker threads: the engine is a
 * process-wide singleton, and a second path while one is open is refused.
 */
export async function connectClickHouse(
  config: ClickHouseConfig,
  dataDir: string,
): Promise<ClickHouseHandle> {
  const handle = config.url === undefined ? openEmbedded(dataDir) : openServer(config, config.url);
  try {
    await handle.client.command({
      query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(config.database)}`,
    });
  } catch (error) {
    await handle.client.close();
    throw new PathcastError(
      'clickhouse_unavailable',
      `cannot reach ClickHouse (${handle.engine}): ${(error as Error).message}`,
      { cause: error, retriable: true },
    );
  }
  return { ...handle, database: config.database };
}

function openServer(config: ClickHouseConfig, url: string): Omit<ClickHouseHandle, 'database'> {
  const client = createClient({
    url,
    username: config.user,
    password: config.password,
    clickhouse_settings: CLICKHOUSE_SETTINGS,
    ...(config.caFile === undefined ? {} : { tls: { ca_cert: readFileSync(config.caFile) } }),
  });
  return { engine: 'server', client, path: undefined, close: () => client.close() };
}

interface ChdbConnectionModule {
  createChdbConnection(options: { path: string }): unknown;
}

function openEmbedded(dataDir: string): Omit<ClickHouseHandle, 'database'> {
  let chdb: ChdbConnectionModule;
  try {
    // chdb is an optional dependency: only the embedded shape needs it.
    chdb = require('chdb/connection') as ChdbConnectionModule;
  } catch (error) {
    throw new ConfigError(
      'PATHCAST_CLICKHOUSE_URL',
      'is unset, so the embedded engine (npm package chdb) is needed, but it is not installed; ' +
        'install it with `npm install chdb` or point PATHCAST_CLICKHOUSE_URL at a server',
      { cause: error },
    );
  }
  const path = resolve(dataDir, 'chdb');
  mkdirSync(path, { recursive: true });
  const client = createClient({
    // The chdb connection implements @clickhouse/client's connection interface.
    connection: chdb.createChdbConnection({ path }) as never,
    clickhouse_settings: CLICKHOUSE_SETTINGS,
  });
  return { engine: 'embedded', client, path, close: () => client.close() };
}

/** Backquotes an identifier that comes from an allow-list or our own code. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new PathcastError(
      'invalid_identifier',
      `not a plain identifier: ${JSON.stringify(name)}`,
    );
  }
  return `\`${name}\``;
}
