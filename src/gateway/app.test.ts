import { describe, expect, it } from 'vitest';
import { ManualClock, counter, silentLogger } from '../core/index.js';
import { topicNames } from '../ingest/index.js';
import type { TrustProxy } from '../config/index.js';
import { buildApp, type ReadinessCheck } from './app.js';

const probe = counter('pathcast_test_probe_total', 'A metric only this test increments');

async function app(readiness: ReadinessCheck[]) {
  return buildApp({
    sites: [],
    log: { produce: async () => undefined },
    topics: topicNames('t'),
    geo: () => ({ country: '', ipPrefix: '' }),
    clock: new ManualClock(0),
    logger: silentLogger,
    rateLimit: false,
    readiness,
  });
}

describe('gateway app', () => {
  it('answers /healthz', async () => {
    const server = await app([]);
    expect((await server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    await server.close();
  });

  it('reports readiness per dependency, 503 when one is down', async () => {
    const up: ReadinessCheck = {
      name: 'log',
      check: async () => ({ ok: true, detail: 'embedded' }),
    };
    const down: ReadinessCheck = {
      name: 'clickhouse',
      check: async () => {
        throw new Error('connection refused');
      },
    };
    const ready = await app([up]);
    expect((await ready.inject({ url: '/readyz' })).statusCode).toBe(200);
    const notReady = await app([up, down]);
    const response = await notReady.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toEqual([
      { name: 'log', ok: true, detail: 'embedded' },
      { name: 'clickhouse', ok: false, detail: 'connection refused' },
    ]);
    await Promise.all([ready.close(), notReady.close()]);
  });

  it('serves Prometheus metrics', async () => {
    const server = await app([]);
    probe.inc(3);
    const response = await server.inject({ url: '/metrics' });
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('pathcast_test_probe_total 3');
    await server.close();
  });

  describe('the client address behind a proxy (PATHCAST_TRUST_PROXY)', () => {
    const site = {
      id: 'shop',
      writeKey: 'wk_shop',
      secretKey: 'sk_shop',
      allowedOrigins: [],
      respectDoNotTrack: false,
    };
    const batch = JSON.stringify({
      writeKey: 'wk_shop',
      batch: [{ type: 'page', anonymousId: 'a-1', messageId: 'm-1' }],
    });

    /** The address geo lookup was given for one batch sent through a proxy at 10.1.2.3. */
    async function locatedAddress(trustProxy: TrustProxy | undefined): Promise<string[]> {
      const located: string[] = [];
      const server = await buildApp({
        sites: [site],
        log: { produce: async () => undefined },
        topics: topicNames('t'),
        geo: (ip) => {
          located.push(ip);
          return { country: '', ipPrefix: '' };
        },
        clock: new ManualClock(Date.parse('2026-06-01T12:00:00Z')),
        logger: silentLogger,
        rateLimit: false,
        readiness: [],
        ...(trustProxy === undefined ? {} : { trustProxy }),
      });
      const response = await server.inject({
        method: 'POST',
        url: '/v1/batch',
        remoteAddress: '10.1.2.3',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.5' },
        payload: batch,
      });
      expect(response.statusCode).toBe(200);
      await server.close();
      return located;
    }

    it("is the connection address by default: the header is anyone's to write", async () => {
      expect(await locatedAddress(undefined)).toEqual(['10.1.2.3']);
      expect(await locatedAddress(false)).toEqual(['10.1.2.3']);
    });

    it('is the forwarded address when the connection comes from a listed proxy', async () => {
      expect(await locatedAddress(['10.0.0.0/8'])).toEqual(['203.0.113.5']);
      expect(await locatedAddress(true)).toEqual(['203.0.113.5']);
    });

    it('ignores the header from a sender outside the listed proxies', async () => {
      expect(await locatedAddress(['192.0.2.0/24', 'loopback'])).toEqual(['10.1.2.3']);
    });
  });
});
