/**
 * HTTP collector throughput (QUALITY.md: collector_events_per_s_core >= 150k events/s/core,
 * batches of ~20, acknowledged only after the log has them).
 *
 * The collector runs in a child process (`node --import tsx bench/collector.ts --serve`), so its
 * CPU time can be measured apart from the load generator's: events accepted / CPU-seconds the
 * server spent = events/s per core. The child reports process.cpuUsage() over HTTP before and
 * after each measured run. The load generator (this process) keeps 48 requests in flight over
 * keep-alive connections, with bodies of 20 realistic events built before the clock starts, in
 * two shapes: a browser's batch (one visitor, no IP: logged as one record) and a server-side
 * SDK's batch (20 visitors with their IPs: one record per event). See Shape.
 *
 * - Embedded: the in-memory log, with a consumer group in the child that drains and commits,
 *   as the processor would, so the bounded log never fills (its CPU is counted).
 * - Kafka: the real broker of `npm run services` (PATHCAST_TEST_KAFKA_BROKERS, default
 *   127.0.0.1:19092), random topics deleted afterwards; the broker's own CPU is not counted
 *   (in production it is another machine).
 * - Peer, same server and same load shape: a trivial fastify route taking one small JSON POST,
 *   measured in rounds with the batches (see benchMode), so each share of its rate compares
 *   runs taken side by side.
 * - Floor (embedded runs only): a fastify route that reads the browser batches as the collector
 *   does (a buffer), JSON.parses them and answers as small a body, nothing else: the most a
 *   collector that parses with JSON.parse reaches on this stack, so the share of it the
 *   collector reaches is what its own work (validation, logging, answering) costs.
 *
 * Figures are medians of several runs after a warm-up (WARMUP_REQUESTS). Wall-clock events/s is reported too;
 * on a 2-core machine it is bounded by the load generator sharing the cores.
 *
 * Run: npx tsx bench/run.ts collector   (writes bench/results/collector.json)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchResult, median, type BenchResult } from './result.js';

const BATCH = 20;
const CONCURRENCY = 48;
const REQUESTS_PER_RUN = 2_000;
/**
 * Requests sent before the measured runs, per shape. Measured here: the rate climbs for the
 * first ~10k requests (JIT tiers, heap sizing) before it settles, so a shorter warm-up reports
 * start-up rather than the sustained rate.
 */
const WARMUP_REQUESTS = 12_000;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const VISITORS = 5_000;
const SELF = fileURLToPath(import.meta.url);
const DEFAULT_KAFKA = '127.0.0.1:19092';
const BENCH_WRITE_KEY = 'wk_bench_0000000000';
/** The middle of QUALITY.md's "fastify single small POST ~18-22k req/s/core here". */
const REFERENCE_PEER = 20_000;

type Mode = 'memory' | 'kafka';

interface CpuSample {
  readonly user: number;
  readonly system: number;
}

