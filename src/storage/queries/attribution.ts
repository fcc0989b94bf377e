import { latestSessions } from './latest-sessions.js';
import type { SegmentFilter } from './filters.js';
import { read, selectRows, type QueryTarget } from './run-query.js';

/** One distinct channel path, aggregated over visitors: ChannelAttribution's input row. */
export interface ChannelPath {
  readonly channels: readonly string[];
  /** Conversions at the end of the journeys with this path. */
  readonly conversions: number;
  readonly value: number;
  /** Journeys with this path that did not convert (yet). */
  readonly nulls: number;
}

/**
 * Channel journeys per visitor, from the entry channels of their closed sessions in start
 * order. A journey ends with a converting session (as in ChannelAttribution and Anderl et al.):
 * the next session starts a new one. Sessions after the last conversion form a journey that
 * ended in null. The channel filter of `filter` is applied to sessions, so it shortens paths;
 * normally leave it out.
 */
export function buildChannelPaths(database: string, filter: SegmentFilter): string {
  return `SELECT j_channels AS channels, sum(j_conversions) AS conversions,
    sum(j_value) AS value, sum(j_null) AS nulls
FROM (
  SELECT
    arrayMap(t -> tupleElement(t, 3), arraySort(groupArray((s_started_at, s_id, s_channel)))) AS j_channels,
    sum(s_conversions) AS j_conversions,
    sum(s_revenue) AS j_value,
    1 - max(s_converted) AS j_null
  FROM (
    SELECT
      visitor,
      tupleElement(s, 1) AS s_started_at,
      tupleElement(s, 2) AS s_id,
      tupleElement(s, 3) AS s_channel,
      tupleElement(s, 4) AS s_converted,
      tupleElement(s, 5) AS s_conversions,
      tupleElement(s, 6) AS s_revenue,
      converted_up_to - tupleElement(s, 4) AS journey
    FROM (
      SELECT
        visitor,
        arraySort(groupArray((started_at, id, entry_channel, converted, conversions, revenue))) AS v_sessions,
        arrayCumSum(arrayMap(x -> toUInt64(tupleElement(x, 4)), v_sessions)) AS v_converted_up_to
      FROM (
        ${latestSessions(database, filter, [], { closedOnly: true })}
      )
      GROUP BY visitor
    )
    ARRAY JOIN v_sessions AS s, v_converted_up_to AS converted_up_to
  )
  GROUP BY visitor, journey
)
GROUP BY channels
ORDER BY conversions DESC, nulls DESC, channels`;
}

export async function channelPaths(
  target: QueryTarget,
  filter: SegmentFilter,
): Promise<ChannelPath[]> {
  const rows = await selectRows(target, buildChannelPaths(target.database, filter));
  return rows.map((row) => ({
    channels: read.strings(row, 'channels'),
    conversions: read.number(row, 'conversions'),
    value: read.number(row, 'value'),
    nulls: read.number(row, 'nulls'),
  }));
}

/** What the path file cannot carry inside a channel name: its separators and line breaks. */
const RESERVED = /[;>\r\n]/g;

/** A channel name as the path file can hold it: separators become spaces, '' becomes '(none)'. */
export function pathFileChannel(channel: string): string {
  const cleaned = channel.replace(RESERVED, ' ').trim();
  return cleaned === '' ? '(none)' : cleaned;
}

/**
 * The paths in ChannelAttribution's text format (`pathcast attribution FILE` reads it):
 * `path;total_conversions;total_conversion_value;total_null`, channels joined by ' > '.
 * NOTE: the format cannot carry ';', '>' or line breaks inside a channel name, nor leading or
 * trailing spaces: those are normalised (the only place where a stored string is not verbatim).
 */
export function toChannelAttributionFile(paths: readonly ChannelPath[]): string {
  const lines = ['path;total_conversions;total_conversion_value;total_null'];
  for (const p of paths) {
    lines.push(
      `${p.channels.map(pathFileChannel).join(' > ')};${p.conversions};${p.value};${p.nulls}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
