import {
  crmProfilesTable,
  eventsTable,
  failedEventsTable,
  identitiesTable,
  minuteAggregatesFromScoresView,
  minuteAggregatesFromSessionsView,
  minuteAggregatesTable,
  modelsTable,
  scoresTable,
  sessionsTable,
} from './ddl.js';

/**
 * One step of the schema. Statements must be idempotent (IF NOT EXISTS, ADD COLUMN IF NOT
 * EXISTS): a migrator that died half way re-runs the whole step. An applied step is never edited;
 * its checksum is recorded and checked, so a change shows up as an error instead of a silent
 * drift between databases. Append a new step instead.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (database: string) => readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core tables',
    statements: (db) => [
      eventsTable(db),
      sessionsTable(db),
      scoresTable(db),
      failedEventsTable(db),
      crmProfilesTable(db),
      identitiesTable(db),
      modelsTable(db),
    ],
  },
  {
    version: 2,
    name: 'per-minute aggregates and their materialized views',
    // The target first: a view needs it to exist.
    statements: (db) => [
      minuteAggregatesTable(db),
      minuteAggregatesFromSessionsView(db),
      minuteAggregatesFromScoresView(db),
    ],
  },
];
