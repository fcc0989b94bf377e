import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, TransientError, silentLogger } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import { decodeEnvelope, topicNames, visitorKey } from '../../ingest/index.js';
import { collectorPlugin, type CollectorLog } from './plugin.js';

// A recording stand-in for the event log: this unit test is about the HTTP contract around it.
// The real logs (memory and Kafka) are exercised in collector.integration.test.ts.
class RecordingLog implements CollectorLog {
  readonly topics = new Map<string, Array<{ key: string; value: string }>>();
  failWith: Error | undefined;

  async produce(
    topic: string,
    records: ReadonlyArray<{ key: string; value: string }>,
  ): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    const list = this.topics.get(topic) ?? [];
    list.push(...records);
    this.topics.set(topic, list);
  }

  records(topic: string): Array<{ key: string; value: string }> {
    return this.topics.get(topic) ?? [];
  }
}

const topics = topicNames('test');
const shop: SiteConfig = {
  id: 'shop',
  writeKey: 'wk_shop_123456',
  secretKey: 'sk_shop_123456',
  allowedOrigins: ['https://shop.example'],
  respectDoNotTrack: true,
};
const open: SiteConfig = {
  ...shop,
  id: 'open',
  writeKey: 'wk_open_123456',
  secretKey: 'sk_open_123456',
  allowedOrigins: [],
};
const basic = (key: string): string => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

let app: FastifyInstance;
let log: RecordingLog;

async function build(
  rateLimit: { eventsPerSecond: number; burst: number } | false = false,
): Promise<void> {
  log = new RecordingLog();
  app = Fastify();
  await app.register(collectorPlugin, {
    sites: [shop, open],
    log,
    topics,
    geo: (ip) => ({
      country: ip.startsWith('203.') ? 'AU' : '',
      ipPrefix: ip === '' ? '' : 'prefix-of-ip',
    }),
    clock: new ManualClock(Date.parse('2026-06-01T12:00:00Z')),
    logger: silentLogger,
    rateLimit,
  });
  await app.ready();
}

afterEach(async () => {
  await app.close();
});

const track = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'track',
  event: 'Clicked',
  messageId: `m-${i}`,
  anonymousId: `anon-${i % 3}`,
  properties: { i },
  context: { ip: '203.0.113.77' },
  ...extra,
});

async function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      authorization: basic(shop.writeKey),
      ...headers,
    },
    payload:
      typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });
}

