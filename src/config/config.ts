import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConfigError, hugePagesAdvised } from '../core/index.js';
import { EnvReader, type Env } from './env.js';
import { loadSites, type SitesConfig } from './sites.js';

/**
 * Resolved configuration: every field present, validated once at start-up.
 * The table in README.md lists each variable; keep the two in step.
 */
export interface RuntimeConfig {
  /** PATHCAST_DATA_DIR: embedded data (chdb, checkpoints, in-memory log spill). */
  readonly dataDir: string;
  /** PATHCAST_LOG_LEVEL. */
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** PATHCAST_INSTANCE_ID: names this process in a consumer group and in logs. */
  readonly instanceId: string;
  /**
   * GLIBC_TUNABLES, read by glibc as the process started, not by Pathcast: whether malloc was
   * asked for transparent huge pages (README.md, "Huge pages").
   */
  readonly hugePages: boolean;
}

export interface HttpConfig {
  /** PATHCAST_HOST. */
  readonly host: string;
  /** PATHCAST_PORT. */
  readonly port: number;
  /** PATHCAST_TRUST_PROXY: see TrustProxy. */
  readonly trustProxy: TrustProxy;
}

/**
 * Which proxies in front of Pathcast may name the client's address (X-Forwarded-For). It decides
 * the address that geo lookup and the collector's per-source rate limit see:
 * - false (the default): none; the connection's own address is the client's;
 * - true: any; only safe when nothing reaches Pathcast except through the proxy;
 * - a list: the proxies' addresses or CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`.
 *
 * NOTE: no hop count. A count cannot tell a proxy from a client that sent the header itself
 * (fastify ignores one for that reason), so a number is refused rather than silently unused.
 */
export type TrustProxy = boolean | readonly string[];

export interface KafkaConfig {
  /** PATHCAST_KAFKA_BROKERS; empty = the embedded in-memory log. */
  readonly brokers: readonly string[];
  /** PATHCAST_KAFKA_CLIENT_ID. */
  readonly clientId: string;
  /** PATHCAST_KAFKA_TOPIC_PREFIX: topics are `<prefix>.events`, `<prefix>.failed-events`, ... */
  readonly topicPrefix: string;
  /** PATHCAST_KAFKA_GROUP: the consumer group of the processors. */
  readonly group: string;
  /** PATHCAST_PARTITIONS: partitions of the events topic (and of the embedded log). */
  readonly partitions: number;
  /** PATHCAST_KAFKA_SSL. */
  readonly ssl: boolean;
  /** PATHCAST_KAFKA_USERNAME / PATHCAST_KAFKA_PASSWORD: SASL/PLAIN when both are set. */
  readonly username: string | undefined;
  readonly password: string | undefined;
}

/**
 * The collector's limit per source (a site and a client address: see TrustProxy), a token
 * bucket: a source over it gets 429 with Retry-After, everyone else is unaffected.
 */
export interface CollectorConfig {
  /**
   * PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND (0 turns the limit off) and PATHCAST_RATE_LIMIT_BURST
   * (events a source may send at once after being idle).
   */
  readonly rateLimit: { readonly eventsPerSecond: number; readonly burst: number } | false;
}

/**
 * How events are cut into sessions (the sessionizer's options; the REST scorer cuts the same
 * way). A change applies to events processed after the restart; closed sessions stay as they
 * were.
 */
export interface SessionsConfig {
  /** PATHCAST_SESSION_GAP_MINUTES: inactivity that ends a session. */
  readonly gapMs: number;
  /** PATHCAST_SESSION_MAX_LENGTH_HOURS: a longer visit is split. */
  readonly maxLengthMs: number;
  /** PATHCAST_SESSION_SPLIT_ON_CAMPAIGN: a new marketing touch starts a new session. */
  readonly splitOnCampaign: boolean;
  /** PATHCAST_SESSION_OUT_OF_ORDERNESS_SECONDS: watermark = newest event time - this. */
  readonly outOfOrdernessMs: number;
  /** PATHCAST_SESSION_ALLOWED_LATENESS_MINUTES: how far behind the watermark an event is still taken. */
  readonly allowedLatenessMs: number;
}

