import { silentLogger, type Logger } from '../core/index.js';
import type { ClickHouseConfig } from '../config/index.js';
import { connectClickHouse, type ClickHouseHandle } from './clickhouse.js';
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
  const handle = await connectClickHouse(config, dataDir, { logger });
  try {
    await migrate(handle, { logger });
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
