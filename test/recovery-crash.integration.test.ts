/**
 * Exact recovery after kill -9 (issue 4, item 4; QUALITY.md, Faults): 200k simulated events on
 * the real Kafka, a real processor process (test/support/recovery-processor.ts: PartitionPipeline
 * with the Kafka checkpoint store, sessions into a database of its own on the real ClickHouse
 * server) killed with SIGKILL five times at seeded moments — before an insert, after an insert
 * before the checkpoint, in the middle of a checkpoint, after a checkpoint before the commit,
 * and anywhere — and restarted each time. The sessions it leaves in ClickHouse must equal
 * exactly those of the same pipeline run once, in-process, without a fault; and so must what the
 * trainer role counts of the closed sessions it ships to the model-inputs topic (DESIGN.md,
 * Recovery: the model's counts equal those of a run without the crash).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, silentLogger } from '../src/core/index.js';
import { KafkaEventLog, recordBytesOf, topicNames } from '../src/ingest/index.js';
import { pollUntil } from './polling.js';
import { drainTopic } from './support/collector-harness.js';
import { testServices } from './services.js';
import { ProcessorProcess, groupProgress, type LogLine } from './support/recovery-cluster.js';
import { KILL_PHASES, type ProcessorSpec } from './support/recovery-spec.js';
import {
  referenceRun,
  sessionDiff,
  shippedSessions,
  storedSessions,
  workload,
  type Workload,
} from './support/recovery-workload.js';

const EVENTS = 200_000;
const PARTITIONS = 4;
const SEED = Number(process.env['PATHCAST_RECOVERY_SEED'] ?? 20260601);

const suffix = randomBytes(4).toString('hex');
const prefix = `pathcast-it-crash-${suffix}`;
const topics = topicNames(prefix);
const group = `${prefix}.processors`;
const database = `pathcast_it_crash_${suffix}`;

describe('recovery from kill -9 of the processor', () => {
  const services = testServices();
  // Dropping a database of many fresh parts can take the 18.16 server a while (the client's
  // warning about long requests without progress headers is silenced: these are commands).
  const clickhouse = createClient({
    url: services.clickhouseUrl,
    request_timeout: 300_000,
    log: { level: ClickHouseLogLevel.ERROR },
  });
  const kafka = new kafkajs.Kafka({
    brokers: services.kafkaBrokers,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const dataDir = mkdtempSync(join(tmpdir(), 'pathcast-recovery-'));
  let input: Workload;

  /** A client of the test's own on the broker (not the processors' group). */
  function kafkaLog(): KafkaEventLog {
    return new KafkaEventLog(
      {
        brokers: services.kafkaBrokers,
        clientId: 'pathcast-it-crash',
        topicPrefix: prefix,
        group,
        partitions: PARTITIONS,
        ssl: false,
        username: undefined,
        password: undefined,
      },
      {},
      { logger: silentLogger },
    );
  }

  beforeAll(async () => {
    const started = Date.now();
    await admin.connect();
    const log = kafkaLog();
    await log.start();
    try {
      await log.ensureTopics([
        { name: topics.events, partitions: PARTITIONS },
        { name: topics.failedEvents, partitions: PARTITIONS },
        { name: topics.checkpoints, partitions: 1, compacted: true },
        { name: topics.modelInputs, partitions: 1 },
      ]);
      input = workload({ events: EVENTS, seed: SEED, partitions: PARTITIONS });
      // ~2 MB a call: well under 1 MiB per partition batch, the broker's default limit.
      for (let i = 0; i < input.records.length; i += 2_000) {
        await log.produce(topics.events, input.records.slice(i, i + 2_000));
      }
      console.log(`input: ${input.records.length} records in ${Date.now() - started} ms`);
    } finally {
      await log.close();
    }
  });

  afterAll(async () => {
    await admin
      .deleteTopics({
        topics: [topics.events, topics.failedEvents, topics.checkpoints, topics.modelInputs],
      })
      .catch(() => undefined);
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ends with exactly the sessions of a run without crashes', async () => {
    const started = Date.now();
    const lap = (what: string): string =>
      `${what} at ${Math.round((Date.now() - started) / 1000)} s`;
    const random = mulberry32(SEED);
    // Every phase once, in a seeded order, each armed at a seeded moment of its run.
    const phases = [...KILL_PHASES];
    for (let i = phases.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [phases[i], phases[j]] = [phases[j]!, phases[i]!];
    }
    const spec = (name: string): ProcessorSpec => ({
      mode: 'pipeline',
      name,
      brokers: services.kafkaBrokers,
      topicPrefix: prefix,
      group,
      partitions: PARTITIONS,
      clickhouseUrl: services.clickhouseUrl,
      database,
      checkpointIntervalMs: 1_000,
      dataDir,
      chunkBytes: 16 * 1024,
    });

    // The run without faults, computed meanwhile in this process (the processors are others).
    const reference = referenceRun(input.records, {
      partitions: PARTITIONS,
      topicPrefix: prefix,
      group,
    });
    reference.catch(() => undefined); // awaited below; a failure must not go unhandled before

    const logs: LogLine[] = [];
    const kills: string[] = [];
    for (const [n, phase] of phases.entries()) {
      // Kill n lands in the n-th sixth of the stream (seeded within it), so kills hit small and
      // large states alike.
      const depth = Math.round(((n + 0.2 + 0.6 * random()) / 6) * input.records.length);
      const processor = ProcessorProcess.start({
        ...spec(`crash-${n}`),
        ...(phase === 'anywhere' ? {} : { kill: { phase, armAtCommitted: depth } }),
      });
      try {
        await processor.line('READY', 90_000);
        if (phase === 'anywhere') {
          await pollUntil(
            `${depth} records committed`,
            async () =>
              (await groupProgress(admin, group, topics.events)).committed >= depth
                ? true
                : undefined,
            { timeoutMs: 150_000, intervalMs: 100, describe: () => processor.tail(2_000) },
          );
          // A seeded moment soon after: the processor runs through tens of thousands of events
          // a second, so a longer wait could let it finish the stream before the kill.
          await new Promise((resolve) => setTimeout(resolve, random() * 100));
        } else {
          await processor.line(`KILLPOINT ${phase}`, 150_000);
        }
        await processor.kill();
      } finally {
        await processor.kill();
        logs.push(...processor.events);
      }
      const progress = await groupProgress(admin, group, topics.events);
      kills.push(`${phase} past ${depth}: ${progress.committed} of ${progress.end} committed`);
      // Each kill lands mid-stream, with work done since the last commit thrown away.
      expect(progress.committed, kills.join('\n')).toBeLessThan(progress.end);
    }
    console.log(`kills (seed ${SEED}):\n  ${kills.join('\n  ')}\n${lap('killed 5 times')}`);

    const last = ProcessorProcess.start(spec('final'));
    try {
      await last.line('READY', 90_000);
      await pollUntil(
        'the processors to commit every record',
        async () => {
          const progress = await groupProgress(admin, group, topics.events);
          return progress.committed === progress.end ? progress : undefined;
        },
        { timeoutMs: 150_000, intervalMs: 500, describe: () => last.tail(2_000) },
      );
      await last.stop();
    } finally {
      await last.kill();
      logs.push(...last.events);
    }

    console.log(lap('all committed'));
    const expected = await reference;
    console.log(lap('reference done'));
    const stored = await storedSessions(clickhouse, database);

    // The checker: no id twice in the deduplicated results, and the same sessions exactly.
    expect(stored.duplicateIds).toBe(0);
    expect(sessionDiff(expected, stored).slice(0, 5)).toEqual([]);
    expect(stored.sessions.size).toBe(expected.sessions.size);
    expect(expected.sessions.size).toBeGreaterThan(EVENTS / 20);
    expect(stored.events).toBe(expected.events);
    // Records were processed more than once (replays after the kills) and still counted once.
    expect(stored.rawRows).toBeGreaterThan(stored.sessions.size);

    // The model's side: every session that counts was shipped (a checkpoint waits for that),
    // some twice (closed again in a replay), and what the trainer counts of them, each once,
    // is what it would count of the run without crashes.
    const reader = kafkaLog();
    await reader.start();
    const records = await drainTopic(reader, topics.modelInputs).finally(() => reader.close());
    const shipped = shippedSessions(records.map((record) => recordBytesOf(record.value)));
    expect(shipped.counted.size).toBe(expected.counted.size);
    expect(expected.counted.size).toBeGreaterThan(EVENTS / 20);
    const different = [...expected.counted].filter(([id, key]) => shipped.counted.get(id) !== key);
    expect(different.slice(0, 5)).toEqual([]);
    expect(shipped.repeats).toBeGreaterThan(0);
    console.log(
      `model inputs: ${shipped.counted.size} sessions, ${shipped.repeats} shipped again and skipped`,
    );
    // Restarts restored checkpoints, and the torn one was detected rather than applied.
    const restored = logs.filter((l) => l['event'] === 'partition_restored');
    expect(restored.some((l) => l['fromCheckpoint'] === true)).toBe(true);
    expect(logs.some((l) => l['event'] === 'checkpoint_slot_invalid')).toBe(true);
  }, 400_000);
});