interface RunFigures {
  readonly accepted: number;
  readonly requests: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

// ---------------------------------------------------------------- the server (child process)

async function serve(mode: Mode, brokers: readonly string[]): Promise<void> {
  // Imported here so the parent (bench/run.ts) does not load the app it only measures.
  const { silentLogger, systemClock } = await import('../src/core/index.js');
  const { buildApp } = await import('../src/gateway/index.js');
  const { createEventLog, topicNames } = await import('../src/ingest/index.js');
  const { createGeoStep } = await import('../src/ingest/enrich/index.js');
  const kafkajs = (await import('kafkajs')).default;

  const prefix = `pathcast-bench-${randomBytes(4).toString('hex')}`;
  const topics = topicNames(prefix);
  const partitions = 6;
  const log = createEventLog(
    {
      brokers: mode === 'kafka' ? brokers : [],
      clientId: 'pathcast-bench',
      topicPrefix: prefix,
      group: `${prefix}-drain`,
      partitions,
      ssl: false,
      username: undefined,
      password: undefined,
    },
    { logger: silentLogger },
  );
  await log.start();
  await log.ensureTopics([
    { name: topics.events, partitions },
    { name: topics.failedEvents, partitions },
  ]);
  if (mode === 'memory') {
    // The processor's part, reduced to committing: keeps the bounded log from filling up.
    await log.consume({
      topic: topics.events,
      group: `${prefix}-drain`,
      fromBeginning: true,
      handler: {
        onBatch: (batch, ctx) => ctx.consumer.commit(batch.partition, batch.nextOffset),
      },
    });
  }
  const geo = createGeoStep();
  const app = await buildApp({
    sites: [
      {
        id: 'bench',
        writeKey: BENCH_WRITE_KEY,
        secretKey: 'sk_bench_0000000000',
        allowedOrigins: [],
        respectDoNotTrack: false,
      },
    ],
    log,
    topics,
    geo: (ip) => geo.locate(ip),
    clock: systemClock,
    logger: silentLogger,
    rateLimit: false,
    readiness: [],
  });
  // The peer: fastify's own JSON parsing and reply for one small POST, nothing else.
  app.post('/peer', async (req) => ({ ok: true, got: typeof req.body }));
  // The floor: the collector's body handling without the collector (see the file comment).
  await app.register(async (floor) => {
    floor.removeAllContentTypeParsers();
    floor.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 500_000 }, (_req, body, done) =>
      done(null, body),
    );
    floor.post('/floor', async (req) => {
      const body = JSON.parse((req.body as Buffer).toString('utf8')) as { batch: unknown[] };
      return { success: true, accepted: body.batch.length };
    });
  });
  app.get('/bench/cpu', async () => process.cpuUsage());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no server address');

  const stop = async (): Promise<void> => {
    await app.close();
    await log.close();
    if (mode === 'kafka') {
      const admin = new kafkajs.Kafka({
        clientId: 'pathcast-bench',
        brokers: [...brokers],
        logLevel: kafkajs.logLevel.NOTHING,
      }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topics.events, topics.failedEvents] });
      await admin.disconnect();
    }
    process.disconnect?.();
  };
  process.on('message', (message) => {
    if (message === 'stop') {
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    }
  });
  process.send?.({ port: address.port });
}

// ---------------------------------------------------------------- the load (this process)

/**
 * The two shapes of batch a collector sees:
 * - browser: one visitor's events, as a tracker batches them (t.js, analytics.js); no
 *   `context.ip` (the collector takes the connection's), so the batch is logged in one record;
 * - server: a server-side SDK's batch of many visitors' events, each with the visitor's
 *   `context.ip`, so each event is logged as its own record, its IP removed.
 */
type Shape = 'browser' | 'server';

/** One realistic event: page or track with the context a tracker sends. */
function benchEvent(
  run: string,
  n: number,
  visitor: number,
  shape: Shape,
): Record<string, unknown> {
  const path = ['/', '/products/123', '/category/shoes', '/cart', '/checkout'][n % 5] ?? '/';
  const common = {
    messageId: `${run}-${n}`,
    anonymousId: `anon-${visitor.toString(36)}-7f3c9a2e`,
    timestamp: new Date(Date.now() - (n % 1000)).toISOString(),
    context: {
      ...(shape === 'server' ? { ip: `203.0.${visitor % 256}.${(visitor * 7) % 256}` } : {}),
      userAgent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
        'Chrome/126.0.0.0 Safari/537.36',
      locale: 'en-GB',
      page: {
        url: `https://shop.example${path}?utm_source=newsletter&utm_medium=email`,
        path,
        referrer: 'https://www.google.com/',
        title: 'Shop',
      },
      library: { name: 'pathcast.js', version: '1' },
    },
  };
  return n % 3 === 0
    ? { ...common, type: 'track', event: 'Product Viewed', properties: { sku: `sku-${n % 97}` } }
    : { ...common, type: 'page', name: 'Shop', properties: { path } };
}