export interface ClickHouseConfig {
  /** PATHCAST_CLICKHOUSE_URL; unset = embedded chdb in `<dataDir>/chdb`. */
  readonly url: string | undefined;
  /** PATHCAST_CLICKHOUSE_USER. */
  readonly user: string;
  /** PATHCAST_CLICKHOUSE_PASSWORD. */
  readonly password: string;
  /** PATHCAST_CLICKHOUSE_DATABASE. */
  readonly database: string;
  /** PATHCAST_CLICKHOUSE_CA_FILE: CA certificate (PEM) for TLS to the server. */
  readonly caFile: string | undefined;
}

/**
 * Retention of history in ClickHouse, in days; 0 keeps data forever. Old data goes a whole
 * month partition at a time (18.16 has no TTL), so a row lives at least the configured days and
 * at most about a month longer. The per-minute aggregates are never dropped.
 */
export interface RetentionConfig {
  /** PATHCAST_RETENTION_DAYS: events, sessions and scores. */
  readonly days: number;
  /** PATHCAST_FAILED_EVENTS_RETENTION_DAYS: failed events. */
  readonly failedEventsDays: number;
}

export interface PostgresConfig {
  /** PATHCAST_POSTGRES_URL: CRM profile source; unset = none. */
  readonly url: string | undefined;
  /** PATHCAST_POSTGRES_TABLE: the profile table, maybe schema-qualified (crm.profiles). */
  readonly table: string;
}

/** What the live models learn from. */
export interface ModelsConfig {
  /**
   * PATHCAST_MODELS_INCLUDE_BOTS: learn from sessions flagged as bots (crawler user agents) too.
   * Off by default: bots are stored and flagged, never learnt from.
   */
  readonly includeBots: boolean;
}

/** The cache of CRM profiles that the session join reads. */
export interface CrmConfig {
  /** PATHCAST_CRM_CACHE_MAX_ENTRIES: profiles (and "no such user" answers) held. */
  readonly cacheMaxEntries: number;
  /** PATHCAST_CRM_CACHE_TTL_SECONDS: how long a profile is served before it is read again. */
  readonly cacheTtlMs: number;
}

export interface Config {
  readonly runtime: RuntimeConfig;
  readonly http: HttpConfig;
  readonly collector: CollectorConfig;
  readonly sessions: SessionsConfig;
  readonly kafka: KafkaConfig;
  readonly clickhouse: ClickHouseConfig;
  readonly retention: RetentionConfig;
  readonly postgres: PostgresConfig;
  readonly crm: CrmConfig;
  readonly models: ModelsConfig;
  /** Sites and their keys: `--config FILE`, else PATHCAST_SITES, else a generated demo site. */
  readonly sites: SitesConfig;
}

export interface LoadOptions {
  /** A JSON file with `{ "sites": [...] }` (pathcast start --config FILE). */
  readonly configFile?: string;
  /**
   * `pathcast start --demo`: embedded everything (in-memory log, chdb in `<data dir>/demo`),
   * whatever Kafka or ClickHouse the environment names, so a demo never writes to real systems.
   */
  readonly demo?: boolean;
}

