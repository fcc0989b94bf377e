import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { PathcastError, silentLogger, type Logger } from '../../core/index.js';
import { clickHouseFailure } from '../clickhouse-errors.js';
import { qualifiedTable } from '../sql.js';
import { migrationsTable } from './ddl.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { TABLES } from './table-names.js';

export interface MigrationTarget {
  readonly client: ClickHouseClient;
  readonly database: string;
}

export interface MigrateOptions {
  readonly logger?: Logger;
  /** Seams for tests. */
  readonly migrations?: readonly Migration[];
  readonly now?: () => number;
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  readonly applied: readonly number[];
  /** Versions that were already recorded. */
  readonly skipped: readonly number[];
}

/**
 * Checksum of a step's statements, independent of the database name they were rendered for, so
 * every database running the same code agrees.
 */
export function migrationChecksum(migration: Migration): string {
  const hash = createHash('sha256');
  for (const statement of migration.statements('__pathcast_db__')) hash.update(statement);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Brings the database to the latest schema: records each applied step in `schema_migrations`.
 * Safe to run concurrently and repeatedly (every statement is idempotent; the record table is a
 * ReplacingMergeTree on version), so each process simply runs it at start-up.
 */
export async function migrate(
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const logger = options.logger ?? silentLogger;
  const migrations = options.migrations ?? MIGRATIONS;
  const now = options.now ?? Date.now;
  assertOrdered(migrations);
  const { client, database } = target;
  await run(client, migrationsTable(database), 'create the migrations table');
  const recorded = await appliedChecksums(target);
  const applied: number[] = [];
  const skipped: number[] = [];
  for (const migration of migrations) {
    const checksum = migrationChecksum(migration);
    const known = recorded.get(migration.version);
    if (known !== undefined) {
      if (known !== checksum) {
        throw new PathcastError(
          'migration_changed',
          `migration ${migration.version} (${migration.name}) was applied with checksum ${known}, ` +
            `but the code now has ${checksum}: applied migrations must not be edited; add a new one`,
        );
      }
      skipped.push(migration.version);
      continue;
    }
    for (const statement of migration.statements(database)) {
      await run(client, statement, `migration ${migration.version} (${migration.name})`);
    }
    await client
      .insert({
        table: qualifiedTable(database, TABLES.migrations),
        values: [{ version: migration.version, name: migration.name, checksum, applied_at: now() }],
        format: 'JSONEachRow',
        columns: ['version', 'name', 'checksum', 'applied_at'],
      })
      .catch((error: unknown) => {
        throw clickHouseFailure('migration_failed', 'record the migration', error);
      });
    applied.push(migration.version);
    logger.info('clickhouse_migration_applied', {
      database,
      version: migration.version,
      name: migration.name,
    });
  }
  return { applied, skipped };
}

async function appliedChecksums(target: MigrationTarget): Promise<Map<number, string>> {
  const result = await target.client
    .query({
      query: `SELECT version, any(checksum) AS checksum FROM ${qualifiedTable(
        target.database,
        TABLES.migrations,
      )} GROUP BY version`,
      format: 'JSONEachRow',
    })
    .catch((error: unknown) => {
      throw clickHouseFailure('migration_failed', 'read the applied migrations', error);
    });
  const rows = await result.json<{ version: number; checksum: string }>();
  return new Map(rows.map((row) => [Number(row.version), String(row.checksum)]));
}

async function run(client: ClickHouseClient, query: string, what: string): Promise<void> {
  try {
    await client.command({ query });
  } catch (error) {
    throw clickHouseFailure('migration_failed', what, error);
  }
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new PathcastError(
        'migration_order',
        `migration versions must be 1, 2, 3, ... in order; position ${i} has ${m.version}`,
      );
    }
  });
}