function collectorBodies(run: string, requests: number, shape: Shape): Buffer[] {
  return Array.from({ length: requests }, (_, r) =>
    Buffer.from(
      JSON.stringify({
        sentAt: new Date().toISOString(),
        batch: Array.from({ length: BATCH }, (_, i) => {
          const n = r * BATCH + i;
          return benchEvent(run, n, shape === 'browser' ? r % VISITORS : n % VISITORS, shape);
        }),
      }),
    ),
  );
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function send(agent: Agent, url: string, body: Buffer | undefined): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        agent,
        method: body === undefined ? 'GET' : 'POST',
        headers:
          body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(body.length),
                authorization: `Basic ${Buffer.from(`${BENCH_WRITE_KEY}:`).toString('base64')}`,
              },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function cpu(agent: Agent, base: string): Promise<CpuSample> {
  const answer = await send(agent, `${base}/bench/cpu`, undefined);
  return JSON.parse(answer.body) as CpuSample;
}

/** Sends every body with CONCURRENCY in flight; counts the events the answers say were taken. */
async function measure(
  agent: Agent,
  base: string,
  path: string,
  bodies: readonly Buffer[],
  eventsPerRequest: (answer: Answer) => number,
): Promise<RunFigures> {
  const before = await cpu(agent, base);
  const started = performance.now();
  let next = 0;
  let accepted = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < bodies.length; i = next++) {
      const answer = await send(agent, `${base}${path}`, bodies[i]);
      if (answer.status !== 200) {
        throw new Error(`${path} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      }
      accepted += eventsPerRequest(answer);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  const wallSeconds = (performance.now() - started) / 1000;
  const after = await cpu(agent, base);
  const cpuSeconds = (after.user - before.user + after.system - before.system) / 1e6;
  return { accepted, requests: bodies.length, wallSeconds, cpuSeconds };
}

interface ServerHandle {
  readonly base: string;
  stop(): Promise<void>;
}

async function startServer(mode: Mode, brokers: string): Promise<ServerHandle> {
  const child: ChildProcess = fork(SELF, ['--serve', mode, brokers], {
    // BENCH_CHILD_NODE_ARGS: extra node flags for the collector child (e.g. --cpu-prof).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env['BENCH_CHILD_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const port = await new Promise<number>((resolvePromise, reject) => {
    child.once('message', (message) => resolvePromise((message as { port: number }).port));
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`the ${mode} collector exited with ${code}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.connected) child.send('stop');
      const code = await exited;
      if (code !== 0) throw new Error(`the ${mode} collector stopped with exit code ${code}`);
    },
  };
}

interface ShapeFigures {
  readonly perCore: number;
  readonly wall: number;
  readonly requestsPerCore: number;
  /** Median over the rounds of this shape's requests/s/core over the peer's, same round. */
  readonly peerShare: number;
  readonly samples: readonly RunFigures[];
}

interface ModeFigures {
  readonly browser: ShapeFigures;
  readonly server: ShapeFigures;
  readonly peer: {
    readonly perCore: number;
    readonly wall: number;
    readonly samples: readonly RunFigures[];
  };
  /** Embedded runs only: the floor (see the file comment). */
  readonly floor?: {
    readonly perCore: number;
    /** Median over the rounds of the floor's requests/s/core over the peer's. */
    readonly peerShare: number;
    /** Median over the rounds of the browser batches' requests/s/core over the floor's. */
    readonly browserShare: number;
    readonly samples: readonly RunFigures[];
  };
}

/** One kind of request the load sends: a shape of batch, or the peer's small POST. */
interface Load {
  readonly path: string;
  bodies(run: string): Buffer[];
  eventsOf(answer: Answer): number;
}

function batchLoad(shape: Shape): Load {
  return {
    path: '/v1/batch',
    bodies: (run) => collectorBodies(run, REQUESTS_PER_RUN, shape),
    eventsOf: (answer) => (JSON.parse(answer.body) as { accepted: number }).accepted,
  };
}

/** The floor: the browser batches, to a route that only parses them (see the file comment). */
const FLOOR_LOAD: Load = {
  path: '/floor',
  bodies: (run) => collectorBodies(run, REQUESTS_PER_RUN, 'browser'),
  eventsOf: (answer) => (JSON.parse(answer.body) as { accepted: number }).accepted,
};

/** The peer: twice as many requests a run, as each is far cheaper. */
const PEER_LOAD: Load = {
  path: '/peer',
  bodies: () => {
    const small = Buffer.from(JSON.stringify({ event: 'Clicked', anonymousId: 'a-1', n: 1 }));
    return Array.from({ length: REQUESTS_PER_RUN * 2 }, () => small);
  },
  eventsOf: () => 1,
};

