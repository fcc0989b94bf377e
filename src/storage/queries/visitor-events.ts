import type { ClickEvent, DeviceType, EventType } from '../../core/index.js';
import { EVENT_COLUMNS } from '../rows/event-row.js';
import { qualifiedTable, sqlInt, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { checkInt, checkRange, checkString, type TimeRange } from './filters.js';
import { read, selectRows, type QueryTarget, type ResultRow } from './run-query.js';

export interface VisitorEventsQuery extends TimeRange {
  readonly site: string;
  readonly visitor: string;
  /** 1 to 10,000. Default 1,000. */
  readonly limit?: number;
}

/**
 * A visitor's events in time order (a session's timeline: pass its start and end), each event id
 * once however often it was delivered.
 */
export function buildVisitorEvents(database: string, query: VisitorEventsQuery): string {
  const range = checkRange(query);
  const limit = checkInt(query.limit ?? 1000, 'limit', 1, 10_000);
  return `SELECT ${EVENT_COLUMNS.join(', ')}
FROM ${qualifiedTable(database, TABLES.events)}
WHERE site = ${sqlString(checkString(query.site, 'site'))}
  AND visitor = ${sqlString(checkString(query.visitor, 'visitor'))}
  AND timestamp >= ${sqlInt(range.from)} AND timestamp < ${sqlInt(range.to)}
ORDER BY timestamp, id
LIMIT 1 BY id
LIMIT ${sqlInt(limit)}`;
}

export async function visitorEvents(
  target: QueryTarget,
  query: VisitorEventsQuery,
): Promise<ClickEvent[]> {
  return (await selectRows(target, buildVisitorEvents(target.database, query))).map(readEvent);
}

export function readEvent(row: ResultRow): ClickEvent {
  return {
    id: read.string(row, 'id'),
    site: read.string(row, 'site'),
    type: read.string(row, 'type') as EventType,
    name: read.string(row, 'name'),
    visitor: read.string(row, 'visitor'),
    anonymousId: read.nullableString(row, 'anonymous_id'),
    userId: read.nullableString(row, 'user_id'),
    previousId: read.nullableString(row, 'previous_id'),
    groupId: read.nullableString(row, 'group_id'),
    timestamp: read.number(row, 'timestamp'),
    receivedAt: read.number(row, 'received_at'),
    sentAt: read.nullableNumber(row, 'sent_at'),
    clockSkewMs: read.number(row, 'clock_skew_ms'),
    futureClamped: read.boolean(row, 'future_clamped'),
    url: read.string(row, 'url'),
    path: read.string(row, 'path'),
    referrer: read.string(row, 'referrer'),
    title: read.string(row, 'title'),
    pageType: read.string(row, 'page_type'),
    browser: read.string(row, 'browser'),
    os: read.string(row, 'os'),
    deviceType: read.string(row, 'device_type') as DeviceType,
    isBot: read.boolean(row, 'is_bot'),
    ipPrefix: read.string(row, 'ip_prefix'),
    country: read.string(row, 'country'),
    channel: read.string(row, 'channel'),
    source: read.string(row, 'source'),
    medium: read.string(row, 'medium'),
    campaign: read.string(row, 'campaign'),
    term: read.string(row, 'term'),
    content: read.string(row, 'content'),
    clickId: read.string(row, 'click_id'),
    referrerClass: read.string(row, 'referrer_class'),
    referrerDomain: read.string(row, 'referrer_domain'),
    isConversion: read.boolean(row, 'is_conversion'),
    revenue: read.number(row, 'revenue'),
    currency: read.string(row, 'currency'),
    properties: read.string(row, 'properties'),
    processorVersion: read.string(row, 'processor_version'),
  };
}
