import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, HUGE_PAGES_TUNABLE } from '../core/index.js';
import { loadConfig, maskSecrets } from './config.js';

describe('loadConfig', () => {
  it('refuses a max session length within the out-of-orderness plus lateness', () => {
    expect(() =>
      loadConfig({
        PATHCAST_SESSION_MAX_LENGTH_HOURS: '1',
        PATHCAST_SESSION_ALLOWED_LATENESS_MINUTES: '60',
      }),
    ).toThrow(
      /PATHCAST_SESSION_MAX_LENGTH_HOURS: must exceed the out-of-orderness plus the allowed lateness/,
    );
  });

  it('resolves the embedded defaults from an empty environment', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual([]);
    expect(config.clickhouse.url).toBeUndefined();
    expect(config.clickhouse.database).toBe('pathcast');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080, trustProxy: false });
    expect(config.runtime.logLevel).toBe('info');
    expect(config.runtime.hugePages).toBe(false);
    expect(config.kafka.partitions).toBe(8);
    // Nothing is ever deleted unless retention is configured.
    expect(config.retention).toEqual({ days: 0, failedEventsDays: 0 });
  });

  it('tells whether glibc was asked for huge pages, as the project scripts ask', () => {
    expect(loadConfig({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE }).runtime.hugePages).toBe(true);
    expect(loadConfig({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).runtime.hugePages).toBe(false);
  });

  it('reads every section', () => {
    const config = loadConfig({
      PATHCAST_DATA_DIR: '/var/lib/pathcast',
      PATHCAST_PORT: '9000',
      PATHCAST_KAFKA_BROKERS: 'k1:9092, k2:9092',
      PATHCAST_PARTITIONS: '24',
      PATHCAST_KAFKA_SSL: 'yes',
      PATHCAST_CLICKHOUSE_URL: 'https://ch.example:8443',
      PATHCAST_CLICKHOUSE_DATABASE: 'analytics',
      PATHCAST_POSTGRES_URL: 'postgres://crm@db:5432/crm',
      PATHCAST_LOG_LEVEL: 'debug',
      PATHCAST_RETENTION_DAYS: '400',
      PATHCAST_FAILED_EVENTS_RETENTION_DAYS: '30',
    });
    expect(config.runtime.dataDir).toBe('/var/lib/pathcast');
    expect(config.http.port).toBe(9000);
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.kafka.partitions).toBe(24);
    expect(config.kafka.ssl).toBe(true);
    expect(config.clickhouse.url).toBe('https://ch.example:8443');
    expect(config.clickhouse.database).toBe('analytics');
    expect(config.postgres.url).toBe('postgres://crm@db:5432/crm');
    expect(config.runtime.logLevel).toBe('debug');
    expect(config.retention).toEqual({ days: 400, failedEventsDays: 30 });
  });

  it('keeps a demo embedded and apart, whatever Kafka or ClickHouse the environment names', () => {
    const env = {
      PATHCAST_KAFKA_BROKERS: 'kafka.internal:9092',
      PATHCAST_CLICKHOUSE_URL: 'https://ch.internal:8443',
      PATHCAST_DATA_DIR: 'var/pathcast',
      PATHCAST_PORT: '9090',
    };
    const demo = loadConfig(env, { demo: true });
    expect(demo.kafka.brokers).toEqual([]);
    expect(demo.clickhouse.url).toBeUndefined();
    expect(demo.runtime.dataDir).toBe(join('var/pathcast', 'demo'));
    expect(demo.http.port).toBe(9090);
    expect(demo.runtime.logLevel).toBe('warn');
    expect(
      loadConfig({ ...env, PATHCAST_LOG_LEVEL: 'debug' }, { demo: true }).runtime.logLevel,
    ).toBe('debug');
    const real = loadConfig(env);
    expect(real.kafka.brokers).toEqual(['kafka.internal:9092']);
    expect(real.clickhouse.url).toBe('https://ch.internal:8443');
    expect(real.runtime.dataDir).toBe('var/pathcast');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['off', false],
    ['0', false],
    [' , ', false],
    ['10.0.0.0/8, loopback,192.0.2.7', ['10.0.0.0/8', 'loopback', '192.0.2.7']],
    ['2001:db8::/32,uniquelocal', ['2001:db8::/32', 'uniquelocal']],
  ])('reads PATHCAST_TRUST_PROXY=%j', (value, trust) => {
    expect(loadConfig({ PATHCAST_TRUST_PROXY: value }).http.trustProxy).toEqual(trust);
  });

  it('limits each collector source to 200 events/s with a burst of one full batch', () => {
    expect(loadConfig({}).collector.rateLimit).toEqual({ eventsPerSecond: 200, burst: 2_500 });
    const set = loadConfig({
      PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND: '5000',
      PATHCAST_RATE_LIMIT_BURST: '50000',
    });
    expect(set.collector.rateLimit).toEqual({ eventsPerSecond: 5_000, burst: 50_000 });
    expect(loadConfig({ PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND: '0' }).collector.rateLimit).toBe(
      false,
    );
    // The demo's simulated visitors all come from one loopback address.
    expect(loadConfig({}, { demo: true }).collector.rateLimit).toEqual({
      eventsPerSecond: 5_000,
      burst: 20_000,
    });
    expect(
      loadConfig({ PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND: '50' }, { demo: true }).collector
        .rateLimit,
    ).toEqual({ eventsPerSecond: 50, burst: 20_000 });
  });

  it('cuts sessions as the sessionizer does by default, or as configured', () => {
    expect(loadConfig({}).sessions).toEqual({
      gapMs: 30 * 60_000,
      maxLengthMs: 24 * 3_600_000,
      splitOnCampaign: false,
      outOfOrdernessMs: 120_000,
      allowedLatenessMs: 30 * 60_000,
    });
    const set = loadConfig({
      PATHCAST_SESSION_GAP_MINUTES: '15',
      PATHCAST_SESSION_MAX_LENGTH_HOURS: '4',
      PATHCAST_SESSION_SPLIT_ON_CAMPAIGN: 'true',
      PATHCAST_SESSION_OUT_OF_ORDERNESS_SECONDS: '10',
      PATHCAST_SESSION_ALLOWED_LATENESS_MINUTES: '0',
    });
    expect(set.sessions).toEqual({
      gapMs: 15 * 60_000,
      maxLengthMs: 4 * 3_600_000,
      splitOnCampaign: true,
      outOfOrdernessMs: 10_000,
      allowedLatenessMs: 0,
    });
  });

  it('sizes the CRM profile cache: 100,000 profiles for 10 minutes, or as configured', () => {
    expect(loadConfig({}).crm).toEqual({ cacheMaxEntries: 100_000, cacheTtlMs: 600_000 });
    expect(
      loadConfig({
        PATHCAST_CRM_CACHE_MAX_ENTRIES: '2000000',
        PATHCAST_CRM_CACHE_TTL_SECONDS: '3600',
      }).crm,
    ).toEqual({ cacheMaxEntries: 2_000_000, cacheTtlMs: 3_600_000 });
  });

  it('reads the CRM profile table, crm_profiles unless configured', () => {
    expect(loadConfig({}).postgres.table).toBe('crm_profiles');
    expect(loadConfig({ PATHCAST_POSTGRES_TABLE: 'crm.people' }).postgres.table).toBe('crm.people');
  });

  it('keeps bots out of the models unless asked', () => {
    expect(loadConfig({}).models).toEqual({ includeBots: false });
    expect(loadConfig({ PATHCAST_MODELS_INCLUDE_BOTS: 'yes' }).models).toEqual({
      includeBots: true,
    });
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ PATHCAST_PORT: '  ', PATHCAST_CLICKHOUSE_URL: '' }).http.port).toBe(8080);
  });

  it.each([
    ['PATHCAST_PORT', 'abc', /integer from 0 to 65535/],
    ['PATHCAST_PORT', '70000', /integer from 0 to 65535/],
    ['PATHCAST_PORT', '80.5', /integer/],
    ['PATHCAST_PARTITIONS', '0', /integer from 1/],
    ['PATHCAST_KAFKA_SSL', 'maybe', /one of true, false/],
    ['PATHCAST_LOG_LEVEL', 'loud', /one of trace, debug, info/],
    ['PATHCAST_KAFKA_BROKERS', 'localhost', /host:port/],
    ['PATHCAST_KAFKA_BROKERS', 'a:1,b:99999', /host:port/],
    ['PATHCAST_CLICKHOUSE_URL', 'not a url', /expected a URL/],
    ['PATHCAST_CLICKHOUSE_URL', 'ftp://x', /protocol http: or https:/],
    ['PATHCAST_POSTGRES_URL', 'http://db', /protocol postgres:/],
    ['PATHCAST_RETENTION_DAYS', '-1', /integer from 0 to 36500/],
    ['PATHCAST_RETENTION_DAYS', '30d', /integer from 0 to 36500, got "30d"/],
    ['PATHCAST_RETENTION_DAYS', '99999', /integer from 0 to 36500/],
    ['PATHCAST_FAILED_EVENTS_RETENTION_DAYS', '7.5', /integer from 0 to 36500/],
    ['PATHCAST_RATE_LIMIT_EVENTS_PER_SECOND', '-5', /integer from 0 to 10000000/],
    ['PATHCAST_RATE_LIMIT_BURST', '0', /integer from 1 to 100000000/],
    ['PATHCAST_SESSION_GAP_MINUTES', '0', /integer from 1 to 1440/],
    ['PATHCAST_SESSION_MAX_LENGTH_HOURS', '2000', /integer from 1 to 1193/],
    ['PATHCAST_SESSION_SPLIT_ON_CAMPAIGN', 'sometimes', /one of true, false/],
    ['PATHCAST_SESSION_ALLOWED_LATENESS_MINUTES', '-1', /integer from 0 to 10080/],
    ['PATHCAST_CRM_CACHE_MAX_ENTRIES', '0', /integer from 1 to 100000000/],
    ['PATHCAST_CRM_CACHE_TTL_SECONDS', '1h', /integer from 1 to 604800/],
    ['PATHCAST_POSTGRES_TABLE', 'People; DROP TABLE x', /lower-case table name/],
    ['PATHCAST_POSTGRES_TABLE', 'a.b.c', /lower-case table name/],
    ['PATHCAST_TRUST_PROXY', '2', /hop count \(2\) cannot tell a proxy/],
    [
      'PATHCAST_TRUST_PROXY',
      'lb.internal',
      /comma-separated list of proxy addresses.*"lb.internal"/,
    ],
    ['PATHCAST_TRUST_PROXY', '10.0.0.0/33', /got "10.0.0.0\/33"/],
    ['PATHCAST_TRUST_PROXY', '10.0.0.1,::1/129', /got "::1\/129"/],
    ['PATHCAST_TRUST_PROXY', '10.0.0.0/8/1', /got "10.0.0.0\/8\/1"/],
  ])('rejects %s=%s naming the variable', (variable, value, allowed) => {
    let thrown: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toMatch(allowed);
  });
});

