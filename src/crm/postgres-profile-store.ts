import pg from 'pg';
import {
  LifecycleGuard,
  PathcastError,
  TransientError,
  isProgrammerError,
  silentLogger,
  toError,
  type Logger,
  type Profile,
} from '../core/index.js';
import {
  DEFAULT_PROFILE_TABLE,
  deleteManySql,
  migrateProfileTable,
  profileTableIdentifier,
  selectManySql,
  upsertSql,
} from './postgres-schema.js';
import { lastPerUser, type ProfileStore } from './profile-source.js';

/** Connection and table; every field but `url` optional, defaults in the constructor. */
export interface PostgresProfileStoreOptions {
  /** postgres://user:password@host:port/database */
  readonly url: string;
  /** Default crm_profiles; may be schema-qualified (crm.profiles). */
  readonly table?: string;
  /** Pool size. Default 4: lookups are batched, so few connections carry many users. */
  readonly maxConnections?: number;
  /** Server-side limit of one statement. Default 30,000 ms. */
  readonly statementTimeoutMs?: number;
  /** Default 5,000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Create the table on start() if missing. Default true. */
  readonly migrate?: boolean;
  /** Rows per INSERT statement of write(). Default 5,000. */
  readonly writeBatchRows?: number;
}

export interface PostgresProfileStoreDeps {
  readonly logger?: Logger;
}

/** SQLSTATE classes and codes after which the same statement may well succeed later. */
const TRANSIENT_SQLSTATE = /^(08|53|57P0|40001|40P01|57014)/;

/**
 * Profiles in a PostgreSQL table (npm `pg`): the source of the cache (batched
 * `WHERE user_id = ANY($1)` lookups) and the sink of imports (multi-row upserts). Values are
 * always parameters; only the validated table name is part of the SQL text.
 */
export class PostgresProfileStore implements ProfileStore {
  readonly name = 'postgres';
  readonly table: string;
  private readonly pool: pg.Pool;
  private readonly logger: Logger;
  private readonly migrate: boolean;
  private readonly writeBatchRows: number;
  private readonly sql: {
    readonly upsert: string;
    readonly select: string;
    readonly delete: string;
  };
  private readonly lifecycle: LifecycleGuard;

  constructor(options: PostgresProfileStoreOptions, deps: PostgresProfileStoreDeps = {}) {
    this.table = options.table ?? DEFAULT_PROFILE_TABLE;
    // Validates the name now, not at the first query.
    profileTableIdentifier(this.table);
    this.logger = (deps.logger ?? silentLogger).child({ component: 'crm_postgres' });
    this.migrate = options.migrate ?? true;
    this.writeBatchRows = options.writeBatchRows ?? 5_000;
    this.sql = {
      upsert: upsertSql(this.table),
      select: selectManySql(this.table),
      delete: deleteManySql(this.table),
    };
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      idleTimeoutMillis: 30_000,
      application_name: 'pathcast-crm',
    });
    // An idle connection dropped by the server is reported here; without a listener the
    // process would crash. The pool replaces the connection on the next query.
    this.pool.on('error', (error) => {
      this.logger.warn('crm_postgres_idle_connection_error', { err: error });
    });
    this.lifecycle = new LifecycleGuard(
      'postgres profile store',
      () => this.onStart(),
      () => this.pool.end(),
    );
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  close(): Promise<void> {
    return this.lifecycle.close();
  }

  private async onStart(): Promise<void> {
    if (this.migrate) {
      await this.run('migrate', () => migrateProfileTable(this.pool, this.table));
    } else {
      await this.run('connect', () => this.pool.query('SELECT 1'));
    }
    this.logger.info('crm_postgres_ready', { table: this.table });
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, Profile>> {
    this.lifecycle.assertRunning();
    const found = new Map<string, Profile>();
    if (userIds.length === 0) return found;
    const result = await this.run('select', () => this.pool.query(this.sql.select, [userIds]));
    for (const row of result.rows as unknown[]) {
      const profile = profileFromRow(row);
      found.set(profile.userId, profile);
    }
    return found;
  }

  async write(profiles: readonly Profile[]): Promise<void> {
    this.lifecycle.assertRunning();
    const rows = lastPerUser(profiles);
    for (let start = 0; start < rows.length; start += this.writeBatchRows) {
      const params = columnArrays(rows.slice(start, start + this.writeBatchRows));
      await this.run('upsert', () => this.pool.query(this.sql.upsert, params));
    }
  }

  async delete(userIds: readonly string[]): Promise<void> {
    this.lifecycle.assertRunning();
    if (userIds.length === 0) return;
    await this.run('delete', () => this.pool.query(this.sql.delete, [userIds]));
  }

  /** Runs a query, turning pg failures into our errors (retriable when the server may recover). */
  private async run<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (thrown) {
      throw toPostgresError(thrown, `${what} on ${this.table}`);
    }
  }
}

