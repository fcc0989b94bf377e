import { SESSION_COLUMNS, type SessionColumn } from '../rows/session-row.js';
import { qualifiedTable, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { checkString } from './filters.js';
import { read, selectRows, type QueryTarget } from './run-query.js';
import { readSession, type StoredSession } from './session-search.js';

export interface SessionLookup {
  readonly site: string;
  readonly id: string;
}

/** A session found by id: its latest state, and the merged-away ids followed to reach it. */
export interface FoundSession {
  readonly session: StoredSession;
  /**
   * Ids that were merged into another session (or renamed when their start moved back), in the
   * order they were followed, starting with the id asked for; empty when it is still current.
   */
  readonly mergedFrom: readonly string[];
}

/**
 * Most merges followed from one id: a late event merges at most the two neighbours it bridges,
 * and each merge leaves one tombstone, so real chains are short; the bound stops a corrupt cycle.
 */
export const MAX_MERGE_HOPS = 16;

const KEY_COLUMNS: ReadonlySet<SessionColumn> = new Set(['id', 'site', 'row_version']);
const VALUE_COLUMNS = SESSION_COLUMNS.filter((c) => !KEY_COLUMNS.has(c));

/**
 * The latest version of one session id, tombstones included (`deleted`, `merged_into`): every
 * stored row of the id is collapsed with argMax(..., row_version), as ReplacingMergeTree would
 * once its parts merge. The primary key (site, id) makes this a point read.
 */
export function buildSessionById(database: string, lookup: SessionLookup): string {
  const site = sqlString(checkString(lookup.site, 'site'));
  const id = sqlString(checkString(lookup.id, 'id'));
  // TRICKY (18.16): aggregate aliases must not shadow columns (latest-sessions.ts); s_x outside.
  return `SELECT site, id, ${VALUE_COLUMNS.map((c) => `s_${c} AS ${c}`).join(', ')}
FROM (
  SELECT site, id, ${VALUE_COLUMNS.map((c) => `argMax(${c}, row_version) AS s_${c}`).join(', ')}
  FROM ${qualifiedTable(database, TABLES.sessions)}
  WHERE site = ${site} AND id = ${id}
  GROUP BY site, id
)`;
}

/**
 * A session's latest state by id, with merged-away ids resolved to the session they became part
 * of; undefined when the site never stored the id (or its chain ends in a tombstone with no
 * successor).
 */
export async function getSession(
  target: QueryTarget,
  lookup: SessionLookup,
): Promise<FoundSession | undefined> {
  const mergedFrom: string[] = [];
  const seen = new Set<string>();
  let id = lookup.id;
  for (let hop = 0; hop <= MAX_MERGE_HOPS; hop++) {
    if (seen.has(id)) return undefined;
    seen.add(id);
    const [row] = await selectRows(
      target,
      buildSessionById(target.database, { site: lookup.site, id }),
    );
    if (row === undefined) return undefined;
    if (!read.boolean(row, 'deleted')) return { session: readSession(row), mergedFrom };
    const into = read.string(row, 'merged_into');
    if (into === '') return undefined;
    mergedFrom.push(id);
    id = into;
  }
  return undefined;
}
