/**
 * Every table and view Pathcast owns. Queries and writers name tables only through this object,
 * so a table name is never built from input.
 */
export const TABLES = {
  migrations: 'schema_migrations',
  events: 'events',
  sessions: 'sessions',
  scores: 'scores',
  failedEvents: 'failed_events',
  crmProfiles: 'crm_profiles',
  identities: 'identities',
  models: 'models',
  minuteAggregates: 'minute_aggregates',
  minuteAggregatesFromSessions: 'minute_aggregates_sessions_mv',
  minuteAggregatesFromScores: 'minute_aggregates_scores_mv',
} as const;

export type TableKey = keyof typeof TABLES;
export type TableName = (typeof TABLES)[TableKey];

/**
 * Tables partitioned by month of a UInt64 ms column, which retention may drop. Views are left
 * out: they hold no data of their own.
 */
export const TIME_PARTITIONED_TABLES: readonly TableName[] = [
  TABLES.events,
  TABLES.sessions,
  TABLES.scores,
  TABLES.failedEvents,
  TABLES.minuteAggregates,
];