export function toPostgresError(thrown: unknown, what: string): Error {
  if (isProgrammerError(thrown) || thrown instanceof PathcastError) return toError(thrown);
  const error = toError(thrown);
  const code = (thrown as { code?: unknown }).code;
  const details = typeof code === 'string' ? { sqlstate: code } : {};
  const message = `postgres ${what} failed: ${error.message}`;
  const transient =
    typeof code === 'string' ? TRANSIENT_SQLSTATE.test(code) || /^E[A-Z]+$/.test(code) : true;
  return transient
    ? new TransientError('crm_postgres_unavailable', message, { cause: thrown, details })
    : new PathcastError('crm_postgres_failed', message, { cause: thrown, details });
}

/** One array per column, in PROFILE_COLUMNS order: the parameters of upsertSql. */
function columnArrays(rows: readonly Profile[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 11 }, () => new Array<unknown>(rows.length));
  rows.forEach((p, i) => {
    const values = [
      p.userId,
      p.emailHash,
      p.segment,
      p.lifetimeValue,
      p.orders,
      p.firstOrderAt,
      p.lastOrderAt,
      p.tenureDays,
      p.churned,
      JSON.stringify(p.attributes),
      p.updatedAt,
    ];
    values.forEach((value, c) => {
      (columns[c] as unknown[])[i] = value;
    });
  });
  return columns;
}

/** A row of selectManySql as a Profile. pg returns bigint as text; it is read back as a number. */
export function profileFromRow(row: unknown): Profile {
  const r = row as Record<string, unknown>;
  const attributes = r['attributes'];
  return {
    userId: text(r['user_id'], 'user_id'),
    emailHash: text(r['email_hash'], 'email_hash'),
    segment: text(r['segment'], 'segment'),
    lifetimeValue: num(r['lifetime_value'], 'lifetime_value'),
    orders: num(r['orders'], 'orders'),
    firstOrderAt: r['first_order_at'] === null ? null : num(r['first_order_at'], 'first_order_at'),
    lastOrderAt: r['last_order_at'] === null ? null : num(r['last_order_at'], 'last_order_at'),
    tenureDays: num(r['tenure_days'], 'tenure_days'),
    churned: r['churned'] === true,
    attributes: isTextRecord(attributes) ? attributes : badColumn('attributes', attributes),
    updatedAt: num(r['updated_at'], 'updated_at'),
  };
}

function text(value: unknown, column: string): string {
  return typeof value === 'string' ? value : badColumn(column, value);
}

function num(value: unknown, column: string): number {
  const parsed = typeof value === 'string' ? Number(value) : value;
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : badColumn(column, value);
}

function isTextRecord(value: unknown): value is Readonly<Record<string, string>> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

/** The table does not hold what migrateProfileTable creates: someone changed it by hand. */
function badColumn(column: string, value: unknown): never {
  throw new PathcastError(
    'crm_postgres_row_invalid',
    `crm profile row has an unexpected ${column}: ${typeof value}`,
    { details: { column } },
  );
}
