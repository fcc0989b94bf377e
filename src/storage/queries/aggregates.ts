import { qualifiedTable } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { segmentConditions, type SegmentFilter } from './filters.js';

/**
 * The per-minute aggregates of a segment, finalised per stored key (site, minute, channel,
 * country, device). Each session lives under exactly one key (its start minute and dimensions),
 * so summing per-key counts is exact and needs memory per key only, where one big uniqExact over
 * a month would hold every session id at once.
 *
 * Columns: minute, sessions, converted, conversions, revenue, propensity_sum, scores, and
 * visitors_state (a uniq state, merged by the caller across keys: visitors span keys).
 */
export function minuteAggregates(database: string, filter: SegmentFilter): string {
  const conditions = segmentConditions(filter, {
    site: 'site',
    time: 'minute',
    channel: 'channel',
    country: 'country',
    device: 'device_type',
  });
  return `SELECT
    minute,
    uniqExactIfMerge(sessions) AS k_sessions,
    groupUniqArrayIfMerge(converted_sessions) AS k_converted,
    length(k_converted) AS k_converted_count,
    arraySum(arrayMap(t -> tupleElement(t, 2), k_converted)) AS k_conversions,
    arraySum(arrayMap(t -> tupleElement(t, 3), k_converted)) AS k_revenue,
    sumIfMerge(propensity_sum) AS k_propensity_sum,
    countIfMerge(scores) AS k_scores,
    uniqIfMergeState(visitors) AS k_visitors
  FROM ${qualifiedTable(database, TABLES.minuteAggregates)}
  WHERE ${conditions.join(' AND ')}
  GROUP BY site, minute, channel, country, device_type`;
}

/** The KPI columns over rows of `minuteAggregates`, for an outer GROUP BY (or none). */
export const KPI_COLUMNS = `sum(k_sessions) AS sessions,
    uniqIfMerge(k_visitors) AS visitors,
    sum(k_converted_count) AS converted_sessions,
    sum(k_conversions) AS conversions,
    sum(k_revenue) AS revenue,
    sum(k_propensity_sum) AS propensity_sum,
    sum(k_scores) AS scores`;
