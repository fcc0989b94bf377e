export {
  connectClickHouse,
  quoteIdentifier,
  CLICKHOUSE_SETTINGS,
  type ClickHouseHandle,
  type ClickHouseEngine,
} from './clickhouse.js';
export { openStorage, type Storage, type OpenStorageOptions } from './open-storage.js';
export {
  sqlString,
  sqlNumber,
  sqlInt,
  sqlArray,
  sqlList,
  qualifiedTable,
  fromAllowList,
  wellFormed,
} from './sql.js';
export {
  clickHouseErrorCode,
  isRetriableClickHouseError,
  clickHouseFailure,
} from './clickhouse-errors.js';

// Schema
export { TABLES, TIME_PARTITIONED_TABLES, type TableName } from './schema/table-names.js';
export { MIGRATIONS, type Migration } from './schema/migrations.js';
export {
  migrate,
  migrationChecksum,
  type MigrateOptions,
  type MigrateResult,
  type MigrationTarget,
} from './schema/migrate.js';
export {
  dropPartitionsOlderThan,
  expiredPartitions,
  partitionEnd,
  type PartitionRef,
  type RetentionOptions,
} from './schema/retention.js';
export {
  RetentionScheduler,
  RETENTION_GROUPS,
  type DropOlderThan,
  type RetentionRun,
  type RetentionSchedulerOptions,
} from './retention-scheduler.js';

// Rows and writers
export type { Row, TableSpec } from './rows/table-spec.js';
export { EVENTS_SPEC, EVENT_COLUMNS, eventRow } from './rows/event-row.js';
export { SESSIONS_SPEC, SESSION_COLUMNS, SESSION_STATE, sessionRow } from './rows/session-row.js';
export { SCORES_SPEC, SCORE_COLUMNS, scoreRow, type ScoreRecord } from './rows/score-row.js';
export {
  FAILED_EVENTS_SPEC,
  FAILED_EVENT_COLUMNS,
  failedEventRow,
} from './rows/failed-event-row.js';
export { PROFILES_SPEC, PROFILE_COLUMNS, profileRow } from './rows/profile-row.js';
export {
  IDENTITIES_SPEC,
  IDENTITY_COLUMNS,
  identityRow,
  type IdentityLink,
} from './rows/identity-row.js';
export { MODELS_SPEC, MODEL_COLUMNS, modelRow, type StoredModel } from './rows/model-row.js';
export {
  TableWriter,
  type InsertRows,
  type InsertRequest,
  type TableWriterDeps,
  type TableWriterStats,
} from './writer/table-writer.js';
export {
  resolveWriterOptions,
  type TableWriterOptions,
  type ResolvedWriterOptions,
} from './writer/writer-options.js';
export { clickHouseInserter, type InsertTarget } from './writer/clickhouse-inserter.js';
export {
  createStorageWriters,
  type StorageWriters,
  type StorageWritersOptions,
  type WriterName,
} from './writer/storage-writers.js';

// Queries
export { createStorageQueries, type StorageQueries } from './queries/storage-queries.js';
export type { QueryTarget } from './queries/run-query.js';
export type { TimeRange, SegmentFilter } from './queries/filters.js';
export type { Kpis } from './queries/kpis.js';
export { overview, buildOverview } from './queries/overview.js';
export {
  timeSeries,
  buildTimeSeries,
  BUCKETS,
  type Bucket,
  type TimeSeriesQuery,
  type TimeSeriesPoint,
} from './queries/time-series.js';
export {
  funnel,
  buildFunnel,
  type FunnelStep,
  type FunnelQuery,
  type FunnelStepResult,
} from './queries/funnel.js';
export {
  pageFlow,
  buildPageFlow,
  type FlowNode,
  type FlowLink,
  type PageFlowQuery,
} from './queries/page-flow.js';
export {
  channelPaths,
  buildChannelPaths,
  toChannelAttributionFile,
  pathFileChannel,
  type ChannelPath,
} from './queries/attribution.js';
export {
  searchSessions,
  buildSessionSearch,
  type SessionSearch,
  type SessionPage,
  type StoredSession,
} from './queries/session-search.js';
export {
  searchFailedEvents,
  failureCounts,
  buildFailedEventSearch,
  type FailedEventSearch,
  type FailedEventPage,
  type FailureCount,
} from './queries/failed-events.js';
export { visitorEvents, type VisitorEventsQuery } from './queries/visitor-events.js';
export { scoreTimeline, type ScoreTimelineQuery } from './queries/score-timeline.js';
export { getProfiles } from './queries/profiles.js';
export { getIdentities, type IdentityLookup } from './queries/identities.js';
export { latestModels } from './queries/models.js';
export {
  getSession,
  buildSessionById,
  MAX_MERGE_HOPS,
  type SessionLookup,
  type FoundSession,
} from './queries/session-by-id.js';
export {
  latestVisitorScore,
  buildLatestVisitorScore,
  type VisitorScoreQuery,
} from './queries/visitor-score.js';