describe('collector', () => {
  it('accepts a batch once the log has it, keyed by (site, visitor), without the raw IP', async () => {
    await build();
    const response = await post('/v1/batch', { batch: [track(1), track(2)] });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ success: true, accepted: 2 });
    const records = log.records(topics.events);
    expect(records.map((r) => r.key)).toEqual([
      visitorKey('shop', 'anon-1'),
      visitorKey('shop', 'anon-2'),
    ]);
    const envelope = decodeEnvelope(records[0]?.value ?? '');
    expect(envelope.ok && envelope.value).toMatchObject({
      site: 'shop',
      country: 'AU',
      ipPrefix: 'prefix-of-ip',
    });
    expect(records[0]?.value).not.toContain('203.0.113.77');
  });

  it.each(['track', 'page', 'screen', 'identify', 'alias', 'group'])(
    'accepts /v1/%s',
    async (type) => {
      await build();
      const body = { anonymousId: 'a', userId: 'u', event: 'E', previousId: 'p', groupId: 'g' };
      const response = await post(`/v1/${type}`, body);
      expect(response.statusCode).toBe(200);
      const envelope = decodeEnvelope(log.records(topics.events)[0]?.value ?? '');
      expect(envelope.ok && (envelope.value.event as { type: string }).type).toBe(type);
    },
  );

  it('takes the write key from the body when there is no header (sendBeacon, text/plain)', async () => {
    await build();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      payload: JSON.stringify({ writeKey: open.writeKey, batch: [track(1)] }),
    });
    expect(response.statusCode).toBe(200);
    expect(log.records(topics.events)).toHaveLength(1);
  });

  it.each([
    ['gzip with its header', { 'content-encoding': 'gzip', 'content-type': 'application/json' }],
    [
      'gzip labelled form-urlencoded (RudderStack)',
      { 'content-type': 'application/x-www-form-urlencoded' },
    ],
  ])('reads %s', async (_name, headers) => {
    await build();
    const response = await post(
      '/v1/batch',
      gzipSync(JSON.stringify({ batch: [track(1)] })),
      headers,
    );
    expect(response.statusCode).toBe(200);
    expect(log.records(topics.events)).toHaveLength(1);
  });

  it.each([
    ['missing key', {}, 401, 'missing_write_key'],
    ['unknown key', { authorization: basic('wk_nobody_000') }, 401, 'invalid_write_key'],
    ['foreign origin', { origin: 'https://evil.example' }, 403, 'origin_not_allowed'],
  ])('refuses a %s and logs nothing', async (_name, headers, status, code) => {
    await build();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: {
        'content-type': 'application/json',
        ...(code === 'missing_write_key' ? {} : { authorization: basic(shop.writeKey) }),
        ...headers,
      },
      payload: JSON.stringify({ batch: [track(1)] }),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ success: false, code });
    expect(log.topics.size).toBe(0);
  });

  it('answers CORS for an allowed origin, in the preflight too', async () => {
    await build();
    const response = await post(
      '/v1/batch',
      { batch: [track(1)] },
      { origin: 'https://shop.example' },
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://shop.example');
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/batch',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
  });

  it.each([
    ['invalid JSON', '{"batch": [', 400, 'invalid_json'],
    ['a JSON array', '[1]', 400, 'invalid_body'],
    ['batch not an array', { batch: 'x' }, 400, 'invalid_body'],
    ['an empty batch', { batch: [] }, 400, 'empty_batch'],
    [
      '2,501 events',
      {
        batch: Array.from({ length: 2501 }, (_, i) => ({
          type: 'track',
          event: 'e',
          anonymousId: `${i}`,
        })),
      },
      400,
      'too_many_events',
    ],
    [
      'a body over 500 KB',
      { batch: [track(1, { properties: { pad: 'x'.repeat(520 * 1024) } })] },
      413,
      'batch_too_large',
    ],
  ])('answers %s with a stable code and logs nothing', async (_name, payload, status, code) => {
    await build();
    const response = await post('/v1/batch', payload);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ success: false, code });
    expect(response.json().message).toMatch(/\w/);
    expect(log.records(topics.events)).toHaveLength(0);
  });

  it('accepts the valid events of a mixed batch and stores the rest as failed events', async () => {
    await build();
    const response = await post('/v1/batch', {
      batch: [
        track(1),
        { type: 'track', event: 'x' },
        track(3, { timestamp: 'not a time' }),
        track(4, { properties: { pad: 'x'.repeat(33 * 1024) } }),
        'garbage',
        track(6),
      ],
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body).toMatchObject({ success: false, code: 'event_rejected', accepted: 2 });
    expect(body.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [1, 'missing_identity'],
      [2, 'invalid_timestamp'],
      [3, 'event_too_large'],
      [4, 'schema_violation'],
    ]);
    expect(log.records(topics.events)).toHaveLength(2);
    const failed = log.records(topics.failedEvents).map((r) => JSON.parse(r.value));
    expect(failed.map((f: { reason: string }) => f.reason)).toEqual([
      'missing_identity',
      'invalid_timestamp',
      'event_too_large',
      'schema_violation',
    ]);
    expect(failed[1]).toMatchObject({ id: 'm-3', site: 'shop', stage: 'collector' });
    for (const f of failed) expect(JSON.stringify(f)).not.toContain('203.0.113.77');
  });

  it('names the code of a single rejected event', async () => {
    await build();
    const response = await post('/v1/track', { event: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'missing_identity', accepted: 0 });
  });

  it('answers 503, never 2xx, when the log cannot take writes', async () => {
    await build();
    log.failWith = new TransientError('log_unavailable', 'broker down');
    const response = await post('/v1/batch', { batch: [track(1)] });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({ code: 'log_unavailable' });
  });

  it('limits a flooding source with 429 and Retry-After, and no one else', async () => {
    await build({ eventsPerSecond: 10, burst: 20 });
    const batch = { batch: Array.from({ length: 20 }, (_, i) => track(i)) };
    expect((await post('/v1/batch', batch)).statusCode).toBe(200);
    const flooded = await post('/v1/batch', batch);
    expect(flooded.statusCode).toBe(429);
    expect(Number(flooded.headers['retry-after'])).toBeGreaterThan(0);
    const other = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      remoteAddress: '198.51.100.1',
      headers: { 'content-type': 'application/json', authorization: basic(shop.writeKey) },
      payload: JSON.stringify(batch),
    });
    expect(other.statusCode).toBe(200);
  });

  it('honours Do-Not-Track and GPC for a site that asks, and says so', async () => {
    await build();
    for (const header of [{ dnt: '1' }, { 'sec-gpc': '1' }] as Array<Record<string, string>>) {
      const response = await post('/v1/batch', { batch: [track(1)] }, header);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        success: true,
        accepted: 0,
        ignored: 1,
        reason: 'do_not_track',
      });
    }
    expect(log.records(topics.events)).toHaveLength(0);
  });

  it.each([
    `it's "quoted"`,
    'back\\slash',
    'nul\u0000byte',
    "'; DROP TABLE events; --",
    '1 UNION SELECT 1',
    '🚀 ünïcödé 中文',
    'x'.repeat(10_000),
  ])('keeps hostile strings verbatim: %#', async (text) => {
    await build();
    const response = await post('/v1/batch', {
      batch: [track(1, { event: text.slice(0, 1000), properties: { text } })],
    });
    expect(response.statusCode).toBe(200);
    const envelope = decodeEnvelope(log.records(topics.events)[0]?.value ?? '');
    expect(envelope.ok && envelope.value.event).toMatchObject({
      event: text.slice(0, 1000),
      properties: { text },
    });
  });
});
