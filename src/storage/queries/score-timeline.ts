import type { ScoreRecord } from '../rows/score-row.js';
import { qualifiedTable, sqlInt, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { checkInt, checkString } from './filters.js';
import { read, selectRows, type QueryTarget, type ResultRow } from './run-query.js';

export interface ScoreTimelineQuery {
  readonly site: string;
  readonly sessionId: string;
  /** 1 to 10,000. Default 1,000. */
  readonly limit?: number;
}

/** A session's scores in time order, each (session, time) once however often it was written. */
export function buildScoreTimeline(database: string, query: ScoreTimelineQuery): string {
  const limit = checkInt(query.limit ?? 1000, 'limit', 1, 10_000);
  return `SELECT site, visitor, session_id, at, propensity, markov_probability,
    next_pages.page_type AS next_page_types, next_pages.probability AS next_page_probabilities,
    model_version, channel, country, device_type
FROM ${qualifiedTable(database, TABLES.scores)}
WHERE site = ${sqlString(checkString(query.site, 'site'))}
  AND session_id = ${sqlString(checkString(query.sessionId, 'sessionId'))}
ORDER BY at
LIMIT 1 BY at
LIMIT ${sqlInt(limit)}`;
}

export async function scoreTimeline(
  target: QueryTarget,
  query: ScoreTimelineQuery,
): Promise<ScoreRecord[]> {
  return (await selectRows(target, buildScoreTimeline(target.database, query))).map(readScore);
}

export function readScore(row: ResultRow): ScoreRecord {
  const types = read.strings(row, 'next_page_types');
  const probabilities = read.numbers(row, 'next_page_probabilities');
  return {
    site: read.string(row, 'site'),
    visitor: read.string(row, 'visitor'),
    sessionId: read.string(row, 'session_id'),
    at: read.number(row, 'at'),
    propensity: read.number(row, 'propensity'),
    markovProbability: read.number(row, 'markov_probability'),
    nextPages: types.map((pageType, i) => ({ pageType, probability: probabilities[i] ?? 0 })),
    modelVersion: read.string(row, 'model_version'),
    channel: read.string(row, 'channel'),
    country: read.string(row, 'country'),
    deviceType: read.string(row, 'device_type'),
  };
}
