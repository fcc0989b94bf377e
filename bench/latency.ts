/**
 * Live latency and end-to-end throughput (QUALITY.md):
 * - `ws_p50_ms_*` / `ws_p99_ms_*`: event accepted by the collector -> score frame received on
 *   the visitor's websocket, at ~70% of the maximum load measured in the same run; embedded
 *   (memory log + chdb) and distributed (Kafka + the ClickHouse server, scores through the Kafka
 *   scores topic);
 * - `e2e_events_per_s_core`: Kafka -> validate/enrich -> sessionize -> score -> ClickHouse rows +
 *   websocket push, sustained, per CPU-second of the Pathcast process;
 * - `ws_fanout_frames_per_s*`: score frames delivered to many sockets.
 *
 * The Pathcast process is the real Runtime with the real gateway, in a child process
 * (`node --import tsx bench/latency.ts --serve MODE`), so its CPU time is measured apart from
 * the load generator and the websocket clients (this process). Latency is timed from the moment
 * the probe's request is sent (an upper bound of "accepted": it includes the collector's own
 * answer time) to the moment its frame arrives. Probe visitors send one page view at a time and
 * wait for its frame; background visitors load the system at 70% of the measured maximum.
 *
 * Run: npm run bench -- latency   (writes bench/results/latency.json)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { issueLiveToken } from '../src/gateway/index.js';
import { benchResult, percentile, type BenchResult, type Metric } from './result.js';

const SELF = fileURLToPath(import.meta.url);
const profileDir = process.env['BENCH_CPU_PROF_DIR'] || undefined;
const DEFAULT_KAFKA = '127.0.0.1:19092';
const DEFAULT_CLICKHOUSE = 'http://127.0.0.1:18123';
const SITE = {
  id: 'bench',
  writeKey: 'wk_bench_latency_0',
  secretKey: 'sk_bench_latency_0',
  allowedOrigins: [] as string[],
};
const BATCH = 20;
const BACKGROUND_VISITORS = 5_000;
const PROBES = 16;
const MAX_LOAD_EVENTS = 60_000;
const LATENCY_SECONDS = 20;
const WARMUP_SECONDS = 3;
const E2E_EVENTS = 120_000;
const E2E_SOCKETS = 1_000;
const FANOUT_SOCKETS = 2_000;
const FANOUT_ROUNDS = 40;

type Mode = 'embedded' | 'kafka';

interface Stats {
  readonly scores: number;
  /** Rows of the events table (only when asked: `?rows=1`). */
  readonly rows: number;
  readonly cpuMicros: number;
  readonly heapBytes: number;
}

// ---------------------------------------------------------------- the Pathcast process (child)

