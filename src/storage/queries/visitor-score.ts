import type { ScoreRecord } from '../rows/score-row.js';
import { qualifiedTable, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { checkString } from './filters.js';
import { readScore } from './score-timeline.js';
import { selectRows, type QueryTarget } from './run-query.js';

export interface VisitorScoreQuery {
  readonly site: string;
  readonly visitor: string;
}

/**
 * A visitor's most recent stored score (by event time; the session id breaks ties, so the
 * answer is the same on every engine and after any replay).
 *
 * NOTE: the scores table is ordered by (site, session_id, at), so this reads the site's scores
 * rather than seeking to the visitor; fine as the fallback behind the gateway's live cache.
 */
export function buildLatestVisitorScore(database: string, query: VisitorScoreQuery): string {
  return `SELECT site, visitor, session_id, at, propensity, markov_probability,
    next_pages.page_type AS next_page_types, next_pages.probability AS next_page_probabilities,
    model_version, channel, country, device_type
FROM ${qualifiedTable(database, TABLES.scores)}
WHERE site = ${sqlString(checkString(query.site, 'site'))}
  AND visitor = ${sqlString(checkString(query.visitor, 'visitor'))}
ORDER BY at DESC, session_id DESC
LIMIT 1`;
}

/** The visitor's latest stored score, or undefined when none was stored. */
export async function latestVisitorScore(
  target: QueryTarget,
  query: VisitorScoreQuery,
): Promise<ScoreRecord | undefined> {
  const [row] = await selectRows(target, buildLatestVisitorScore(target.database, query));
  return row === undefined ? undefined : readScore(row);
}
