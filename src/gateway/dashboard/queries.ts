import type { Score } from '../../core/index.js';
import {
  TABLES,
  clickHouseFailure,
  qualifiedTable,
  sqlInt,
  sqlList,
  sqlString,
  type QueryTarget,
  type SegmentFilter,
} from '../../storage/index.js';

/**
 * The three reads the dashboard needs that src/storage's query set does not have yet: sessions
 * by country, the latest score per recent visitor, and (score, outcome) pairs. Every value goes
 * through storage's escaping functions; table names come from TABLES. The SQL keeps to the
 * subset both engines run (DESIGN.md, Storage).
 * NOTE: candidates to move into src/storage/queries once that module's owners want them.
 */

type Row = Readonly<Record<string, unknown>>;

async function select(target: QueryTarget, query: string): Promise<Row[]> {
  try {
    const result = await target.client.query({ query, format: 'JSONEachRow' });
    return await result.json<Row>();
  } catch (error) {
    throw clickHouseFailure('clickhouse_query_failed', 'dashboard query failed', error);
  }
}

function num(row: Row, key: string): number {
  const value = row[key];
  const n = typeof value === 'string' && value !== '' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n)) {
    throw clickHouseFailure('clickhouse_unexpected_row', `column ${key} is not a number`, value);
  }
  return n;
}

function str(row: Row, key: string): string {
  const value = row[key];
  if (typeof value !== 'string') {
    throw clickHouseFailure('clickhouse_unexpected_row', `column ${key} is not a string`, value);
  }
  return value;
}

/** Conditions of a segment filter on the per-minute aggregates (their own column names). */
function aggregateConditions(filter: SegmentFilter): string[] {
  const where = [
    `site = ${sqlString(filter.site)}`,
    `minute >= ${sqlInt(filter.from)}`,
    `minute < ${sqlInt(filter.to)}`,
  ];
  if (filter.channels !== undefined && filter.channels.length > 0) {
    where.push(`channel IN ${sqlList(filter.channels)}`);
  }
  if (filter.countries !== undefined && filter.countries.length > 0) {
    where.push(`country IN ${sqlList(filter.countries)}`);
  }
  if (filter.devices !== undefined && filter.devices.length > 0) {
    where.push(`device_type IN ${sqlList(filter.devices)}`);
  }
  return where;
}

export interface CountryFigures {
  readonly country: string;
  readonly sessions: number;
  readonly convertedSessions: number;
  readonly revenue: number;
}

/**
 * Closed sessions per country (by start minute), from the per-minute aggregates: finalised per
 * stored key first, then summed, as storage's overview does (each session lives under one key).
 */
export function buildCountries(database: string, filter: SegmentFilter): string {
  return `SELECT country, sum(k_sessions) AS sessions, sum(k_converted) AS converted,
    sum(k_revenue) AS revenue
FROM (
  SELECT country,
    uniqExactIfMerge(sessions) AS k_sessions,
    groupUniqArrayIfMerge(converted_sessions) AS k_conv,
    length(k_conv) AS k_converted,
    arraySum(arrayMap(t -> tupleElement(t, 3), k_conv)) AS k_revenue
  FROM ${qualifiedTable(database, TABLES.minuteAggregates)}
  WHERE ${aggregateConditions(filter).join(' AND ')}
  GROUP BY site, minute, channel, country, device_type
)
GROUP BY country
HAVING sessions > 0
ORDER BY sessions DESC, country`;
}

export async function countries(
  target: QueryTarget,
  filter: SegmentFilter,
): Promise<CountryFigures[]> {
  const rows = await select(target, buildCountries(target.database, filter));
  return rows.map((row) => ({
    country: str(row, 'country'),
    sessions: num(row, 'sessions'),
    convertedSessions: num(row, 'converted'),
    revenue: num(row, 'revenue'),
  }));
}

/** The latest score of each visitor scored at or after `since` (event time), newest first. */
export function buildRecentScores(
  database: string,
  site: string,
  since: number,
  limit: number,
): string {
  return `SELECT visitor, session_id, at, propensity, markov_probability,
    next_pages.page_type AS next_types, next_pages.probability AS next_probabilities, model_version
FROM ${qualifiedTable(database, TABLES.scores)}
WHERE site = ${sqlString(site)} AND at >= ${sqlInt(since)}
ORDER BY at DESC
LIMIT 1 BY visitor
LIMIT ${sqlInt(limit, 1, 100_000)}`;
}

