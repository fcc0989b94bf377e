import type { IdentityLink } from '../rows/identity-row.js';
import { qualifiedTable, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { checkString } from './filters.js';
import { read, selectRows, type QueryTarget } from './run-query.js';

export interface IdentityLookup {
  readonly site: string;
  /** Links of this anonymous id, or... */
  readonly anonymousId?: string;
  /** ...of this user id. */
  readonly userId?: string;
}

/** Identity links of an anonymous id or a user id, each pair once, first seen first. */
export function buildIdentities(database: string, lookup: IdentityLookup): string {
  const where = [`site = ${sqlString(checkString(lookup.site, 'site'))}`];
  if (lookup.anonymousId !== undefined) {
    where.push(`anonymous_id = ${sqlString(checkString(lookup.anonymousId, 'anonymousId'))}`);
  }
  if (lookup.userId !== undefined) {
    where.push(`user_id = ${sqlString(checkString(lookup.userId, 'userId'))}`);
  }
  return `SELECT site, anonymous_id, user_id, min(at) AS first_at
FROM ${qualifiedTable(database, TABLES.identities)}
WHERE ${where.join(' AND ')}
GROUP BY site, anonymous_id, user_id
ORDER BY first_at, anonymous_id, user_id`;
}

export async function getIdentities(
  target: QueryTarget,
  lookup: IdentityLookup,
): Promise<IdentityLink[]> {
  return (await selectRows(target, buildIdentities(target.database, lookup))).map((row) => ({
    site: read.string(row, 'site'),
    anonymousId: read.string(row, 'anonymous_id'),
    userId: read.string(row, 'user_id'),
    at: read.number(row, 'first_at'),
  }));
}