/** About a century: anything longer is a typo, not a policy. */
const MAX_RETENTION_DAYS = 36_500;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Reads and validates every section; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env, options: LoadOptions = {}): Config {
  const read = new EnvReader(options.demo === true ? demoEnv(env) : env);
  return {
    runtime: {
      dataDir: read.string('PATHCAST_DATA_DIR', '.pathcast'),
      logLevel: read.oneOf('PATHCAST_LOG_LEVEL', LOG_LEVELS, 'info'),
      instanceId: read.string('PATHCAST_INSTANCE_ID', `pathcast-${process.pid}`),
      hugePages: hugePagesAdvised(read.string('GLIBC_TUNABLES', '')),
    },
    http: {
      host: read.string('PATHCAST_HOST', '127.0.0.1'),
      port: read.int('PATHCAST_PORT', 8080, 0, 65535),
      trustProxy: readTrustProxy(read, 'PATHCAST_TRUST_PROXY'),
    },
    collector: { rateLimit: readRateLimit(read) },
    sessions: readSessions(read),
    kafka: {
      brokers: read.hostPorts('PATHCAST_KAFKA_BROKERS'),
      clientId: read.string('PATHCAST_KAFKA_CLIENT_ID', 'pathcast'),
      topicPrefix: read.string('PATHCAST_KAFKA_TOPIC_PREFIX', 'pathcast'),
      group: read.string('PATHCAST_KAFKA_GROUP', 'pathcast-processors'),
      partitions: read.int('PATHCAST_PARTITIONS', 8, 1, 10_000),
      ssl: read.bool('PATHCAST_KAFKA_SSL', false),
      username: read.optionalString('PATHCAST_KAFKA_USERNAME'),
      password: read.optionalString('PATHCAST_KAFKA_PASSWORD'),
    },
    clickhouse: {
      url: read.url('PATHCAST_CLICKHOUSE_URL', ['http:', 'https:']),
      user: read.string('PATHCAST_CLICKHOUSE_USER', 'default'),
      password: read.string('PATHCAST_CLICKHOUSE_PASSWORD', ''),
      database: read.string('PATHCAST_CLICKHOUSE_DATABASE', 'pathcast'),
      caFile: read.optionalString('PATHCAST_CLICKHOUSE_CA_FILE'),
    },
    retention: {
      days: read.int('PATHCAST_RETENTION_DAYS', 0, 0, MAX_RETENTION_DAYS),
      failedEventsDays: read.int('PATHCAST_FAILED_EVENTS_RETENTION_DAYS', 0, 0, MAX_RETENTION_DAYS),
    },
    postgres: {
      url: read.url('PATHCAST_POSTGRES_URL', ['postgres:', 'postgresql:']),
      table: readTableName(read, 'PATHCAST_POSTGRES_TABLE', 'crm_profiles'),
    },
    models: { includeBots: read.bool('PATHCAST_MODELS_INCLUDE_BOTS', false) },
    crm: {
      cacheMaxEntries: read.int('PATHCAST_CRM_CACHE_MAX_ENTRIES', 100_000, 1, 100_000_000),
      cacheTtlMs: read.int('PATHCAST_CRM_CACHE_TTL_SECONDS', 600, 1, 7 * 86_400) * 1000,
    },
    sites: loadSites(read.json('PATHCAST_SITES'), options.configFile),
  };
}

function demoEnv(env: Env): Env {
  const { PATHCAST_KAFKA_BROKERS: _brokers, PATHCAST_CLICKHOUSE_URL: _clickhouse, ...rest } = env;
  return {
    ...rest,
    PATHCAST_DATA_DIR: join(env['PATHCAST_DATA_DIR'] ?? '.pathcast', 'demo'),
    // The banner is what a newcomer reads; the logs stay quiet unless asked for.
    PATHCAST_LOG_LEVEL: env['PATHCAST_LOG_LEVEL'] ?? 'warn',
    // All the demo's simulated visitors come from one loopback address.
    PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND: env['PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND'] ?? '5000',
    PATHCAST_RATE_LIMIT_BURST: env['PATHCAST_RATE_LIMIT_BURST'] ?? '20000',
  };
}

/**
 * A browser sends a few events a second at most; a backend behind one address needs more. The
 * burst lets an idle source send a full batch (2,500 events) at once.
 */
const DEFAULT_RATE_LIMIT = { eventsPerSecond: 200, burst: 2_500 };

function readRateLimit(read: EnvReader): CollectorConfig['rateLimit'] {
  const eventsPerSecond = read.int(
    'PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND',
    DEFAULT_RATE_LIMIT.eventsPerSecond,
    0,
    10_000_000,
  );
  const burst = read.int('PATHCAST_RATE_LIMIT_BURST', DEFAULT_RATE_LIMIT.burst, 1, 100_000_000);
  return eventsPerSecond === 0 ? false : { eventsPerSecond, burst };
}

