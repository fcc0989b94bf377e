import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { executablePackage, type AptPackage } from './apt.js';
import { cacheRoot, HOST, PORTS, type Log } from './common.js';
import {
  KAFKA_VERSION,
  kafkaClusterId,
  kafkaLog4jProperties,
  kafkaPom,
  kafkaServerProperties,
} from './kafka-config.js';
import { runChecked, spawnDetached, waitUntil, withLockFile } from './process.js';
import type { Service, ServiceContext } from './service.js';

const BROKERS = `${HOST}:${PORTS.kafkaBroker}`;

/** Where the Kafka jars are cached: `<cache>/kafka-<version>/libs`. */
export function kafkaHome(): string {
  return join(cacheRoot(), `kafka-${KAFKA_VERSION}`);
}

/** Java and Maven, from Debian when missing: `default-jre-headless` exists on every release. */
export const KAFKA_PACKAGES: readonly AptPackage[] = [
  executablePackage('default-jre-headless', 'java'),
  executablePackage('maven', 'mvn'),
];

/**
 * Fetches the broker jars from Maven Central (through ~/.m2) unless a previous run completed it.
 * A marker holding the pom decides "complete": a half-copied folder or another version is redone.
 */
export async function ensureKafkaJars(log: Log): Promise<string> {
  const home = kafkaHome();
  const libs = join(home, 'libs');
  const marker = join(libs, '.complete');
  const pom = kafkaPom();
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pom) return libs;
  mkdirSync(home, { recursive: true });
  // `install` and `up` (or two test runs) may fetch at once: one Maven run per folder.
  return withLockFile(join(home, 'fetch.lock'), 600_000, async () => {
    if (existsSync(marker) && readFileSync(marker, 'utf8') === pom) return libs;
    await fetchKafkaJars(log, home, libs);
    writeFileSync(marker, pom);
    return libs;
  });
}

async function fetchKafkaJars(log: Log, home: string, libs: string): Promise<void> {
  log(`kafka: fetching kafka_2.13 ${KAFKA_VERSION} and its dependencies with Maven`);
  writeFileSync(join(home, 'pom.xml'), kafkaPom());
  rmSync(libs, { recursive: true, force: true });
  await runChecked(
    'mvn',
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      '-DoutputDirectory=libs',
    ],
    { cwd: home },
  );
  const jars = readdirSync(libs).filter((f) => f.endsWith('.jar'));
  if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
    throw new Error(`Maven finished but ${libs} has no kafka_2.13-${KAFKA_VERSION}.jar`);
  }
}

function paths(runDir: string) {
  return {
    data: join(runDir, 'data'),
    logs: join(runDir, 'logs'),
    serverLog: join(runDir, 'logs', 'server.log'),
    stdoutLog: join(runDir, 'logs', 'stdout.log'),
    serverProperties: join(runDir, 'server.properties'),
    log4j: join(runDir, 'log4j.properties'),
  };
}

/** A client that fails fast (the callers poll); `retries` > 0 only where kafkajs demands it. */
function probeClient(retries = 0): Kafka {
  return new Kafka({
    clientId: 'pathcast-services',
    brokers: [BROKERS],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

async function describeCluster(): Promise<boolean> {
  const admin = probeClient().admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false; // not up yet: the caller polls
  } finally {
    // A probe's clean-up: the answer is already decided, and a failed disconnect changes nothing.
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Makes a fresh broker load its group and transaction coordinators (the first FindCoordinator
 * creates __consumer_offsets; the first InitProducerId loads the producer-id machinery). Until
 * then the first consumer group or idempotent producer of a test meets "coordinator is loading"
 * errors and retries: slow and noisy, so "healthy" includes this.
 */
async function warmUp(): Promise<boolean> {
  // An idempotent producer refuses a client without retries.
  const kafka = probeClient(2);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeGroups(['pathcast-services-warm-up']);
    await producer.connect();
    return true;
  } catch {
    return false; // still loading: the caller polls
  } finally {
    // Probe clean-up, as in describeCluster.
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** `kafka.tools.StorageTool format` of a KRaft node's log dirs, with a fresh cluster id. */
export async function formatKafkaStorage(
  libs: string,
  log4j: string,
  serverProperties: string,
): Promise<void> {
  await runChecked('java', [
    '-cp',
    `${libs}/*`,
    `-Dlog4j.configuration=file:${log4j}`,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    // Generated here rather than by `StorageTool random-uuid`: saves a JVM start (~1 s).
    kafkaClusterId(randomBytes(16)),
    '-c',
    serverProperties,
  ]);
}

export const kafkaService: Service = {
  name: 'kafka',
  address: BROKERS,
  env: { PATHCAST_TEST_KAFKA_BROKERS: BROKERS, PATHCAST_KAFKA_BROKERS: BROKERS },
  processMarker: 'kafka.Kafka',
  stopSignal: 'SIGTERM',
  // A cold JVM on a busy 2-core machine: usually ~5 s, but leave room.
  startTimeoutMs: 90_000,

  async install(ctx: ServiceContext) {
    await ctx.apt.ensure(KAFKA_PACKAGES);
    await ensureKafkaJars(ctx.log);
  },

  async start(ctx: ServiceContext) {
    const libs = await ensureKafkaJars(ctx.log);
    const p = paths(ctx.runDir);
    mkdirSync(p.data, { recursive: true });
    mkdirSync(p.logs, { recursive: true });
    writeFileSync(
      p.serverProperties,
      kafkaServerProperties({
        host: HOST,
        brokerPort: PORTS.kafkaBroker,
        controllerPort: PORTS.kafkaController,
        logDir: p.data,
      }),
    );
    writeFileSync(p.log4j, kafkaLog4jProperties(p.serverLog));
    const classpath = `${libs}/*`;
    const log4jOption = `-Dlog4j.configuration=file:${p.log4j}`;
    // Formatting is once per data folder; a formatted folder keeps its cluster id and topics.
    if (!existsSync(join(p.data, 'meta.properties'))) {
      await formatKafkaStorage(libs, p.log4j, p.serverProperties);
    }
    return spawnDetached(
      'java',
      [
        '-Xmx1g',
        '-Xms256m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        log4jOption,
        '-cp',
        classpath,
        'kafka.Kafka',
        p.serverProperties,
      ],
      { cwd: ctx.runDir, logFile: p.stdoutLog },
    );
  },

  isReady: () => describeCluster(),

  async afterStart() {
    await waitUntil('kafka coordinators loaded', warmUp, { timeoutMs: 60_000 });
  },

  isHealthy: () => describeCluster(),

  logFiles(ctx: ServiceContext) {
    const p = paths(ctx.runDir);
    return [p.stdoutLog, p.serverLog];
  },
};