async function serve(
  mode: Mode,
  prefix: string,
  brokers: string,
  clickhouse: string,
): Promise<void> {
  const { silentLogger } = await import('../src/core/index.js');
  const { loadConfig } = await import('../src/config/index.js');
  const { buildApp } = await import('../src/gateway/index.js');
  const { Runtime } = await import('../src/runtime/index.js');

  const env: Record<string, string> = {
    PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), 'pathcast-bench-latency-')),
    PATHCAST_INSTANCE_ID: `${prefix}-1`,
    PATHCAST_PORT: '0',
    PATHCAST_PARTITIONS: '8',
    PATHCAST_KAFKA_TOPIC_PREFIX: prefix,
    PATHCAST_KAFKA_GROUP: `${prefix}-processors`,
    PATHCAST_SITES: JSON.stringify({ sites: [SITE] }),
  };
  if (mode === 'kafka') {
    env['PATHCAST_KAFKA_BROKERS'] = brokers;
    env['PATHCAST_CLICKHOUSE_URL'] = clickhouse;
    env['PATHCAST_CLICKHOUSE_DATABASE'] = prefix.replace(/-/g, '_');
  }
  const config = loadConfig(env);
  let scores = 0;
  let publish: (visitors: number, rounds: number) => Promise<number> = async () => 0;
  const runtime = new Runtime(config, {
    logger: silentLogger,
    logOptions: { kafka: { maxWaitTimeMs: 100 } },
    buildApp: async (parts) => {
      parts.scores.subscribe(() => {
        scores++;
      });
      publish = async (visitors, rounds) => {
        let sent = 0;
        for (let round = 0; round < rounds; round++) {
          for (let v = 0; v < visitors; v++) {
            parts.scores.publish({
              site: SITE.id,
              visitor: `fan-${v}`,
              sessionId: `s-${v}`,
              at: Date.now(),
              propensity: round / rounds,
              markovProbability: 0.1,
              nextPages: [{ pageType: '/cart', probability: 0.2 }],
              modelVersion: 'bench',
            });
            sent++;
          }
          // One update per visitor per tick (the hub's default tick is 100 ms).
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return sent;
      };
      const app = await buildApp({
        sites: config.sites.sites,
        log: parts.log,
        topics: parts.topics,
        geo: parts.geo,
        clock: parts.clock,
        logger: silentLogger,
        rateLimit: false,
        readiness: [],
        runtime: parts,
      });
      app.get('/bench/stats', async (req): Promise<Stats> => {
        const cpu = process.cpuUsage();
        let rows = 0;
        if ((req.query as { rows?: string }).rows === '1') {
          const { client, database } = parts.clickhouse;
          const result = await client.query({
            query: `SELECT count() AS n FROM ${database}.events`,
            format: 'JSONEachRow',
          });
          rows = Number(((await result.json()) as Array<{ n: number | string }>)[0]?.n ?? 0);
        }
        return {
          scores,
          rows,
          cpuMicros: cpu.user + cpu.system,
          heapBytes: process.memoryUsage().heapUsed,
        };
      });
      app.post('/bench/publish', async (req) => {
        const query = req.query as { visitors?: string; rounds?: string };
        const cpu = process.cpuUsage();
        const sent = await publish(Number(query.visitors), Number(query.rounds));
        const spent = process.cpuUsage(cpu);
        return { sent, cpuMicros: spent.user + spent.system };
      });
      return app;
    },
  });
  await runtime.start();
  const url = runtime.status().url ?? '';
  process.on('message', (message) => {
    if (message === 'stop') {
      runtime.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    }
  });
  process.send?.({ url });
}

// ---------------------------------------------------------------- load and clients (this process)

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

async function startServer(
  mode: Mode,
  prefix: string,
  brokers: string,
  clickhouse: string,
): Promise<Server> {
  const child: ChildProcess = fork(SELF, ['--serve', mode, prefix, brokers, clickhouse], {
    // BENCH_CPU_PROF_DIR=DIR profiles the Pathcast process (a .cpuprofile per child in DIR).
    execArgv: [
      '--import',
      'tsx',
      ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`the ${mode} server exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.connected) child.send('stop');
      const code = await exited;
      if (code !== 0) throw new Error(`the ${mode} server stopped with exit code ${code}`);
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function http(
  method: 'GET' | 'POST',
  url: string,
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent,
        method,
        headers:
          body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(body.length),
                authorization: `Basic ${Buffer.from(`${SITE.writeKey}:`).toString('base64')}`,
              },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function stats(server: Server, rows = false): Promise<Stats> {
  const url = `${server.url}/bench/stats${rows ? '?rows=1' : ''}`;
  return JSON.parse((await http('GET', url)).text) as Stats;
}

const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const PATHS = ['/', '/products/123', '/category/shoes', '/cart', '/checkout', '/products/7'];

function pageEvent(tag: string, visitor: string, n: number): Record<string, unknown> {
  const path = PATHS[n % PATHS.length] ?? '/';
  return {
    type: 'page',
    messageId: `${tag}-${visitor}-${n}`,
    anonymousId: visitor,
    timestamp: new Date().toISOString(),
    context: {
      ip: `203.0.113.${n % 250}`,
      userAgent: UA,
      page: { url: `https://shop.example${path}`, path, referrer: 'https://www.google.com/' },
    },
    properties: { path },
  };
}

function batchBody(tag: string, first: number): Buffer {
  const batch = Array.from({ length: BATCH }, (_, i) => {
    const n = first + i;
    return pageEvent(tag, `bg-${n % BACKGROUND_VISITORS}`, Math.floor(n / BACKGROUND_VISITORS));
  });
  return Buffer.from(JSON.stringify({ sentAt: new Date().toISOString(), batch }));
}

async function post(server: Server, body: Buffer): Promise<void> {
  const answer = await http('POST', `${server.url}/v1/batch`, body);
  if (answer.status !== 200)
    throw new Error(`collector answered ${answer.status}: ${answer.text.slice(0, 200)}`);
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sends `events` as fast as 32 requests in flight allow; the rate at which all are scored. */
async function maxLoad(server: Server, tag: string): Promise<{ rate: number; cpuRate: number }> {
  const before = await stats(server, true);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < MAX_LOAD_EVENTS / BATCH; i = next++)
      await post(server, batchBody(tag, i * BATCH));
  };
  await Promise.all(Array.from({ length: 32 }, () => worker()));
  // Sustainable means stored too: a writers' backlog would slow the pipeline down later.
  const after = await waitFor(
    'every event scored and stored',
    async () => {
      const now = await stats(server, true);
      const done =
        now.scores - before.scores >= MAX_LOAD_EVENTS && now.rows - before.rows >= MAX_LOAD_EVENTS;
      return done ? now : undefined;
    },
    300_000,
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    rate: MAX_LOAD_EVENTS / seconds,
    cpuRate: MAX_LOAD_EVENTS / ((after.cpuMicros - before.cpuMicros) / 1e6),
  };
}