/** The configuration of this process, from its environment. */
export function loadProcessConfig(options: LoadOptions = {}): Config {
  return loadConfig(process.env, options);
}

const SECRET_KEYS = new Set(['password', 'secretKey', 'writeKey']);
const MASK = '********';

/** A copy safe to print: secrets and passwords inside URLs are masked. */
export function maskSecrets<T>(value: T): T {
  return mask(value) as T;
}

function mask(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined && value !== '') {
    return MASK;
  }
  // Unset options print as null, so every setting shows up in `pathcast config`.
  if (value === undefined) return null;
  if (typeof value === 'string') return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => mask(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  }
  return value;
}

function maskUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = MASK;
    return url.toString();
  } catch {
    return text;
  }
}

/** Named ranges the proxy address list accepts besides addresses and CIDRs (fastify's names). */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

function readSessions(read: EnvReader): SessionsConfig {
  const sessions: SessionsConfig = {
    gapMs: read.int('PATHCAST_SESSION_GAP_MINUTES', 30, 1, 24 * 60) * MINUTE_MS,
    // Session offsets are kept as 32-bit ms: 1,193 hours is the longest that fits.
    maxLengthMs: read.int('PATHCAST_SESSION_MAX_LENGTH_HOURS', 24, 1, 1_193) * HOUR_MS,
    splitOnCampaign: read.bool('PATHCAST_SESSION_SPLIT_ON_CAMPAIGN', false),
    outOfOrdernessMs: read.int('PATHCAST_SESSION_OUT_OF_ORDERNESS_SECONDS', 120, 0, 86_400) * 1000,
    allowedLatenessMs:
      read.int('PATHCAST_SESSION_ALLOWED_LATENESS_MINUTES', 30, 0, 7 * 24 * 60) * MINUTE_MS,
  };
  // The sessionizer's own rule (src/sessionizer/options.ts), named here by its variables.
  const reach = sessions.outOfOrdernessMs + sessions.allowedLatenessMs;
  if (sessions.maxLengthMs <= reach) {
    throw new ConfigError(
      'PATHCAST_SESSION_MAX_LENGTH_HOURS',
      `must exceed the out-of-orderness plus the allowed lateness (${reach / HOUR_MS} h)`,
    );
  }
  return sessions;
}

/**
 * Whether `table` is a plain lower-case PostgreSQL table name, maybe schema-qualified
 * (`crm.profiles`). Table names cannot be query parameters: only such names reach SQL text.
 */
export function isPlainTableName(table: string): boolean {
  const parts = table.split('.');
  return parts.length <= 2 && parts.every((part) => /^[a-z_][a-z0-9_]{0,62}$/.test(part));
}

function readTableName(read: EnvReader, name: string, fallback: string): string {
  const table = read.string(name, fallback);
  if (!isPlainTableName(table)) {
    throw new ConfigError(
      name,
      `expected a lower-case table name such as crm_profiles or crm.profiles, got "${table}"`,
    );
  }
  return table;
}

/** PATHCAST_TRUST_PROXY as a TrustProxy; anything else is a ConfigError saying what is allowed. */
function readTrustProxy(read: EnvReader, name: string): TrustProxy {
  const value = read.optionalString(name);
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(lower)) return true;
  if (['false', 'no', 'off', '0'].includes(lower)) return false;
  if (/^\d+$/.test(value)) {
    throw new ConfigError(
      name,
      `a hop count (${value}) cannot tell a proxy from a client that forged the header; ` +
        "list the proxies' addresses or CIDR ranges instead",
    );
  }
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const bad = entries.find((entry) => !isProxyAddress(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      name,
      'expected true, false, or a comma-separated list of proxy ' +
        `addresses, CIDR ranges, ${PROXY_RANGE_NAMES.join(', ')}; got "${bad}"`,
    );
  }
  return entries.length === 0 ? false : entries;
}

/** An IP address, an address/prefix-length range, or one of PROXY_RANGE_NAMES. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
