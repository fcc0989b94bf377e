import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSink, retryAfter } from './http-sink.js';
import { runSimulation } from './run-simulation.js';
import { createSimulation } from './simulation.js';
import { startTestCollector } from './test-collector.fixture.js';

const FAULTS = {
  outOfOrder: 0.02,
  late: 0.01,
  duplicate: 0.03,
  malformed: 0.03,
  bot: 0.02,
  clockSkew: 0.05,
};

describe('HTTP sink', { timeout: 30_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pathcast-sim-http-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('posts batches with Basic auth, bounded concurrency, retries, and writes acks for 2xx', async () => {
    const collector = await startTestCollector({ failEvery: 7, delayMs: 3 });
    const acksFile = join(dir, 'acks.ndjson');
    try {
      const sink = createHttpSink({
        url: `${collector.url}/`,
        writeKey: 'wk_test_key',
        batchSize: 20,
        concurrency: 3,
        acksFile,
      });
      const summary = await runSimulation({ events: 1500, seed: 3, faults: FAULTS }, sink);
      const stats = sink.stats();
      const records = [...createSimulation({ events: 1500, seed: 3, faults: FAULTS }).events];
      const malformed = records.filter((r) => r.kind === 'malformed');

      expect(collector.requests.every((r) => r.path === '/v1/batch')).toBe(true);
      const auth = `Basic ${Buffer.from('wk_test_key:').toString('base64')}`;
      expect(collector.requests.every((r) => r.authorization === auth)).toBe(true);
      expect(collector.maxInFlight()).toBeLessThanOrEqual(3);
      expect(collector.maxInFlight()).toBeGreaterThan(1);
      const accepted = collector.requests.filter((r) => r.status === 200);
      expect(accepted.every((r) => r.batchSize >= 1 && r.batchSize <= 20)).toBe(true);
      // 503s were retried: every well-formed record got through exactly once per send.
      expect(collector.requests.some((r) => r.status === 503)).toBe(true);
      expect(stats.failed).toBe(0);
      expect(stats.rejected).toBe(0);
      expect(stats.rejectedMalformed).toBe(malformed.length);
      expect(stats.records).toBe(summary.records);

      const acked = (await readFile(acksFile, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { messageId: string; status: number });
      const wellFormed = records.filter((r) => r.kind !== 'malformed').map((r) => r.messageId);
      expect(acked.map((a) => a.messageId).sort()).toEqual([...wellFormed].sort());
      expect(acked.map((a) => a.messageId).sort()).toEqual(
        accepted.flatMap((r) => r.messageIds).sort(),
      );
      expect(acked.every((a) => a.status === 200)).toBe(true);
    } finally {
      await collector.close();
    }
  });

  it('stamps sentAt at send time so the collector recovers the true (historical) event times', async () => {
    const collector = await startTestCollector();
    try {
      const faults = { clockSkew: 0.3, malformed: 0, late: 0.05, outOfOrder: 0.05 };
      await runSimulation({ events: 400, seed: 6, faults }, createHttpSink({ url: collector.url }));
      const truthTimes = new Map<string, number>();
      for (const r of createSimulation({ events: 400, seed: 6, faults }).events) {
        const p = r.payload as { timestamp: string; sentAt: string };
        truthTimes.set(r.messageId, Date.parse(p.timestamp) + r.sendAt - Date.parse(p.sentAt));
      }
      const errors = collector.requests.flatMap((req) =>
        req.messageIds.map((id, i) =>
          Math.abs((req.correctedTimes[i] ?? 0) - (truthTimes.get(id) ?? 0)),
        ),
      );
      expect(errors).toHaveLength(truthTimes.size);
      // Only the request's own latency separates the two.
      expect(Math.max(...errors)).toBeLessThan(5_000);
    } finally {
      await collector.close();
    }
  });

  it('groups records by their own site keys when no key is forced', async () => {
    const collector = await startTestCollector();
    try {
      const sink = createHttpSink({ url: collector.url, batchSize: 5 });
      await runSimulation({ events: 300, seed: 4, sites: 3, faults: { malformed: 0 } }, sink);
      const keys = new Set(
        collector.requests.map((r) => Buffer.from(r.authorization.slice(6), 'base64').toString()),
      );
      expect(keys).toEqual(new Set(['sim_wk_site-1:', 'sim_wk_site-2:', 'sim_wk_site-3:']));
      expect(collector.requests.every((r) => r.batchSize <= 5)).toBe(true);
    } finally {
      await collector.close();
    }
  });

  it('waits as long as a 429 says (Retry-After) before sending again', async () => {
    const collector = await startTestCollector({ limitEvery: 3 });
    const waits: number[] = [];
    try {
      const sink = createHttpSink({
        url: collector.url,
        batchSize: 10,
        concurrency: 1,
        sleep: async (ms) => {
          waits.push(ms);
        },
      });
      await runSimulation({ events: 200, seed: 6, faults: { malformed: 0 } }, sink);
      const limited = collector.requests.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(3);
      // One wait per 429, each at least the second the collector asked for.
      expect(waits).toHaveLength(limited.length);
      expect(waits.every((ms) => ms >= 1_000)).toBe(true);
      expect(sink.stats().failed).toBe(0);
      expect(sink.stats().acknowledged).toBe(sink.stats().records);
    } finally {
      await collector.close();
    }
  });

  it.each([
    ['7', 7_000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2015 07:28:05 GMT', 5_000],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['999999', 300_000],
  ])('reads Retry-After %j as a wait in ms', (header, ms) => {
    expect(retryAfter(header, Date.parse('2015-10-21T07:28:00Z'))).toBe(ms);
  });

  it.each([[null], [''], ['soon'], ['-5']])('ignores Retry-After %j', (header) => {
    expect(retryAfter(header, 0)).toBeUndefined();
  });

  it('counts records as failed when the collector cannot be reached, and writes no acks', async () => {
    const collector = await startTestCollector();
    const url = collector.url;
    await collector.close();
    const acksFile = join(dir, 'none.ndjson');
    const sink = createHttpSink({ url, retries: 1, acksFile });
    await runSimulation({ events: 50, seed: 5, faults: { malformed: 0, duplicate: 0 } }, sink);
    expect(sink.stats().failed).toBe(50);
    expect(sink.stats().acknowledged).toBe(0);
    expect(await readFile(acksFile, 'utf8')).toBe('');
  });
});
