import { qualifiedTable, sqlInt, sqlString } from '../sql.js';
import { SESSION_COLUMNS, type SessionColumn } from '../rows/session-row.js';
import { TABLES } from '../schema/table-names.js';
import { checkRange, checkString, segmentConditions, type SegmentFilter } from './filters.js';

/**
 * How far a session's start may move between its stored versions: a late event can pull the
 * start earlier, and a merge gives the survivor the earlier start of the two, both bounded by
 * the max session length (24 h) plus allowed lateness. The raw rows are pre-filtered with this
 * margin (for partition pruning) and the exact range is applied to the latest version only.
 */
export const SESSION_START_SLACK_MS = 2 * 86_400_000;

/** The de-duplicated value of a session column inside `latestSessions` (for extra conditions). */
export const latest = (column: SessionColumn): string => `l_${column}`;

const VALUE_COLUMNS = SESSION_COLUMNS.filter(
  (c): c is Exclude<SessionColumn, 'id' | 'site' | 'row_version'> =>
    c !== 'id' && c !== 'site' && c !== 'row_version',
);

/**
 * The latest version of every session in the filter, merged-away sessions removed: a subquery
 * with the sessions table's column names. ReplacingMergeTree collapses versions only when parts
 * merge, so every read takes argMax(..., row_version) itself (portable, and unlike FINAL it also
 * collapses rows that landed in different monthly partitions).
 *
 * `extra` conditions refer to columns as `latest(column)`. With `closedOnly`, sessions still
 * open are left out: the path and attribution reports count what the aggregates count.
 */
export function latestSessions(
  database: string,
  filter: SegmentFilter,
  extra: readonly string[] = [],
  options: { readonly closedOnly?: boolean } = {},
): string {
  const site = checkString(filter.site, 'site');
  const range = checkRange(filter);
  // TRICKY (18.16): aliasing argMax(x, v) AS x makes the old analyzer substitute the alias into
  // the other aggregates ("aggregate function found inside another"): alias to l_x, rename outside.
  const aggregates = VALUE_COLUMNS.map((c) => `argMax(${c}, row_version) AS ${latest(c)}`);
  const conditions = [
    `${latest('deleted')} = 0`,
    ...(options.closedOnly === true ? [`${latest('closed')} = 1`] : []),
    ...segmentConditions(filter, {
      site: 'site',
      time: latest('started_at'),
      channel: latest('entry_channel'),
      country: latest('country'),
      device: latest('device_type'),
    }),
    ...extra,
  ];
  return `SELECT site, id, ${VALUE_COLUMNS.map((c) => `${latest(c)} AS ${c}`).join(', ')}
FROM (
  SELECT site, id, ${aggregates.join(', ')}
  FROM ${qualifiedTable(database, TABLES.sessions)}
  WHERE site = ${sqlString(site)}
    AND started_at >= ${sqlInt(Math.max(0, range.from - SESSION_START_SLACK_MS))}
    AND started_at < ${sqlInt(range.to + SESSION_START_SLACK_MS)}
  GROUP BY site, id
)
WHERE ${conditions.join('\n  AND ')}`;
}