const requestsPerCore = (s: RunFigures): number => s.requests / s.cpuSeconds;

/** The median over the rounds of one load's requests/s/core over another's, same round. */
function shareOf(samples: readonly RunFigures[], base: readonly RunFigures[]): number {
  return median(samples.map((s, i) => requestsPerCore(s) / requestsPerCore(base[i] ?? s)));
}

function shapeFigures(samples: readonly RunFigures[], peer: readonly RunFigures[]): ShapeFigures {
  return {
    perCore: median(samples.map((s) => s.accepted / s.cpuSeconds)),
    wall: median(samples.map((s) => s.accepted / s.wallSeconds)),
    requestsPerCore: median(samples.map(requestsPerCore)),
    peerShare: shareOf(samples, peer),
    samples,
  };
}

/**
 * Warms every load up, then measures them in rounds (a browser run, a server-SDK run, a peer
 * run, a floor run when embedded, and again): this machine's speed drifts by up to 2x within an
 * hour, so a ratio to the peer or the floor is only meaningful between runs measured side by side.
 */
async function benchMode(mode: Mode, brokers: string): Promise<ModeFigures> {
  const server = await startServer(mode, brokers);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const tag = randomBytes(3).toString('hex');
  const loads = {
    browser: batchLoad('browser'),
    server: batchLoad('server'),
    peer: PEER_LOAD,
    floor: FLOOR_LOAD,
  };
  type LoadName = keyof typeof loads;
  const names: readonly LoadName[] =
    mode === 'memory' ? ['browser', 'server', 'peer', 'floor'] : ['browser', 'server', 'peer'];
  const measureLoad = (load: Load, run: string): Promise<RunFigures> =>
    measure(agent, server.base, load.path, load.bodies(run), load.eventsOf);
  try {
    // Warm-up: JIT, heap, connection pool, Kafka producer connection and metadata.
    for (const name of names) {
      for (let sent = 0; sent < WARMUP_REQUESTS;) {
        sent += (await measureLoad(loads[name], `w${sent}-${name}-${tag}`)).requests;
      }
    }
    const samples: Record<LoadName, RunFigures[]> = {
      browser: [],
      server: [],
      peer: [],
      floor: [],
    };
    for (let run = 0; run < RUNS; run++) {
      for (const name of names)
        samples[name].push(await measureLoad(loads[name], `r${run}-${name}-${tag}`));
    }
    for (const shape of ['browser', 'server'] as const) {
      for (const s of samples[shape]) {
        if (s.accepted !== s.requests * BATCH) {
          throw new Error(
            `${mode} ${shape}: ${s.accepted} of ${s.requests * BATCH} events accepted`,
          );
        }
      }
    }
    return {
      browser: shapeFigures(samples.browser, samples.peer),
      server: shapeFigures(samples.server, samples.peer),
      peer: {
        perCore: median(samples.peer.map(requestsPerCore)),
        wall: median(samples.peer.map((s) => s.requests / s.wallSeconds)),
        samples: samples.peer,
      },
      ...(samples.floor.length === 0
        ? {}
        : {
            floor: {
              perCore: median(samples.floor.map(requestsPerCore)),
              peerShare: shareOf(samples.floor, samples.peer),
              browserShare: shareOf(samples.browser, samples.floor),
              samples: samples.floor,
            },
          }),
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

const round = (value: number): number => Math.round(value);

export async function run(): Promise<BenchResult> {
  const configured = process.env['PATHCAST_TEST_KAFKA_BROKERS'];
  const brokers = configured !== undefined && configured !== '' ? configured : DEFAULT_KAFKA;
  const embedded = await benchMode('memory', brokers);
  const kafka = await benchMode('kafka', brokers);
  const floor = embedded.floor;
  if (floor === undefined) throw new Error('the embedded runs measured no floor');
  // The share of the peer's request rate, and what it comes to at QUALITY.md's reference peer
  // (~20k req/s/core): a figure that does not move with the machine's speed.
  const share = (figures: ShapeFigures): string =>
    `; ${round(figures.requestsPerCore)} req/s/core of ${BATCH}-event batches, ` +
    `${(100 * figures.peerShare).toFixed(0)}% of the peer's rate in the same rounds ` +
    `(${round(figures.peerShare * REFERENCE_PEER * BATCH)} events/s/core at a ${REFERENCE_PEER} req/s/core peer)`;
  const samples = (figures: ShapeFigures): string =>
    figures.samples.map((s) => round(s.accepted / s.cpuSeconds)).join(', ');
  const rate = (figures: ShapeFigures, note: string, more = '') => ({
    value: round(figures.perCore),
    unit: 'events/s/core',
    target: 150_000,
    better: 'higher' as const,
    note: `${note}; median of ${RUNS} runs [${samples(figures)}]${share(figures)}${more}`,
  });
  return benchResult(
    'collector',
    {
      collector_events_per_s_core: rate(
        embedded.browser,
        "embedded log; server CPU only; browser batches (one visitor's 20 events, no IP: one record)",
        `; ${(100 * floor.browserShare).toFixed(0)}% of the floor's rate in the same rounds`,
      ),
      collector_events_per_s_core_server_sdk: rate(
        embedded.server,
        "embedded log; server CPU only; server-SDK batches (20 visitors' events with their IPs: one record each)",
      ),
      collector_events_per_s_core_kafka: rate(
        kafka.browser,
        `Kafka ${brokers}, acks=all; collector CPU only (not the broker's); browser batches`,
      ),
      collector_events_per_s_core_kafka_server_sdk: rate(
        kafka.server,
        `Kafka ${brokers}, acks=all; collector CPU only; server-SDK batches`,
      ),
      collector_events_per_s_wall: {
        value: round(embedded.browser.wall),
        unit: 'events/s',
        better: 'higher',
        note: 'embedded, browser batches; wall clock, load generator on the same cores',
      },
      collector_events_per_s_wall_kafka: {
        value: round(kafka.browser.wall),
        unit: 'events/s',
        better: 'higher',
        note: 'Kafka, browser batches; wall clock, load generator and broker on the same cores',
      },
      peer_fastify_small_post_req_per_s_core: {
        value: round(embedded.peer.perCore),
        unit: 'req/s/core',
        better: 'higher',
        note: `same server, trivial route, measured in rounds with the embedded runs; QUALITY.md quotes ~18-22k here; wall ${round(embedded.peer.wall)} req/s; beside the Kafka runs ${round(kafka.peer.perCore)} req/s/core`,
      },
      floor_fastify_json_parse_req_per_s_core: {
        value: round(floor.perCore),
        unit: 'req/s/core',
        better: 'higher',
        note:
          `same server, the browser batches to a route that only JSON.parses them and answers ` +
          `(the most a collector parsing with JSON.parse reaches here); ` +
          `${(100 * floor.peerShare).toFixed(0)}% of the peer's rate in the same rounds ` +
          `(${round(floor.peerShare * REFERENCE_PEER * BATCH)} events/s/core at a ${REFERENCE_PEER} req/s/core peer); ` +
          `the collector's browser batches run at ${(100 * floor.browserShare).toFixed(0)}% of it`,
      },
    },
    {
      batch: BATCH,
      concurrency: CONCURRENCY,
      requestsPerRun: REQUESTS_PER_RUN,
      runs: RUNS,
      embedded: {
        browser: embedded.browser.samples,
        server: embedded.server.samples,
        peer: embedded.peer.samples,
        floor: floor.samples,
      },
      kafka: {
        browser: kafka.browser.samples,
        server: kafka.server.samples,
        peer: kafka.peer.samples,
      },
    },
  );
}

// `node --import tsx bench/collector.ts --serve MODE BROKERS`: the server half, in the child.
if (resolve(process.argv[1] ?? '') === SELF && process.argv[2] === '--serve') {
  const mode: Mode = process.argv[3] === 'kafka' ? 'kafka' : 'memory';
  const brokers = (process.argv[4] ?? DEFAULT_KAFKA).split(',').map((b) => b.trim());
  serve(mode, brokers).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
