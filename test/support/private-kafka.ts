/**
 * A Kafka broker of a test's own, for faults that would disturb everyone else on the shared one
 * (kill -9 mid-load). Same jars and the same server.properties as `npm run services` (built by
 * scripts/services/kafka-config.ts), but on free loopback ports, in a temporary folder, and
 * owned by this process: it can be killed and restarted at will, and is removed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { ensureKafkaJars, formatKafkaStorage } from '../../scripts/services/kafka.js';
import {
  kafkaLog4jProperties,
  kafkaServerProperties,
} from '../../scripts/services/kafka-config.js';
import { tailFile } from '../../scripts/services/process.js';
import { pollUntil } from '../polling.js';

const HOST = '127.0.0.1';

export interface PrivateKafka {
  /** `127.0.0.1:PORT`. */
  readonly brokers: readonly string[];
  /** Resolves once the broker answers and its coordinators are loaded. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** SIGKILL, as a crash: no shutdown, no flush. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts the broker again on the same folder and ports (its data survives). */
  restart(): Promise<void>;
  /** Kills it if running and removes its folder. Safe to call twice. */
  close(): Promise<void>;
  /** The last lines of its logs, for failure messages. */
  logTail(lines?: number): string;
}

/** A port nothing listens on now (the OS picks it; closed again before the broker binds it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}

/** Formats a fresh KRaft data folder and starts the broker; call waitHealthy() next. */
export async function startPrivateKafka(): Promise<PrivateKafka> {
  const libs = await ensureKafkaJars((line) => console.error(`[private-kafka] ${line}`));
  const dir = mkdtempSync(join(tmpdir(), 'pathcast-private-kafka-'));
  const brokerPort = await freePort();
  const controllerPort = await freePort();
  const brokers = [`${HOST}:${brokerPort}`];
  const properties = join(dir, 'server.properties');
  const serverLog = join(dir, 'server.log');
  const stdoutLog = join(dir, 'stdout.log');
  writeFileSync(
    properties,
    kafkaServerProperties({
      host: HOST,
      brokerPort,
      controllerPort,
      logDir: join(dir, 'data'),
    }),
  );
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(log4j, kafkaLog4jProperties(serverLog));
  const classpath = `${libs}/*`;
  const log4jOption = `-Dlog4j.configuration=file:${log4j}`;
  await formatKafkaStorage(libs, log4j, properties);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const spawnBroker = (): void => {
    const fd = openSync(stdoutLog, 'a');
    try {
      const proc = spawn(
        'java',
        [
          // A small heap: this broker holds one test's few thousand records.
          '-Xmx384m',
          '-Xms128m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-Djava.awt.headless=true',
          log4jOption,
          '-cp',
          classpath,
          'kafka.Kafka',
          properties,
        ],
        { cwd: dir, stdio: ['ignore', fd, fd] },
      );
      child = proc;
      exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    } finally {
      closeSync(fd);
    }
  };

  const probe = async (): Promise<boolean> => {
    const kafka = new kafkajs.Kafka({
      clientId: 'pathcast-private-kafka-probe',
      brokers: [...brokers],
      logLevel: kafkajs.logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 3000,
      // An idempotent producer refuses a client without retries.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) return false;
      // Loads the group and producer-id coordinators, as the services script's warm-up does.
      await admin.describeGroups(['pathcast-private-warm-up']);
      await producer.connect();
      return true;
    } catch {
      return false; // not up yet: the caller polls
    } finally {
      // Probe clean-up: the answer is decided, and a failed disconnect changes nothing.
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await exited;
  };

  // If the test process ends without close() (a crash, a timeout), the broker must not outlive
  // it holding ports and a temp folder: exit handlers run synchronously, so SIGKILL is all.
  const killOnExit = (): void => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  };
  process.once('exit', killOnExit);

  spawnBroker();
  let closing: Promise<void> | undefined;
  const logTail = (lines = 30): string =>
    [...tailFile(stdoutLog, 10), ...tailFile(serverLog, lines)].join('\n');
  return {
    brokers,
    async waitHealthy(timeoutMs = 90_000) {
      await pollUntil(
        `the private Kafka broker at ${brokers[0]}`,
        async () => {
          const proc = child;
          if (proc !== undefined && (proc.exitCode !== null || proc.signalCode !== null)) {
            throw new Error(`the private Kafka broker exited while starting:\n${logTail()}`);
          }
          return (await probe()) ? true : undefined;
        },
        { timeoutMs, intervalMs: 250, describe: () => logTail(10) },
      );
    },
    kill,
    async restart() {
      await kill();
      spawnBroker();
    },
    logTail,
    close() {
      closing ??= (async () => {
        await kill();
        process.removeListener('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
