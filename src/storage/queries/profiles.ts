import type { Profile } from '../../core/index.js';
import { qualifiedTable, sqlList } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { checkStrings } from './filters.js';
import { read, selectRows, type QueryTarget, type ResultRow } from './run-query.js';

/** The latest version (by updated_at) of each known profile among `userIds`. */
export function buildProfiles(database: string, userIds: readonly string[]): string {
  const ids = checkStrings(userIds, 'userIds');
  // TRICKY (18.16): aggregate aliases must not shadow columns; p_x renamed outside.
  return `SELECT user_id, p_email_hash AS email_hash, p_segment AS segment,
    p_lifetime_value AS lifetime_value, p_orders AS orders, p_first_order_at AS first_order_at,
    p_last_order_at AS last_order_at, p_tenure_days AS tenure_days, p_churned AS churned,
    p_attribute_keys AS attribute_keys, p_attribute_values AS attribute_values,
    p_updated_at AS updated_at
FROM (
  SELECT user_id,
    argMax(email_hash, updated_at) AS p_email_hash,
    argMax(segment, updated_at) AS p_segment,
    argMax(lifetime_value, updated_at) AS p_lifetime_value,
    argMax(orders, updated_at) AS p_orders,
    argMax(first_order_at, updated_at) AS p_first_order_at,
    argMax(last_order_at, updated_at) AS p_last_order_at,
    argMax(tenure_days, updated_at) AS p_tenure_days,
    argMax(churned, updated_at) AS p_churned,
    argMax(attributes.key, updated_at) AS p_attribute_keys,
    argMax(attributes.value, updated_at) AS p_attribute_values,
    max(updated_at) AS p_updated_at
  FROM ${qualifiedTable(database, TABLES.crmProfiles)}
  WHERE user_id IN ${sqlList(ids)}
  GROUP BY user_id
)
ORDER BY user_id`;
}

export async function getProfiles(
  target: QueryTarget,
  userIds: readonly string[],
): Promise<Profile[]> {
  if (userIds.length === 0) return [];
  return (await selectRows(target, buildProfiles(target.database, userIds))).map(readProfile);
}

export function readProfile(row: ResultRow): Profile {
  const keys = read.strings(row, 'attribute_keys');
  const values = read.strings(row, 'attribute_values');
  const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
  keys.forEach((key, i) => {
    attributes[key] = values[i] ?? '';
  });
  return {
    userId: read.string(row, 'user_id'),
    emailHash: read.string(row, 'email_hash'),
    segment: read.string(row, 'segment'),
    lifetimeValue: read.number(row, 'lifetime_value'),
    orders: read.number(row, 'orders'),
    firstOrderAt: read.nullableNumber(row, 'first_order_at'),
    lastOrderAt: read.nullableNumber(row, 'last_order_at'),
    tenureDays: read.number(row, 'tenure_days'),
    churned: read.boolean(row, 'churned'),
    attributes,
    updatedAt: read.number(row, 'updated_at'),
  };
}
