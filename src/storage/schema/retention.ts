import { silentLogger, ValidationError, type Logger } from '../../core/index.js';
import { clickHouseFailure } from '../clickhouse-errors.js';
import { qualifiedTable, sqlList, sqlString } from '../sql.js';
import type { MigrationTarget } from './migrate.js';
import { TIME_PARTITIONED_TABLES, type TableName } from './table-names.js';

const DAY_MS = 86_400_000;

export interface PartitionRef {
  readonly table: string;
  /** As in system.parts.partition_id: YYYYMM for our monthly partitions. */
  readonly partitionId: string;
}

/**
 * The first millisecond after the month a partition id names, or undefined when the id is not
 * one of our YYYYMM months (e.g. 'all' of an unpartitioned table).
 */
export function partitionEnd(partitionId: string): number | undefined {
  const match = /^(\d{4})(\d{2})$/.exec(partitionId);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (month < 1 || month > 12) return undefined;
  return Date.UTC(year, month, 1); // month is 1-based, Date.UTC's 0-based: this is the next month
}

/**
 * Partitions whose whole month lies before `cutoff`. A partition is dropped only once its newest
 * possible row is older than the retention age, so data is kept for at least the configured days
 * and at most about a month longer.
 */
export function expiredPartitions(parts: readonly PartitionRef[], cutoff: number): PartitionRef[] {
  return parts.filter((p) => {
    const end = partitionEnd(p.partitionId);
    return end !== undefined && end <= cutoff;
  });
}

export interface RetentionOptions {
  readonly now?: () => number;
  readonly tables?: readonly TableName[];
  readonly logger?: Logger;
}

/**
 * Retention without TTL (18.16 has none for our UInt64 times): drops the monthly partitions of
 * the time-partitioned tables that are entirely older than `days`. Returns what it dropped.
 *
 * NOTE: the per-minute aggregates are a table of their own: their partitions age like the rest,
 * and dropping raw events never changes them.
 */
export async function dropPartitionsOlderThan(
  target: MigrationTarget,
  days: number,
  options: RetentionOptions = {},
): Promise<PartitionRef[]> {
  if (!Number.isSafeInteger(days) || days < 1) {
    throw new ValidationError('invalid_retention', `retention days must be >= 1, got ${days}`);
  }
  const logger = options.logger ?? silentLogger;
  const tables = options.tables ?? TIME_PARTITIONED_TABLES;
  const cutoff = (options.now ?? Date.now)() - days * DAY_MS;
  let rows: PartitionRef[];
  try {
    const result = await target.client.query({
      query: `SELECT DISTINCT table, partition_id AS partitionId FROM system.parts
WHERE database = ${sqlString(target.database)} AND active = 1 AND table IN ${sqlList(tables)}
ORDER BY table, partitionId`,
      format: 'JSONEachRow',
    });
    rows = await result.json<PartitionRef>();
  } catch (error) {
    throw clickHouseFailure('retention_failed', 'list partitions', error);
  }
  const expired = expiredPartitions(rows, cutoff);
  for (const part of expired) {
    // The table name comes back from system.parts but was filtered by our own list above;
    // qualifiedTable still refuses anything that is not a plain identifier.
    const query = `ALTER TABLE ${qualifiedTable(target.database, part.table)} DROP PARTITION ID ${sqlString(part.partitionId)}`;
    try {
      await target.client.command({ query });
    } catch (error) {
      throw clickHouseFailure('retention_failed', `drop ${part.table} ${part.partitionId}`, error);
    }
    logger.info('clickhouse_partition_dropped', { ...part, days });
  }
  return expired;
}
