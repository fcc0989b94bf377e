import { qualifiedTable } from '../sql.js';
import { TABLES } from './table-names.js';

/**
 * The schema, in the SQL subset that runs on Debian's ClickHouse 18.16 and on chdb (26.x), so on
 * any current ClickHouse (DESIGN.md, Storage):
 *
 * - times are UInt64 milliseconds since the epoch, UTC (no DateTime64);
 * - String, never LowCardinality; parallel arrays via Nested, never Map; Nullable only where
 *   the domain type is nullable, so null and '' stay distinct;
 * - booleans are UInt8;
 * - no TTL: retention drops monthly partitions (retention.ts);
 * - every deduplicating table is a ReplacingMergeTree, and every query de-duplicates at read
 *   time (argMax / uniqExact / LIMIT 1 BY), because merges happen when they happen.
 */

/**
 * Month of a ms timestamp, in UTC whatever the server's time zone: the partition id is then the
 * same on every engine, and retention.ts can read it back as YYYYMM.
 */
export function monthPartition(column: string): string {
  return `toYYYYMM(toDateTime(intDiv(${column}, 1000), 'UTC'))`;
}

export function eventsTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.events)} (
  id String,
  site String,
  type String,
  name String,
  visitor String,
  anonymous_id Nullable(String),
  user_id Nullable(String),
  previous_id Nullable(String),
  group_id Nullable(String),
  timestamp UInt64,
  received_at UInt64,
  sent_at Nullable(UInt64),
  clock_skew_ms Int64,
  future_clamped UInt8,
  url String,
  path String,
  referrer String,
  title String,
  page_type String,
  browser String,
  os String,
  device_type String,
  is_bot UInt8,
  ip_prefix String,
  country String,
  channel String,
  source String,
  medium String,
  campaign String,
  term String,
  content String,
  click_id String,
  referrer_class String,
  referrer_domain String,
  is_conversion UInt8,
  revenue Float64,
  currency String,
  properties String,
  processor_version String
) ENGINE = ReplacingMergeTree()
PARTITION BY ${monthPartition('timestamp')}
ORDER BY (site, id)`;
  // NOTE: the sort key is the dedupe key (site, event id) and holds no time: a client resend of
  // the same messageId may get a different skew-corrected timestamp, and must still collapse.
}

/**
 * One row per change of a session. `row_version` = version * 4 + state (0 open, 1 closed,
 * 2 merged away) so that a close with an unchanged summary still outranks the update before it,
 * and a merge tombstone outranks both; queries keep argMax(..., row_version) and drop deleted.
 */
export function sessionsTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.sessions)} (
  id String,
  site String,
  visitor String,
  user_id Nullable(String),
  started_at UInt64,
  ended_at UInt64,
  event_count UInt32,
  pageview_count UInt32,
  path Array(String),
  entry_channel String,
  entry_source String,
  entry_medium String,
  entry_campaign String,
  landing_page String,
  exit_page String,
  device_type String,
  country String,
  is_bot UInt8,
  converted UInt8,
  conversions UInt32,
  revenue Float64,
  currency String,
  version UInt64,
  closed UInt8,
  deleted UInt8,
  close_reason String,
  merged_into String,
  row_version UInt64
) ENGINE = ReplacingMergeTree(row_version)
PARTITION BY ${monthPartition('started_at')}
ORDER BY (site, id)`;
}

export function scoresTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.scores)} (
  site String,
  visitor String,
  session_id String,
  at UInt64,
  propensity Float64,
  markov_probability Float64,
  next_pages Nested(page_type String, probability Float64),
  model_version String,
  channel String,
  country String,
  device_type String
) ENGINE = ReplacingMergeTree()
PARTITION BY ${monthPartition('at')}
ORDER BY (site, session_id, at)`;
}

export function failedEventsTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.failedEvents)} (
  id String,
  site String,
  reason String,
  message String,
  stage String,
  processor_version String,
  size UInt64,
  payload String,
  failed_at UInt64,
  source_topic String,
  source_partition Int32,
  source_offset Int64
) ENGINE = ReplacingMergeTree(failed_at)
PARTITION BY ${monthPartition('failed_at')}
ORDER BY (site, reason, id)`;
}

export function crmProfilesTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.crmProfiles)} (
  user_id String,
  email_hash String,
  segment String,
  lifetime_value Float64,
  orders UInt32,
  first_order_at Nullable(UInt64),
  last_order_at Nullable(UInt64),
  tenure_days Float64,
  churned UInt8,
  attributes Nested(key String, value String),
  updated_at UInt64
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY user_id`;
}

export function identitiesTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.identities)} (
  site String,
  anonymous_id String,
  user_id String,
  at UInt64
) ENGINE = ReplacingMergeTree()
ORDER BY (site, anonymous_id, user_id)`;
}

