import { retry, silentLogger, type Logger } from '../core/index.js';
import type { ClickHouseConfig } from '../config/index.js';
import { connectClickHouse, type ClickHouseHandle } from './clickhouse.js';
import { isRetriableClickHouseError } from './clickhouse-errors.js';
import { createStorageQueries, type StorageQueries } from './queries/storage-queries.js';
import { migrate } from './schema/migrate.js';
import {
  createStorageWriters,
  type StorageWriters,
  type StorageWritersOptions,
} from './writer/storage-writers.js';

export interface Storage {
  readonly handle: ClickHouseHandle;
  readonly writers: StorageWriters;
  readonly queries: StorageQueries;
  /** Flushes the writers, then closes the connection. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  readonly logger?: Logger;
  readonly writers?: Omit<StorageWritersOptions, 'logger'>;
  /** Retries of connecting and migrating that failed in a way that may pass. Default 5. */
  readonly startRetries?: number;
}

/**
 * The history store, ready to write and read: connects (the server at PATHCAST_CLICKHOUSE_URL,
 * else embedded chdb in `<dataDir>/chdb`), migrates the schema, and builds the writers and
 * queries. The two engines differ only in connectClickHouse; the SQL is the same.
 */
export async function openStorage(
  config: ClickHouseConfig,
  dataDir: string,
  options: OpenStorageOptions = {},
): Promise<Storage> {
  const logger = options.logger ?? silentLogger;
  // A server still starting (or restarting) refuses or drops connections for a moment; connecting
  // and the idempotent migrations are simply tried again, with backoff.
  const retrying = {
    retries: options.startRetries ?? 5,
    isRetriable: isRetriableClickHouseError,
    onRetry: (error: Error, attempt: number) =>
      logger.warn('clickhouse_start_retry', { attempt, err: error }),
  };
  const handle = await retry(() => connectClickHouse(config, dataDir, { logger }), retrying);
  try {
    await retry(() => migrate(handle, { logger }), retrying);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const writers = createStorageWriters(handle, { ...options.writers, logger });
  let closing: Promise<void> | undefined;
  return {
    handle,
    writers,
    queries: createStorageQueries(handle),
    close: () => {
      closing ??= (async () => {
        try {
          await writers.close();
        } finally {
          await handle.close();
        }
      })();
      return closing;
    },
  };
}
