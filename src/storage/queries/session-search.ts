import type { DeviceType, SessionCloseReason, SessionSummary } from '../../core/index.js';
import { qualifiedTable, sqlInt, sqlNumber, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { checkInt, checkString, invalid, type SegmentFilter } from './filters.js';
import { latest, latestSessions } from './latest-sessions.js';
import { read, selectRows, type QueryTarget, type ResultRow } from './run-query.js';

/** A session as stored: the summary plus where it stands. */
export interface StoredSession extends SessionSummary {
  readonly closed: boolean;
  /** '' while open. */
  readonly closeReason: SessionCloseReason | '';
}

export interface SessionSearch extends SegmentFilter {
  readonly converted?: boolean;
  /** Only sessions with at least one score at or above this propensity. */
  readonly minPropensity?: number;
  /** Case-insensitive substring of the visitor id or the user id. */
  readonly text?: string;
  /** Page size, 1 to 1000. Default 50. */
  readonly limit?: number;
  /** From the previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface SessionPage {
  readonly sessions: readonly StoredSession[];
  /** Pass back for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** Newest first; the session id breaks ties, so the order is total and pages are stable. */
export function buildSessionSearch(database: string, search: SessionSearch): string {
  const limit = checkInt(search.limit ?? 50, 'limit', 1, 1000);
  const extra: string[] = [];
  if (search.converted !== undefined) {
    if (typeof search.converted !== 'boolean') throw invalid('converted must be a boolean');
    extra.push(`${latest('converted')} = ${search.converted ? 1 : 0}`);
  }
  if (search.text !== undefined && search.text !== '') {
    const needle = sqlString(checkString(search.text, 'text'));
    // position*, not LIKE: a needle with % or _ means itself, with no pattern escaping to get wrong.
    extra.push(
      `(positionCaseInsensitiveUTF8(${latest('visitor')}, ${needle}) > 0 ` +
        `OR positionCaseInsensitiveUTF8(ifNull(${latest('user_id')}, ''), ${needle}) > 0)`,
    );
  }
  if (search.minPropensity !== undefined) {
    const min = search.minPropensity;
    if (typeof min !== 'number' || !(min >= 0 && min <= 1)) {
      throw invalid('minPropensity must be a number from 0 to 1');
    }
    extra.push(
      `id IN (SELECT session_id FROM ${qualifiedTable(database, TABLES.scores)} ` +
        `WHERE site = ${sqlString(checkString(search.site, 'site'))} AND propensity >= ${sqlNumber(min)})`,
    );
  }
  if (search.cursor !== undefined) {
    const [startedAt, id] = decodeCursor(search.cursor, ['number', 'string'] as const);
    extra.push(
      `(${latest('started_at')} < ${sqlInt(startedAt)} OR ` +
        `(${latest('started_at')} = ${sqlInt(startedAt)} AND id > ${sqlString(id)}))`,
    );
  }
  return `${latestSessions(database, search, extra)}
ORDER BY started_at DESC, id ASC
LIMIT ${sqlInt(limit + 1)}`;
}

export async function searchSessions(
  target: QueryTarget,
  search: SessionSearch,
): Promise<SessionPage> {
  const limit = search.limit ?? 50;
  const rows = await selectRows(target, buildSessionSearch(target.database, search));
  const sessions = rows.slice(0, limit).map(readSession);
  const last = sessions[sessions.length - 1];
  return {
    sessions,
    nextCursor:
      rows.length > limit && last !== undefined ? encodeCursor([last.startedAt, last.id]) : null,
  };
}

/** Reads a row of `latestSessions` (the sessions table's column names). */
export function readSession(row: ResultRow): StoredSession {
  return {
    id: read.string(row, 'id'),
    site: read.string(row, 'site'),
    visitor: read.string(row, 'visitor'),
    userId: read.nullableString(row, 'user_id'),
    startedAt: read.number(row, 'started_at'),
    endedAt: read.number(row, 'ended_at'),
    eventCount: read.number(row, 'event_count'),
    pageviewCount: read.number(row, 'pageview_count'),
    path: read.strings(row, 'path'),
    entryChannel: read.string(row, 'entry_channel'),
    entrySource: read.string(row, 'entry_source'),
    entryMedium: read.string(row, 'entry_medium'),
    entryCampaign: read.string(row, 'entry_campaign'),
    landingPage: read.string(row, 'landing_page'),
    exitPage: read.string(row, 'exit_page'),
    deviceType: read.string(row, 'device_type') as DeviceType,
    country: read.string(row, 'country'),
    isBot: read.boolean(row, 'is_bot'),
    converted: read.boolean(row, 'converted'),
    conversions: read.number(row, 'conversions'),
    revenue: read.number(row, 'revenue'),
    currency: read.string(row, 'currency'),
    version: read.number(row, 'version'),
    closed: read.boolean(row, 'closed'),
    closeReason: read.string(row, 'close_reason') as SessionCloseReason | '',
  };
}
