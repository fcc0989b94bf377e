/**
 * Live scores end to end in the distributed shape: two Pathcast processes (Runtimes) on the real
 * Kafka and ClickHouse server, one consumer group. Events of two visitors go to process A's
 * collector; whichever process scores them, each visitor's websocket — one on A, one on B —
 * receives its own visitor's scores and never the other's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/index.js';
import { loadConfig } from '../src/config/index.js';
import { issueLiveToken } from '../src/gateway/index.js';
import { Runtime } from '../src/runtime/index.js';
import { pollUntil } from './polling.js';
import { testServices } from './services.js';
import { gatewayFor } from './support/gateway.js';

const SITE = {
  id: 'shop',
  writeKey: 'wk_shop_live_it',
  secretKey: 'sk_shop_live_it',
  allowedOrigins: ['https://shop.example'],
};
const runtimes: Runtime[] = [];

afterAll(async () => {
  for (const runtime of runtimes.reverse()) await runtime.close();
});

async function startProcess(id: string, prefix: string): Promise<string> {
  const services = testServices();
  const config = loadConfig({
    PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), `pathcast-live-${id}-`)),
    PATHCAST_INSTANCE_ID: `${prefix}-${id}`,
    PATHCAST_PORT: '0',
    PATHCAST_PARTITIONS: '4',
    PATHCAST_KAFKA_BROKERS: services.kafkaBrokers.join(','),
    PATHCAST_KAFKA_TOPIC_PREFIX: prefix,
    PATHCAST_KAFKA_GROUP: `${prefix}-processors`,
    PATHCAST_CLICKHOUSE_URL: services.clickhouseUrl,
    PATHCAST_CLICKHOUSE_DATABASE: prefix.replace(/-/g, '_'),
    PATHCAST_SITES: JSON.stringify({ sites: [SITE] }),
  });
  const runtime = new Runtime(config, {
    logger: silentLogger,
    logOptions: { kafka: { maxWaitTimeMs: 100, heartbeatIntervalMs: 500 } },
    pipeline: { checkpointIntervalMs: 500, tickMs: 100 },
    buildApp: (parts) => gatewayFor(config, parts),
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime.status().url ?? '';
}

interface Frame {
  readonly type: string;
  readonly visitor: string;
  readonly sessionId: string;
  readonly propensity: number;
  readonly markovProbability: number;
  readonly modelVersion: string;
}

async function subscribe(
  url: string,
  visitor: string,
): Promise<{ frames: Frame[]; close(): void }> {
  const token = issueLiveToken({
    site: SITE.id,
    secretKey: SITE.secretKey,
    visitor,
    ttlSeconds: 300,
    nowMs: Date.now(),
  });
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/live?token=${token}`, {
    origin: 'https://shop.example',
  });
  const frames: Frame[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as Frame;
      if (frame.type === 'subscribed') resolve();
      else frames.push(frame);
    });
    socket.on('error', reject);
  });
  return { frames, close: () => socket.close() };
}

async function send(url: string, visitor: string, pages: number, tag: string): Promise<void> {
  const base = Date.now() - 60_000;
  const batch = Array.from({ length: pages }, (_, i) => ({
    type: 'page',
    messageId: `${tag}-${visitor}-${i}`,
    anonymousId: visitor,
    timestamp: new Date(base + i * 1_000).toISOString(),
    properties: { url: `https://shop.example/${['', 'product/1', 'cart'][i % 3]}` },
    context: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
  }));
  const response = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${SITE.writeKey}:`).toString('base64')}`,
    },
    body: JSON.stringify({ batch }),
  });
  expect(response.status).toBe(200);
}

describe('live scores across processes (Kafka)', () => {
  it("serves each visitor's scores on whichever process holds its socket, and only them", async () => {
    const prefix = `pathcast-it-live-${randomBytes(4).toString('hex')}`;
    const a = await startProcess('a', prefix);
    const b = await startProcess('b', prefix);
    const alice = await subscribe(b, 'alice');
    const bob = await subscribe(a, 'bob');
    const bobOnB = await subscribe(b, 'bob');
    try {
      await send(a, 'alice', 12, 'r1');
      await send(a, 'bob', 9, 'r1');
      await send(b, 'carol', 20, 'r1');
      await pollUntil(
        'scores of both visitors',
        () =>
          alice.frames.length > 0 && bob.frames.length > 0 && bobOnB.frames.length > 0
            ? true
            : undefined,
        {
          timeoutMs: 60_000,
          describe: () => `alice ${alice.frames.length}, bob ${bob.frames.length}`,
        },
      );
      expect(alice.frames.every((f) => f.visitor === 'alice')).toBe(true);
      expect(bob.frames.every((f) => f.visitor === 'bob')).toBe(true);
      expect(bobOnB.frames.every((f) => f.visitor === 'bob')).toBe(true);
      const aliceSessions = new Set(alice.frames.map((f) => f.sessionId));
      expect(bob.frames.some((f) => aliceSessions.has(f.sessionId))).toBe(false);
      for (const frame of [...alice.frames, ...bob.frames]) {
        expect(frame.propensity).toBeGreaterThanOrEqual(0);
        expect(frame.propensity).toBeLessThanOrEqual(1);
        expect(typeof frame.modelVersion).toBe('string');
      }
    } finally {
      for (const socket of [alice, bob, bobOnB]) socket.close();
    }
  }, 120_000);
});
