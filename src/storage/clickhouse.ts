import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import {
  ClickHouseLogLevel,
  createClient,
  type ClickHouseClient,
  type ErrorLogParams,
  type Logger as ClientLogger,
  type LogParams,
  type WarnLogParams,
} from '@clickhouse/client';
import { ConfigError, PathcastError, silentLogger, type Logger } from '../core/index.js';
import type { ClickHouseConfig } from '../config/index.js';

/**
 * The two engines, chosen by configuration alone (PATHCAST_CLICKHOUSE_URL set or not); schema,
 * writers and queries are the same SQL on both.
 *
 * - embedded (default): chdb (ClickHouse 26.x in-process) in `<PATHCAST_DATA_DIR>/chdb`.
 *   Limits: ONE data directory per process (the engine is a process-wide singleton; a second
 *   path is refused), never from worker_threads, queries and inserts run on this process's
 *   CPU (inserts ~0.5-0.8x the server's rate here), no replication: one box.
 * - server: any ClickHouse from Debian's 18.16 up, via @clickhouse/client over HTTP(S) with
 *   PATHCAST_CLICKHOUSE_URL/USER/PASSWORD/DATABASE (+ CA_FILE for TLS). Limits of the portable
 *   subset (because 18.16 lacks them): no server-side query parameters (values are escaped
 *   client-side by sql.ts), UInt64 ms times instead of DateTime64, String not LowCardinality,
 *   no Map, no TTL (retention drops partitions), inserts always name their columns.
 */
export type ClickHouseEngine = 'server' | 'embedded';

export interface ClickHouseHandle {
  readonly engine: ClickHouseEngine;
  readonly client: ClickHouseClient;
  /** Database that holds Pathcast's tables (created by `connectClickHouse`). */
  readonly database: string;
  /** Where chdb keeps its data (embedded only). */
  readonly path: string | undefined;
  /** Embedded only: chdb's own insert of a byte body (see `RawInsert`). */
  readonly rawInsert?: RawInsert;
  close(): Promise<void>;
}

/**
 * Inserts a TabSeparated body into `database.table` (a plain, already validated name) naming
 * `columns`. chdb hands the bytes to its parser as they are; through the client's `exec`, chdb
 * would first turn the body into a JavaScript string and back (measured: most of chdb's insert
 * CPU for wide rows).
 */
export type RawInsert = (request: {
  readonly table: string;
  readonly columns: readonly string[];
  readonly body: Buffer;
  readonly signal: AbortSignal;
}) => Promise<void>;

/**
 * Settings every Pathcast session runs with, on both engines. 64-bit integers come back as JSON
 * numbers (our UInt64 values are millisecond timestamps and counters, far below 2^53).
 */
export const CLICKHOUSE_SETTINGS = {
  output_format_json_quote_64bit_integers: 0,
} as const;

const require = createRequire(import.meta.url);

export interface ConnectOptions {
  /** Where the client's own log lines go (else nowhere: it would print to the console). */
  readonly logger?: Logger;
}

/**
 * @clickhouse/client's logger, routed into ours. NOTE: its request errors come back to our code
 * as rejections, which the writer logs (with retry context) and queries throw; here they are
 * debug lines only, so an outage is not logged twice per attempt.
 */
function clientLogging(logger: Logger): {
  LoggerClass: new () => ClientLogger;
  level: ClickHouseLogLevel;
} {
  const log = logger.child({ component: 'clickhouse_client' });
  const fields = (p: LogParams, err?: Error) => ({
    module: p.module,
    message: p.message,
    ...(err === undefined ? {} : { error: err.message }),
  });
  class RoutedLogger implements ClientLogger {
    trace(p: LogParams): void {
      log.debug('clickhouse_client_trace', fields(p));
    }
    debug(p: LogParams): void {
      log.debug('clickhouse_client_debug', fields(p));
    }
    info(p: LogParams): void {
      log.debug('clickhouse_client_info', fields(p));
    }
    warn(p: WarnLogParams): void {
      log.warn('clickhouse_client_warning', fields(p, p.err));
    }
    error(p: ErrorLogParams): void {
      log.debug('clickhouse_client_error', fields(p, p.err));
    }
  }
  return { LoggerClass: RoutedLogger, level: ClickHouseLogLevel.WARN };
}

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
  options: ConnectOptions = {},
): Promise<ClickHouseHandle> {
  const log = clientLogging(options.logger ?? silentLogger);
  const handle =
    config.url === undefined ? openEmbedded(dataDir, log) : openServer(config, config.url, log);
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

type ClientLogging = ReturnType<typeof clientLogging>;

function openServer(
  config: ClickHouseConfig,
  url: string,
  log: ClientLogging,
): Omit<ClickHouseHandle, 'database'> {
  const client = createClient({
    url,
    log,
    username: config.user,
    password: config.password,
    clickhouse_settings: CLICKHOUSE_SETTINGS,
    ...(config.caFile === undefined ? {} : { tls: { ca_cert: readFileSync(config.caFile) } }),
  });
  return { engine: 'server', client, path: undefined, close: () => client.close() };
}

/** The part of chdb's connection (npm chdb, `chdb/connection`) used here. */
interface ChdbConnection {
  readonly chdb: {
    rawInsert(params: {
      table: string;
      columns: readonly string[];
      values: Buffer;
      format: 'TabSeparated';
      signal: AbortSignal;
    }): Promise<unknown>;
  };
}

interface ChdbConnectionModule {
  createChdbConnection(options: { path: string }): ChdbConnection;
}

function openEmbedded(dataDir: string, log: ClientLogging): Omit<ClickHouseHandle, 'database'> {
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
  const connection = chdb.createChdbConnection({ path });
  const client = createClient({
    // The chdb connection implements @clickhouse/client's connection interface.
    connection: connection as never,
    clickhouse_settings: CLICKHOUSE_SETTINGS,
    log,
  });
  const rawInsert: RawInsert = async ({ table, columns, body, signal }) => {
    // NOTE: on abort chdb settles at once but keeps reading `body` until its write ends: the
    // body must be a buffer nobody reuses (the inserter passes a fresh copy).
    await connection.chdb.rawInsert({
      table,
      columns,
      values: body,
      format: 'TabSeparated',
      signal,
    });
  };
  return { engine: 'embedded', client, path, rawInsert, close: () => client.close() };
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
