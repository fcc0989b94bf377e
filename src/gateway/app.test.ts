import { describe, expect, it } from 'vitest';
import { ManualClock, counter, silentLogger } from '../core/index.js';
import { topicNames } from '../ingest/index.js';
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
});
