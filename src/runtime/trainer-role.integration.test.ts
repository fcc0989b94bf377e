/**
 * The distributed trainer against the real broker and ClickHouse server: two Pathcast processes
 * (Runtimes) in one group sessionize and label their own partitions' visitors and ship the
 * inputs; the one process holding the trainer role learns from both and publishes snapshots
 * that both serve. When the trainer process leaves, the other takes the role over from the
 * published snapshot.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/index.js';
import { loadConfig, type Config } from '../config/index.js';
import {
  createEventLog,
  encodeEnvelope,
  recordBytesOf,
  topicNames,
  visitorKey,
  type EventLog,
} from '../ingest/index.js';
import { decodeModelInput, type ModelSnapshot } from '../scoring/index.js';
import { testServices } from '../../test/services.js';
import { pollUntil } from '../../test/polling.js';
import { Runtime } from './runtime.js';

const SITE = 'shop';
const PAGES = ['', 'product/1', 'cart'];
const closers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

function processConfig(id: string, prefix: string): Config {
  const services = testServices();
  return loadConfig({
    PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), `pathcast-trainer-${id}-`)),
    PATHCAST_INSTANCE_ID: `${prefix}-${id}`,
    PATHCAST_PARTITIONS: '4',
    PATHCAST_KAFKA_BROKERS: services.kafkaBrokers.join(','),
    PATHCAST_KAFKA_TOPIC_PREFIX: prefix,
    PATHCAST_KAFKA_GROUP: `${prefix}-processors`,
    PATHCAST_CLICKHOUSE_URL: services.clickhouseUrl,
    PATHCAST_CLICKHOUSE_DATABASE: prefix.replace(/-/g, '_'),
  });
}

async function startProcess(id: string, prefix: string): Promise<Runtime> {
  const runtime = new Runtime(processConfig(id, prefix), {
    logger: silentLogger,
    logOptions: { kafka: { maxWaitTimeMs: 100, heartbeatIntervalMs: 500 } },
    pipeline: {
      checkpointIntervalMs: 500,
      tickMs: 100,
      // Sessions close a second or two after their last event (idle partitions move on).
      sessionizer: {
        gapMs: 1_000,
        outOfOrdernessMs: 100,
        idleTimeoutMs: 200,
        allowedLatenessMs: 120_000,
        maxLengthMs: 600_000,
      },
    },
    trainer: { publishIntervalMs: 300 },
  });
  closers.push(() => runtime.close());
  await runtime.start();
  return runtime;
}

/** The test's own client of the broker: produces events, reads the model-inputs topic. */
async function kafkaLog(prefix: string): Promise<EventLog> {
  const log = createEventLog(
    processConfig('probe', prefix).kafka,
    { logger: silentLogger },
    { kafka: { maxWaitTimeMs: 100, heartbeatIntervalMs: 500 } },
  );
  await log.start();
  closers.push(() => log.close());
  return log;
}

/** One session of three page views for each visitor, events 100 ms apart, just now. */
async function sendSessions(
  log: EventLog,
  prefix: string,
  visitors: readonly string[],
): Promise<void> {
  const now = Date.now();
  await log.produce(
    topicNames(prefix).events,
    visitors.flatMap((visitor) =>
      PAGES.map((page, i) => ({
        key: visitorKey(SITE, visitor),
        value: encodeEnvelope({
          v: 1,
          site: SITE,
          receivedAt: now,
          sentAt: null,
          country: '',
          ipPrefix: '',
          event: {
            type: 'page',
            messageId: `${visitor}-${i}`,
            anonymousId: visitor,
            timestamp: new Date(now - 1_000 + i * 100).toISOString(),
            properties: { url: `https://shop.example/${page}` },
          },
        }),
      })),
    ),
  );
}

function served(runtime: Runtime): ModelSnapshot {
  const model = runtime.model();
  if (model === undefined) throw new Error('no live model');
  return model;
}

const visitors = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `visitor-${from + i}`);

describe('distributed trainer (Kafka)', () => {
  it('learns both processes’ sessions in one trainer, serves its snapshots everywhere, and fails over', async () => {
    const prefix = `pathcast-it-trainer-${randomBytes(4).toString('hex')}`;
    const a = await startProcess('a', prefix);
    const b = await startProcess('b', prefix);
    const probe = await kafkaLog(prefix);

    // 24 sessions of 3 page views over 4 partitions, two processes: 72 labelled prefixes.
    await sendSessions(probe, prefix, visitors(0, 24));
    const both = await pollUntil(
      'one snapshot with all 24 sessions, served by both processes',
      () => {
        const [ma, mb] = [served(a), served(b)];
        return ma.id === mb.id && ma.pageFlow.support(0) === 24 && ma.parts.updates === 72
          ? ma
          : undefined;
      },
      {
        timeoutMs: 45_000,
        describe: () =>
          [a, b]
            .map(
              (r) =>
                `${served(r).id}: ${served(r).pageFlow.support(0)} sessions, ${served(r).parts.updates} examples`,
            )
            .join('; '),
      },
    );
    // Exactly one trainer.
    expect([a.holdsTrainerRole(), b.holdsTrainerRole()].filter(Boolean)).toHaveLength(1);
    // Every session was shipped to the trainer by the process that closed it (at least once:
    // a partition replayed after a rebalance may ship a session again, which the trainer skips).
    const shipped: string[] = [];
    const reader = await probe.consume({
      topic: topicNames(prefix).modelInputs,
      group: `${prefix}-probe`,
      fromBeginning: true,
      handler: {
        onBatch: async (batch) => {
          for (const record of batch.records) {
            const input = decodeModelInput(recordBytesOf(record.value));
            if (input.ok && input.value.kind === 'closed') {
              expect(record.key).toBe(input.value.session.id);
              shipped.push(input.value.session.visitor);
            }
          }
        },
      },
    });
    closers.push(() => reader.close());
    await pollUntil('all 24 sessions read', () => (shipped.length >= 24 ? true : undefined), {
      timeoutMs: 20_000,
      describe: () => `${shipped.length} read`,
    });
    expect([...new Set(shipped)].sort()).toEqual(visitors(0, 24).sort());

    // The trainer leaves; the other process takes the role from the snapshot it published.
    const [trainer, other] = a.holdsTrainerRole() ? [a, b] : [b, a];
    await trainer.close();
    await pollUntil('the role handed over', () => (other.holdsTrainerRole() ? true : undefined), {
      timeoutMs: 30_000,
    });
    await sendSessions(probe, prefix, visitors(24, 10));
    const after = await pollUntil(
      'the 10 new sessions learnt by the new trainer',
      () => {
        const model = served(other);
        return model.pageFlow.support(0) === 34 ? model : undefined;
      },
      {
        timeoutMs: 45_000,
        describe: () =>
          `${served(other).id}: ${served(other).pageFlow.support(0)} sessions, ${served(other).parts.updates} examples`,
      },
    );
    expect(after.version).toBeGreaterThan(both.version);
    // Not reset: the new trainer resumed the examples and counts of the old one.
    expect(after.parts.updates).toBe(72 + 30);
  }, 120_000);
});
