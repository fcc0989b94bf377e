import {
  FAILURE_REASONS,
  type FailedEvent,
  type FailureReason,
  type FailureStage,
} from '../../ingest/index.js';
import { qualifiedTable, sqlInt, sqlList, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  checkInt,
  checkRange,
  checkString,
  checkStrings,
  invalid,
  type TimeRange,
} from './filters.js';
import { read, selectRows, type QueryTarget, type ResultRow } from './run-query.js';

const STAGES: readonly FailureStage[] = ['collector', 'processor', 'sessionizer'];

export interface FailedEventSearch extends TimeRange {
  /** One site; all sites when absent (operators). */
  readonly site?: string;
  readonly reasons?: readonly FailureReason[];
  readonly stages?: readonly FailureStage[];
  /** Case-insensitive substring of the event id or the message. */
  readonly text?: string;
  /** 1 to 1000. Default 50. */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface FailedEventPage {
  readonly failures: readonly FailedEvent[];
  readonly nextCursor: string | null;
}

/** Counts by reason, for the browse page's side panel. */
export interface FailureCount {
  readonly reason: FailureReason;
  readonly count: number;
}

function conditions(search: FailedEventSearch): string[] {
  const range = checkRange(search);
  const where = [`failed_at >= ${sqlInt(range.from)}`, `failed_at < ${sqlInt(range.to)}`];
  if (search.site !== undefined)
    where.push(`site = ${sqlString(checkString(search.site, 'site'))}`);
  const reasons = checkStrings(search.reasons, 'reasons');
  for (const r of reasons) {
    if (!(FAILURE_REASONS as readonly string[]).includes(r)) {
      throw invalid(`reasons must be among ${FAILURE_REASONS.join(', ')}`);
    }
  }
  if (reasons.length > 0) where.push(`reason IN ${sqlList(reasons)}`);
  const stages = checkStrings(search.stages, 'stages');
  for (const s of stages) {
    if (!(STAGES as readonly string[]).includes(s)) {
      throw invalid(`stages must be among ${STAGES.join(', ')}`);
    }
  }
  if (stages.length > 0) where.push(`stage IN ${sqlList(stages)}`);
  return where;
}

/**
 * Newest first, de-duplicated on (site, reason, id): a failure replayed from the log is one
 * failure, shown as its latest occurrence (the row ReplacingMergeTree(failed_at) keeps when
 * parts merge, so the answer does not depend on when merges ran).
 */
export function buildFailedEventSearch(database: string, search: FailedEventSearch): string {
  const limit = checkInt(search.limit ?? 50, 'limit', 1, 1000);
  const outer: string[] = [];
  if (search.text !== undefined && search.text !== '') {
    const needle = sqlString(checkString(search.text, 'text'));
    outer.push(
      `(positionCaseInsensitiveUTF8(id, ${needle}) > 0 OR positionCaseInsensitiveUTF8(f_message, ${needle}) > 0)`,
    );
  }
  if (search.cursor !== undefined) {
    const [at, site, reason, id] = decodeCursor(search.cursor, [
      'number',
      'string',
      'string',
      'string',
    ] as const);
    const key = `(site, reason, id) > (${sqlString(site)}, ${sqlString(reason)}, ${sqlString(id)})`;
    outer.push(`(f_failed_at < ${sqlInt(at)} OR (f_failed_at = ${sqlInt(at)} AND ${key}))`);
  }
  // TRICKY (18.16): see latest-sessions.ts: aggregates alias to f_x, renamed outside.
  return `SELECT id, site, reason, f_message AS message, f_stage AS stage,
    f_processor_version AS processor_version, f_size AS size, f_payload AS payload,
    f_failed_at AS failed_at, f_source_topic AS source_topic,
    f_source_partition AS source_partition, f_source_offset AS source_offset
FROM (
  SELECT site, reason, id,
    max(failed_at) AS f_failed_at,
    argMax(message, failed_at) AS f_message,
    argMax(stage, failed_at) AS f_stage,
    argMax(processor_version, failed_at) AS f_processor_version,
    argMax(size, failed_at) AS f_size,
    argMax(payload, failed_at) AS f_payload,
    argMax(source_topic, failed_at) AS f_source_topic,
    argMax(source_partition, failed_at) AS f_source_partition,
    argMax(source_offset, failed_at) AS f_source_offset
  FROM ${qualifiedTable(database, TABLES.failedEvents)}
  WHERE ${conditions(search).join(' AND ')}
  GROUP BY site, reason, id
)
${outer.length > 0 ? `WHERE ${outer.join(' AND ')}` : ''}
ORDER BY failed_at DESC, site, reason, id
LIMIT ${sqlInt(limit + 1)}`;
}

export function buildFailureCounts(database: string, search: FailedEventSearch): string {
  return `SELECT reason, uniqExact(site, id) AS failures
FROM ${qualifiedTable(database, TABLES.failedEvents)}
WHERE ${conditions(search).join(' AND ')}
GROUP BY reason
ORDER BY failures DESC, reason`;
}

export async function searchFailedEvents(
  target: QueryTarget,
  search: FailedEventSearch,
): Promise<FailedEventPage> {
  const limit = search.limit ?? 50;
  const rows = await selectRows(target, buildFailedEventSearch(target.database, search));
  const failures = rows.slice(0, limit).map(readFailedEvent);
  const last = failures[failures.length - 1];
  return {
    failures,
    nextCursor:
      rows.length > limit && last !== undefined
        ? encodeCursor([last.failedAt, last.site, last.reason, last.id])
        : null,
  };
}

export async function failureCounts(
  target: QueryTarget,
  search: FailedEventSearch,
): Promise<FailureCount[]> {
  const rows = await selectRows(target, buildFailureCounts(target.database, search));
  return rows.map((row) => ({
    reason: read.string(row, 'reason') as FailureReason,
    count: read.number(row, 'failures'),
  }));
}

export function readFailedEvent(row: ResultRow): FailedEvent {
  return {
    id: read.string(row, 'id'),
    site: read.string(row, 'site'),
    reason: read.string(row, 'reason') as FailureReason,
    message: read.string(row, 'message'),
    stage: read.string(row, 'stage') as FailureStage,
    processorVersion: read.string(row, 'processor_version'),
    size: read.number(row, 'size'),
    payload: read.string(row, 'payload'),
    failedAt: read.number(row, 'failed_at'),
    topic: read.string(row, 'source_topic'),
    partition: read.number(row, 'source_partition'),
    offset: read.number(row, 'source_offset'),
  };
}
