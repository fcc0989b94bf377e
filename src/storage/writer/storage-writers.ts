import {
  closeAll,
  type ClickEvent,
  type Logger,
  type Profile,
  type SessionOutput,
} from '../../core/index.js';
import type { FailedEvent } from '../../ingest/index.js';
import { EVENTS_SPEC } from '../rows/event-row.js';
import { FAILED_EVENTS_SPEC } from '../rows/failed-event-row.js';
import { IDENTITIES_SPEC, type IdentityLink } from '../rows/identity-row.js';
import { MODELS_SPEC, type StoredModel } from '../rows/model-row.js';
import { PROFILES_SPEC } from '../rows/profile-row.js';
import { SCORES_SPEC, type ScoreRecord } from '../rows/score-row.js';
import { SESSIONS_SPEC } from '../rows/session-row.js';
import { clickHouseInserter, type InsertTarget } from './clickhouse-inserter.js';
import { TableWriter, type InsertRows } from './table-writer.js';
import type { TableWriterOptions } from './writer-options.js';

export interface StorageWriters {
  readonly events: TableWriter<ClickEvent>;
  readonly sessions: TableWriter<SessionOutput>;
  readonly scores: TableWriter<ScoreRecord>;
  readonly failedEvents: TableWriter<FailedEvent>;
  readonly profiles: TableWriter<Profile>;
  readonly identities: TableWriter<IdentityLink>;
  readonly models: TableWriter<StoredModel>;
  /** True if any writer is full: the pipeline pauses its source. */
  isFull(): boolean;
  /** Resolves when no writer is full. */
  whenWritable(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export type WriterName = Exclude<
  keyof StorageWriters,
  'isFull' | 'whenWritable' | 'flush' | 'close'
>;

export interface StorageWritersOptions {
  /** Applied to every table... */
  readonly all?: TableWriterOptions;
  /** ...then overridden per table. */
  readonly tables?: Partial<Record<WriterName, TableWriterOptions>>;
  readonly logger?: Logger;
  /** Seam for tests; defaults to TabSeparated inserts into `target` (clickhouse-inserter.ts). */
  readonly insert?: InsertRows;
}

/**
 * Model snapshots are few and large (up to megabytes each): small batches keep an insert and the
 * buffer bounded in bytes rather than rows.
 */
const TABLE_DEFAULTS: Partial<Record<WriterName, TableWriterOptions>> = {
  models: { batchRows: 10 },
};

/** One batched writer per table, sharing the connection. */
export function createStorageWriters(
  target: InsertTarget,
  options: StorageWritersOptions = {},
): StorageWriters {
  const deps = { insert: options.insert ?? clickHouseInserter(target), logger: options.logger };
  const optionsFor = (name: WriterName): TableWriterOptions => ({
    ...TABLE_DEFAULTS[name],
    ...options.all,
    ...options.tables?.[name],
  });
  const writers = {
    events: new TableWriter(EVENTS_SPEC, deps, optionsFor('events')),
    sessions: new TableWriter(SESSIONS_SPEC, deps, optionsFor('sessions')),
    scores: new TableWriter(SCORES_SPEC, deps, optionsFor('scores')),
    failedEvents: new TableWriter(FAILED_EVENTS_SPEC, deps, optionsFor('failedEvents')),
    profiles: new TableWriter(PROFILES_SPEC, deps, optionsFor('profiles')),
    identities: new TableWriter(IDENTITIES_SPEC, deps, optionsFor('identities')),
    models: new TableWriter(MODELS_SPEC, deps, optionsFor('models')),
  };
  const all = Object.values(writers);
  return {
    ...writers,
    isFull: () => all.some((w) => w.isFull()),
    whenWritable: async () => {
      // Re-check after each wake-up: another writer may have filled meanwhile.
      while (all.some((w) => w.isFull())) {
        await Promise.race(all.filter((w) => w.isFull()).map((w) => w.whenWritable()));
      }
    },
    flush: async () => {
      const results = await Promise.allSettled(all.map((w) => w.flush()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
    close: () => closeAll(all),
  };
}
