import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, TransientError, silentLogger } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import { decodeEnvelopes, topicNames, visitorKey, type RawEnvelope } from '../../ingest/index.js';
import { basicAuthUser, collectorPlugin, type CollectorLog } from './plugin.js';

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

  /** The events of the events topic, one envelope each, in order. */
  events(): RawEnvelope[] {
    return this.records(topics.events).flatMap((record) => {
      const decoded = decodeEnvelopes(record.value);
      if (!decoded.ok) throw new Error(`not an envelope: ${decoded.reason}`);
      return decoded.value;
    });
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
    expect(log.events()[0]).toMatchObject({
      site: 'shop',
      country: 'AU',
      ipPrefix: 'prefix-of-ip',
    });
    expect(records[0]?.value).not.toContain('203.0.113.77');
  });

  describe("one visitor's batch", () => {
    // What a browser sends: its own events, no IP in them (the collector sees the connection's).
    const own = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      type: i % 2 === 0 ? 'page' : 'track',
      event: 'Clicked',
      messageId: `b-${i}`,
      anonymousId: 'anon-9',
      properties: { i, text: `"q" \\ \u0000 🚀` },
      ...extra,
    });
    const batchOf = (n: number) => Array.from({ length: n }, (_, i) => own(i));

    it('is logged as it came, in one record keyed by the visitor, with the geo of the request', async () => {
      await build();
      const body = JSON.stringify({
        sentAt: '2026-06-01T11:59:59Z',
        context: { locale: 'en-GB', library: { name: 't.js' } },
        batch: batchOf(20),
      });
      const response = await post('/v1/batch', body, { 'x-forwarded-for': '203.0.113.5' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ success: true, accepted: 20 });
      const records = log.records(topics.events);
      expect(records).toHaveLength(1);
      expect(records[0]?.key).toBe(visitorKey('shop', 'anon-9'));
      expect(records[0]?.value).toContain(body);
      const events = log.events();
      expect(events.map((e) => (e.event as { messageId: string }).messageId)).toEqual(
        batchOf(20).map((e) => e['messageId']),
      );
      for (const envelope of events) {
        expect(envelope).toMatchObject({
          site: 'shop',
          sentAt: '2026-06-01T11:59:59Z',
          receivedAt: Date.parse('2026-06-01T12:00:00Z'),
        });
        expect(envelope.event).toMatchObject({
          context: { locale: 'en-GB', library: { name: 't.js' } },
          properties: { text: `"q" \\ \u0000 🚀` },
        });
      }
    });

    it.each([
      ['two visitors', () => [own(0), own(1, { anonymousId: 'anon-8' })], 2],
      ['an event with an IP', () => [own(0), own(1, { context: { ip: '203.0.113.77' } })], 2],
      ['an IP in any shape', () => [own(0, { context: { ip: ['203.0.113.77'] } }), own(1)], 2],
      ['a body over the one-event limit', () => [own(0), own(1, { pad: 'x'.repeat(33_000) })], 1],
      ['a rejected event', () => [own(0), own(1, { timestamp: 'not a time' }), own(2)], 2],
    ])('with %s is logged event by event, without the raw IP', async (_name, batch, count) => {
      await build();
      await post('/v1/batch', { batch: batch() });
      const records = log.records(topics.events);
      expect(records).toHaveLength(count);
      for (const record of records) {
        expect(record.value).not.toContain('203.0.113.77');
        expect(decodeEnvelopes(record.value)).toMatchObject({
          ok: true,
          value: [{ site: 'shop' }],
        });
      }
    });

    it('with an IP in the batch context is logged event by event, without it', async () => {
      await build();
      const response = await post('/v1/batch', {
        context: { ip: '203.0.113.77' },
        batch: batchOf(3),
      });
      expect(response.json()).toEqual({ success: true, accepted: 3 });
      expect(log.records(topics.events)).toHaveLength(3);
      expect(JSON.stringify(log.records(topics.events))).not.toContain('203.0.113.77');
      expect(log.events()[0]).toMatchObject({ country: 'AU', ipPrefix: 'prefix-of-ip' });
    });
  });

  it.each(['track', 'page', 'screen', 'identify', 'alias', 'group'])(
    'accepts /v1/%s',
    async (type) => {
      await build();
      const body = { anonymousId: 'a', userId: 'u', event: 'E', previousId: 'p', groupId: 'g' };
      const response = await post(`/v1/${type}`, body);
      expect(response.statusCode).toBe(200);
      expect(log.records(topics.events)).toHaveLength(1);
      expect((log.events()[0]?.event as { type: string }).type).toBe(type);
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
    // A tracker may read Retry-After to back off as long as a 429 or 503 asks.
    expect(response.headers['access-control-expose-headers']).toBe('retry-after');
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

  it('refuses by name a valid event too large for its record, in a batch read without JSON.parse', async () => {
    await build();
    const response = await post('/v1/batch', {
      batch: [track(1), track(2, { properties: { pad: 'x'.repeat(33 * 1024) } }), track(3)],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'event_rejected',
      accepted: 2,
      rejected: [{ index: 1, messageId: 'm-2', code: 'event_too_large' }],
    });
    expect(log.events().map((e) => (e.event as { messageId: string }).messageId)).toEqual([
      'm-1',
      'm-3',
    ]);
    const failed = log.records(topics.failedEvents).map((r) => JSON.parse(r.value));
    expect(failed).toMatchObject([{ reason: 'event_too_large', id: 'm-2' }]);
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

  it('takes a full batch of 2,500 events from an idle source under the default limit', async () => {
    await build({ eventsPerSecond: 200, burst: 2_500 });
    const full = { batch: Array.from({ length: 2_500 }, (_, i) => track(i)) };
    const first = await post('/v1/batch', full);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ success: true, accepted: 2_500 });
    // The bucket is empty now: the next batch waits for a full refill of 2,500 / 200 = 13 s.
    const next = await post('/v1/batch', full);
    expect(next.statusCode).toBe(429);
    expect(next.headers['retry-after']).toBe('13');
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
    expect(log.events()[0]?.event).toMatchObject({
      event: text.slice(0, 1000),
      properties: { text },
    });
  });
});

describe('basicAuthUser', () => {
  const header = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;
  const cases: Array<[string | undefined, string | undefined]> = [
    [header('wk_one:'), 'wk_one'],
    [header('wk_two:secret'), 'wk_two'],
    [header('wk_three'), 'wk_three'],
    [header(':password'), undefined],
    ['Bearer abc', undefined],
    ['Basic !!!', undefined],
    [undefined, undefined],
  ];

  it('reads the user of each header, asked in any order and again', () => {
    for (let round = 0; round < 3; round++) {
      for (const [value, user] of round === 1 ? [...cases].reverse() : cases) {
        expect(basicAuthUser(value)).toBe(user);
        expect(basicAuthUser(value)).toBe(user);
      }
    }
  });
});