export async function recentScores(
  target: QueryTarget,
  site: string,
  since: number,
  limit: number,
): Promise<Score[]> {
  const rows = await select(target, buildRecentScores(target.database, site, since, limit));
  return rows.map((row) => {
    const types = Array.isArray(row['next_types']) ? (row['next_types'] as unknown[]) : [];
    const probabilities = Array.isArray(row['next_probabilities'])
      ? (row['next_probabilities'] as unknown[])
      : [];
    return {
      site,
      visitor: str(row, 'visitor'),
      sessionId: str(row, 'session_id'),
      at: num(row, 'at'),
      propensity: num(row, 'propensity'),
      markovProbability: num(row, 'markov_probability'),
      nextPages: types.map((pageType, i) => ({
        pageType: String(pageType),
        probability: Number(probabilities[i] ?? 0),
      })),
      modelVersion: str(row, 'model_version'),
    };
  });
}

export interface ScoredOutcomes {
  readonly propensities: Float64Array;
  readonly labels: Uint8Array;
  /** The model version that made most of the scores, or null without scores. */
  readonly version: string | null;
}

/** Sessions may start up to this long before the range and still have scores in it. */
const SESSION_SLACK_MS = 2 * 86_400_000;

/**
 * Live scores of closed sessions that started in the range, each labelled with whether its
 * session converted. A session's last score is left out: it is usually made by the very event
 * that ended it (the purchase), so it would grade the model on the answer. A deterministic
 * sample (by a hash of session and time) bounds the answer.
 */
export function buildScoredOutcomes(
  database: string,
  filter: SegmentFilter,
  limit: number,
): string {
  const site = sqlString(filter.site);
  // TRICKY (18.16): aggregates aliased to their own column names confuse the old analyzer;
  // they are aliased to o_x.
  return `SELECT propensity, model_version, o_converted AS converted
FROM (
  SELECT session_id, at, propensity, model_version
  FROM ${qualifiedTable(database, TABLES.scores)}
  WHERE site = ${site}
    AND at >= ${sqlInt(Math.max(0, filter.from - SESSION_SLACK_MS))}
    AND at < ${sqlInt(filter.to + SESSION_SLACK_MS)}
  LIMIT 1 BY session_id, at
) AS scored
ALL INNER JOIN (
  SELECT id AS session_id,
    argMax(converted, row_version) AS o_converted,
    argMax(closed, row_version) AS o_closed,
    argMax(deleted, row_version) AS o_deleted,
    argMax(started_at, row_version) AS o_started_at,
    argMax(ended_at, row_version) AS o_ended_at
  FROM ${qualifiedTable(database, TABLES.sessions)}
  WHERE site = ${site}
    AND started_at >= ${sqlInt(Math.max(0, filter.from - SESSION_SLACK_MS))}
    AND started_at < ${sqlInt(filter.to)}
  GROUP BY id
  HAVING o_closed = 1 AND o_deleted = 0
    AND o_started_at >= ${sqlInt(filter.from)} AND o_started_at < ${sqlInt(filter.to)}
) AS outcomes USING session_id
WHERE at < o_ended_at
ORDER BY cityHash64(session_id, at)
LIMIT ${sqlInt(limit, 1, 1_000_000)}`;
}

export async function scoredOutcomes(
  target: QueryTarget,
  filter: SegmentFilter,
  limit: number,
): Promise<ScoredOutcomes> {
  const rows = await select(target, buildScoredOutcomes(target.database, filter, limit));
  const propensities = new Float64Array(rows.length);
  const labels = new Uint8Array(rows.length);
  const versions = new Map<string, number>();
  rows.forEach((row, i) => {
    propensities[i] = num(row, 'propensity');
    labels[i] = num(row, 'converted') > 0 ? 1 : 0;
    const version = str(row, 'model_version');
    versions.set(version, (versions.get(version) ?? 0) + 1);
  });
  let version: string | null = null;
  let most = 0;
  for (const [name, count] of versions) {
    if (count > most) [version, most] = [name, count];
  }
  return { propensities, labels, version };
}