export function modelsTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.models)} (
  kind String,
  version String,
  created_at UInt64,
  metrics String,
  snapshot String
) ENGINE = ReplacingMergeTree()
ORDER BY (kind, version)`;
}

/**
 * Per-minute aggregates by site, channel, country and device.
 *
 * Every state is an -If combinator, because on 18.16 a materialized view must produce every
 * column of its target ("Expected column ..."): each of the two views fills the columns of the
 * other with an always-false condition, i.e. an empty state of exactly the right type.
 *
 * Why the states are replay-safe (the sources are ReplacingMergeTrees, and a view sees every
 * insert, duplicates included):
 * - sessions: uniqExact of the session id; a replayed close adds nothing;
 * - converted_sessions: groupUniqArray of (id, conversions, revenue) of converted sessions, so
 *   conversions and revenue are sums over distinct sessions (conversions are a few percent of
 *   sessions, so the arrays stay small);
 * - visitors: uniq (approximate past ~65k distinct per merged state, like every web analytics
 *   tool's visitor count; exact below);
 * - propensity: sum and count of scores. NOTE: not replay-safe: a replayed range (after a crash)
 *   weights those scores twice. It is an average, so the effect is bounded by the share of
 *   replayed scores; exact figures come from the scores table (ReplacingMergeTree).
 */
export function minuteAggregatesTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.minuteAggregates)} (
  site String,
  minute UInt64,
  channel String,
  country String,
  device_type String,
  sessions AggregateFunction(uniqExactIf, String, UInt8),
  visitors AggregateFunction(uniqIf, String, UInt8),
  converted_sessions AggregateFunction(groupUniqArrayIf, Tuple(String, UInt32, Float64), UInt8),
  propensity_sum AggregateFunction(sumIf, Float64, UInt8),
  scores AggregateFunction(countIf, UInt8)
) ENGINE = AggregatingMergeTree()
PARTITION BY ${monthPartition('minute')}
ORDER BY (site, minute, channel, country, device_type)`;
}

/**
 * Sessions enter the aggregates once, when they close (and were not merged away), at the minute
 * they started. Open-session updates never do: they would count a session at every change.
 * NOTE: this assumes a closed session is final (the sessionizer never reopens or merges a session
 * after closing it, and a replay closes it with the same summary).
 */
export function minuteAggregatesFromSessionsView(db: string): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualifiedTable(db, TABLES.minuteAggregatesFromSessions)}
TO ${qualifiedTable(db, TABLES.minuteAggregates)} AS
SELECT
  site,
  intDiv(started_at, 60000) * 60000 AS minute,
  entry_channel AS channel,
  country,
  device_type,
  uniqExactIfState(id, toUInt8(1)) AS sessions,
  uniqIfState(visitor, toUInt8(1)) AS visitors,
  groupUniqArrayIfState((id, conversions, revenue), converted) AS converted_sessions,
  sumIfState(toFloat64(0), toUInt8(0)) AS propensity_sum,
  countIfState(toUInt8(0)) AS scores
FROM ${qualifiedTable(db, TABLES.sessions)}
WHERE closed = 1 AND deleted = 0
GROUP BY site, minute, channel, country, device_type`;
}

export function minuteAggregatesFromScoresView(db: string): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualifiedTable(db, TABLES.minuteAggregatesFromScores)}
TO ${qualifiedTable(db, TABLES.minuteAggregates)} AS
SELECT
  site,
  intDiv(at, 60000) * 60000 AS minute,
  channel,
  country,
  device_type,
  uniqExactIfState('', toUInt8(0)) AS sessions,
  uniqIfState('', toUInt8(0)) AS visitors,
  groupUniqArrayIfState((toString(''), toUInt32(0), toFloat64(0)), toUInt8(0)) AS converted_sessions,
  sumIfState(propensity, toUInt8(1)) AS propensity_sum,
  countIfState(toUInt8(1)) AS scores
FROM ${qualifiedTable(db, TABLES.scores)}
GROUP BY site, minute, channel, country, device_type`;
}

export function migrationsTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(db, TABLES.migrations)} (
  version UInt32,
  name String,
  checksum String,
  applied_at UInt64
) ENGINE = ReplacingMergeTree()
ORDER BY version`;
}
