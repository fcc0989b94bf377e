import { isPlainTableName } from '../config/index.js';
import { ConfigError } from '../core/index.js';

/** Default table of the CRM profiles in PostgreSQL. */
export const DEFAULT_PROFILE_TABLE = 'crm_profiles';

/** Anything that runs a parameterised query: a pg Pool, Client or PoolClient. */
export interface Queryable {
  query(text: string, values?: readonly unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * A table name as an SQL identifier. Only plain lower-case names (optionally schema-qualified)
 * are allowed: table names cannot be query parameters, so this is what keeps them from ever
 * changing a query's shape.
 */
export function profileTableIdentifier(table: string): string {
  if (!isPlainTableName(table)) {
    throw new ConfigError(
      'table',
      `expected a lower-case table name such as crm_profiles or crm.profiles, got ${JSON.stringify(table)}`,
    );
  }
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/**
 * Creates the profile table if it does not exist. Idempotent, so every process runs it at
 * start-up. Times are epoch milliseconds (bigint), as everywhere else in Pathcast.
 */
export async function migrateProfileTable(
  db: Queryable,
  table = DEFAULT_PROFILE_TABLE,
): Promise<void> {
  const name = profileTableIdentifier(table);
  await db.query(`
    CREATE TABLE IF NOT EXISTS ${name} (
      user_id        text             PRIMARY KEY,
      email_hash     text             NOT NULL DEFAULT '',
      segment        text             NOT NULL DEFAULT '',
      lifetime_value double precision NOT NULL DEFAULT 0,
      orders         integer          NOT NULL DEFAULT 0,
      first_order_at bigint,
      last_order_at  bigint,
      tenure_days    integer          NOT NULL DEFAULT 0,
      churned        boolean          NOT NULL DEFAULT false,
      attributes     jsonb            NOT NULL DEFAULT '{}'::jsonb,
      updated_at     bigint           NOT NULL
    )`);
}

/** Columns in the order of PROFILE_COLUMN_TYPES, for SELECT and INSERT. */
export const PROFILE_COLUMNS = [
  'user_id',
  'email_hash',
  'segment',
  'lifetime_value',
  'orders',
  'first_order_at',
  'last_order_at',
  'tenure_days',
  'churned',
  'attributes',
  'updated_at',
] as const;

const PROFILE_COLUMN_TYPES = [
  'text',
  'text',
  'text',
  'float8',
  'int4',
  'int8',
  'int8',
  'int4',
  'bool',
  'jsonb',
  'int8',
] as const;

/**
 * An upsert of many rows in one statement: one array parameter per column, unnested into rows.
 * A row older than the stored one (by updated_at) does not overwrite it, so replaying an old
 * file or an old topic never rolls a profile back.
 */
export function upsertSql(table: string): string {
  const name = profileTableIdentifier(table);
  const unnest = PROFILE_COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const updates = PROFILE_COLUMNS.filter((c) => c !== 'user_id')
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ');
  return (
    `INSERT INTO ${name} (${PROFILE_COLUMNS.join(', ')}) ` +
    `SELECT * FROM unnest(${unnest}) ` +
    `ON CONFLICT (user_id) DO UPDATE SET ${updates} ` +
    `WHERE ${name}.updated_at <= EXCLUDED.updated_at`
  );
}

export function selectManySql(table: string): string {
  return `SELECT ${PROFILE_COLUMNS.join(', ')} FROM ${profileTableIdentifier(table)} WHERE user_id = ANY($1::text[])`;
}

export function deleteManySql(table: string): string {
  return `DELETE FROM ${profileTableIdentifier(table)} WHERE user_id = ANY($1::text[])`;
}