interface Probe {
  readonly visitor: string;
  socket: WebSocket | undefined;
  /** Resolves the wait for the next frame. */
  onFrame: ((at: number) => void) | undefined;
}

async function openSocket(
  server: Server,
  visitor: string,
  onFrame: (at: number) => void,
): Promise<WebSocket> {
  const token = issueLiveToken({
    site: SITE.id,
    secretKey: SITE.secretKey,
    visitor,
    ttlSeconds: 3_600,
    nowMs: Date.now(),
  });
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/live?token=${token}`);
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      const at = performance.now();
      if (data.includes('"subscribed"')) resolve();
      else onFrame(at);
    });
    socket.once('error', reject);
  });
  return socket;
}

/** Background load at `rate` events/s and probes timing event -> frame, for LATENCY_SECONDS. */
async function latency(
  server: Server,
  rate: number,
  tag: string,
): Promise<{ samples: number[]; achieved: number }> {
  const probes: Probe[] = [];
  for (let p = 0; p < PROBES; p++) {
    const probe: Probe = { visitor: `probe-${tag}-${p}`, socket: undefined, onFrame: undefined };
    probe.socket = await openSocket(server, probe.visitor, (at) => probe.onFrame?.(at));
    probes.push(probe);
  }
  const samples: number[] = [];
  const started = performance.now();
  const endAt = started + (WARMUP_SECONDS + LATENCY_SECONDS) * 1000;
  let sentEvents = 0;
  let inFlight = 0;

  const background = (async () => {
    let batch = 0;
    while (performance.now() < endAt) {
      const due = started + ((batch * BATCH) / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      if (inFlight < 256) {
        inFlight++;
        sentEvents += BATCH;
        void post(server, batchBody(`${tag}-bg`, batch * BATCH)).finally(() => inFlight--);
      }
      batch++;
    }
  })();

  const probing = probes.map(async (probe, p) => {
    let n = 0;
    while (performance.now() < endAt) {
      const frame = new Promise<number>((resolve) => {
        probe.onFrame = resolve;
      });
      const sent = performance.now();
      const body = Buffer.from(
        JSON.stringify({ batch: [pageEvent(`${tag}-p`, probe.visitor, n++)] }),
      );
      await post(server, body);
      const arrived = await Promise.race([
        frame,
        new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 10_000)),
      ]);
      probe.onFrame = undefined;
      if (sent > started + WARMUP_SECONDS * 1000) samples.push(arrived - sent);
      // Spaced beyond the hub's tick, so each frame is this event's own (never coalesced).
      await new Promise((resolve) => setTimeout(resolve, 150 + ((p * 37) % 100)));
    }
  });
  await Promise.all([background, ...probing]);
  for (const probe of probes) probe.socket?.close();
  const lost = samples.filter((s) => Number.isNaN(s)).length;
  if (lost > 0) throw new Error(`${lost} probe events never got a frame within 10 s`);
  return { samples, achieved: sentEvents / ((performance.now() - started) / 1000) };
}

interface ModeFigures {
  readonly maxRate: number;
  readonly maxCpuRate: number;
  readonly loadRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
}

async function latencyMode(mode: Mode, brokers: string, clickhouse: string): Promise<ModeFigures> {
  const prefix = `pathcast-bench-lat-${mode}-${randomBytes(3).toString('hex')}`;
  const server = await startServer(mode, prefix, brokers, clickhouse);
  try {
    // Warm-up: JIT, model, connections.
    await post(server, batchBody('warm', 0));
    const max = await maxLoad(server, `max-${prefix}`);
    const loadRate = 0.7 * max.rate;
    console.error(
      `[latency] ${mode}: max ${Math.round(max.rate)} events/s; probing at ${Math.round(loadRate)}`,
    );
    const { samples, achieved } = await latency(server, loadRate, prefix);
    return {
      maxRate: max.rate,
      maxCpuRate: max.cpuRate,
      loadRate: achieved,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      samples: samples.length,
    };
  } finally {
    await server.stop();
  }
}

/** Kafka -> ... -> ClickHouse + ws, events produced straight to Kafka while sockets listen. */
export async function e2e(
  brokers: string,
  clickhouse: string,
): Promise<{ perCore: number; wall: number; rows: number }> {
  const { silentLogger, systemClock } = await import('../src/core/index.js');
  const { KafkaEventLog, topicNames } = await import('../src/ingest/index.js');
  const { acceptEvents } = await import('../src/gateway/index.js');
  const prefix = `pathcast-bench-e2e-${randomBytes(3).toString('hex')}`;
  const server = await startServer('kafka', prefix, brokers, clickhouse);
  const log = new KafkaEventLog(
    {
      brokers: brokers.split(','),
      clientId: 'pathcast-bench-e2e',
      topicPrefix: prefix,
      group: 'unused',
      partitions: 8,
      ssl: false,
      username: undefined,
      password: undefined,
    },
    {},
    { logger: silentLogger },
  );
  await log.start();
  const sockets: WebSocket[] = [];
  let frames = 0;
  try {
    for (let v = 0; v < E2E_SOCKETS; v++) {
      sockets.push(await openSocket(server, `bg-${v}`, () => frames++));
    }
    const site = { ...SITE, respectDoNotTrack: false };
    const topics = topicNames(prefix);
    const before = await stats(server);
    // Produced in chunks while the process consumes: it is the bottleneck, not the producer.
    const samples: Array<{ at: number; stats: Stats }> = [];
    const sampler = setInterval(() => {
      void stats(server).then((s) => samples.push({ at: performance.now(), stats: s }));
    }, 250);
    for (let first = 0; first < E2E_EVENTS; first += 5_000) {
      const events = Array.from({ length: 5_000 }, (_, i) => {
        const n = first + i;
        return pageEvent(
          prefix,
          `bg-${n % BACKGROUND_VISITORS}`,
          Math.floor(n / BACKGROUND_VISITORS),
        );
      });
      const batch = acceptEvents(events, {
        site,
        clientIp: '203.0.113.9',
        sentAt: new Date().toISOString(),
        context: undefined,
        forcedType: undefined,
        // Many visitors' events: one record each (the processor's dearest input shape).
        body: undefined,
        geo: () => ({ country: 'GB', ipPrefix: '203.0.113.0' }),
        clock: systemClock,
      });
      await log.produce(topics.events, batch.records);
    }
    await waitFor(
      'every e2e event scored',
      async () => ((await stats(server)).scores - before.scores >= E2E_EVENTS ? true : undefined),
      600_000,
    );
    clearInterval(sampler);
    // Sustained: between 10% and 90% of the events, away from start-up and drain.
    const low = samples.find((s) => s.stats.scores - before.scores >= 0.1 * E2E_EVENTS);
    const high = samples.find((s) => s.stats.scores - before.scores >= 0.9 * E2E_EVENTS);
    if (low === undefined || high === undefined) throw new Error('too few samples');
    const events = high.stats.scores - low.stats.scores;
    const cpuSeconds = (high.stats.cpuMicros - low.stats.cpuMicros) / 1e6;
    // The rows are in ClickHouse (the writers flush about once a second).
    const database = prefix.replace(/-/g, '_');
    const rows = await waitFor(
      'the events rows',
      async () => {
        const answer = await fetch(
          `${clickhouse}/?query=${encodeURIComponent(`SELECT count() FROM ${database}.events`)}`,
        );
        const count = Number((await answer.text()).trim());
        return count >= E2E_EVENTS ? count : undefined;
      },
      120_000,
    );
    console.error(`[latency] e2e: ${frames} frames pushed to ${E2E_SOCKETS} sockets`);
    return { perCore: events / cpuSeconds, wall: events / ((high.at - low.at) / 1000), rows };
  } finally {
    for (const socket of sockets) socket.close();
    await log.close();
    await server.stop();
  }
}

async function fanout(): Promise<{ perSecond: number; perCore: number; frames: number }> {
  const server = await startServer(
    'embedded',
    `pathcast-bench-fan-${randomBytes(3).toString('hex')}`,
    '',
    '',
  );
  const sockets: WebSocket[] = [];
  let frames = 0;
  try {
    for (let v = 0; v < FANOUT_SOCKETS; v++) {
      sockets.push(await openSocket(server, `fan-${v}`, () => frames++));
    }
    const started = performance.now();
    const answer = JSON.parse(
      (
        await http(
          'POST',
          `${server.url}/bench/publish?visitors=${FANOUT_SOCKETS}&rounds=${FANOUT_ROUNDS}`,
        )
      ).text,
    ) as { sent: number; cpuMicros: number };
    await waitFor('every frame', async () => (frames >= answer.sent ? true : undefined), 60_000);
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: frames / seconds, perCore: frames / (answer.cpuMicros / 1e6), frames };
  } finally {
    for (const socket of sockets) socket.close();
    await server.stop();
  }
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

export async function run(): Promise<BenchResult> {
  const brokers = process.env['PATHCAST_TEST_KAFKA_BROKERS'] || DEFAULT_KAFKA;
  const clickhouse = process.env['PATHCAST_TEST_CLICKHOUSE_URL'] || DEFAULT_CLICKHOUSE;
  const embedded = await latencyMode('embedded', brokers, clickhouse);
  const kafka = await latencyMode('kafka', brokers, clickhouse);
  const flow = await e2e(brokers, clickhouse);
  const fan = await fanout();
  agent.destroy();
  const modeNote = (m: ModeFigures): string =>
    `${m.samples} probe events over ${LATENCY_SECONDS} s under ${Math.round(m.loadRate)} events/s background ` +
    `(70% of the ${Math.round(m.maxRate)} events/s maximum measured in this run)`;
  const metrics: Record<string, Metric> = {
    ws_p99_ms_embedded: {
      value: round1(embedded.p99),
      unit: 'ms',
      target: 50,
      better: 'lower',
      note: modeNote(embedded),
    },
    ws_p50_ms_embedded: { value: round1(embedded.p50), unit: 'ms', better: 'lower' },
    ws_p99_ms_kafka: {
      value: round1(kafka.p99),
      unit: 'ms',
      target: 100,
      better: 'lower',
      note: modeNote(kafka),
    },
    ws_p50_ms_kafka: { value: round1(kafka.p50), unit: 'ms', better: 'lower' },
    e2e_events_per_s_core: {
      value: Math.round(flow.perCore),
      unit: 'events/s/core',
      target: 60_000,
      better: 'higher',
      note:
        `Kafka -> validate/enrich -> sessionize -> score -> ClickHouse server rows + ws push to ${E2E_SOCKETS} ` +
        `sockets; Pathcast process CPU between 10% and 90% of ${E2E_EVENTS} events; ${flow.rows} rows stored; ` +
        `wall ${Math.round(flow.wall)} events/s. No CRM source configured (the join is a no-op here).`,
    },
    max_events_per_s_embedded: {
      value: Math.round(embedded.maxRate),
      unit: 'events/s',
      better: 'higher',
      note: `collector -> memory log -> pipeline -> chdb + ws, wall clock on the shared cores; ${Math.round(embedded.maxCpuRate)} events per Pathcast CPU-second`,
    },
    max_events_per_s_kafka: {
      value: Math.round(kafka.maxRate),
      unit: 'events/s',
      better: 'higher',
      note: `collector -> Kafka -> pipeline -> ClickHouse server + scores topic -> ws; ${Math.round(kafka.maxCpuRate)} events per Pathcast CPU-second`,
    },
    ws_fanout_frames_per_s: {
      value: Math.round(fan.perSecond),
      unit: 'frames/s',
      better: 'higher',
      note: `${FANOUT_SOCKETS} sockets, one update per socket per 100 ms tick, ${fan.frames} frames; wall clock, clients on the same cores`,
    },
    ws_fanout_frames_per_s_core: {
      value: Math.round(fan.perCore),
      unit: 'frames/s/core',
      better: 'higher',
      note: 'frames per CPU-second of the Pathcast process while publishing',
    },
  };
  return benchResult('latency', metrics, {
    probes: PROBES,
    batch: BATCH,
    backgroundVisitors: BACKGROUND_VISITORS,
    maxLoadEvents: MAX_LOAD_EVENTS,
  });
}

if (process.argv[2] === '--serve') {
  const [, , , mode, prefix, brokers, clickhouse] = process.argv;
  await serve(mode as Mode, prefix ?? 'pathcast-bench', brokers ?? '', clickhouse ?? '');
}