describe('maskSecrets', () => {
  it('masks passwords, keys and credentials inside URLs, and shows unset values as null', () => {
    const config = loadConfig({
      PATHCAST_CLICKHOUSE_URL: 'http://admin:hunter2@ch:8123',
      PATHCAST_CLICKHOUSE_PASSWORD: 'hunter2',
      PATHCAST_KAFKA_USERNAME: 'svc',
      PATHCAST_KAFKA_PASSWORD: 's3cret',
      PATHCAST_POSTGRES_URL: 'postgres://crm:pgpass@db/crm',
    });
    const masked = maskSecrets(config);
    const text = JSON.stringify(masked);
    for (const secret of ['hunter2', 's3cret', 'pgpass']) expect(text).not.toContain(secret);
    expect(masked.clickhouse.url).toBe('http://admin:********@ch:8123/');
    expect(masked.kafka.username).toBe('svc');
    expect(masked.kafka.password).toBe('********');
    expect(maskSecrets(loadConfig({})).clickhouse.caFile).toBeNull();
    // The original is untouched.
    expect(config.clickhouse.password).toBe('hunter2');
  });

  it('masks site keys wherever they appear', () => {
    expect(maskSecrets({ sites: [{ id: 'a', writeKey: 'wk', secretKey: 'sk' }] })).toEqual({
      sites: [{ id: 'a', writeKey: '********', secretKey: '********' }],
    });
  });
});
