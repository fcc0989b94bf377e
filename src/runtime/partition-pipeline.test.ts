import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, silentLogger, type SessionOutput } from '../core/index.js';
import {
  MemoryEventLog,
  createEnricher,
  createEventProcessor,
  encodeBatchEnvelope,
  encodeEnvelope,
  topicNames,
  visitorKey,
  type ProducerRecord,
} from '../ingest/index.js';
import { FileCheckpointStore } from './checkpoint-store.js';
import { PartitionPipeline, type PipelineOutputs } from './partition-pipeline.js';

const topics = topicNames('t');
const GROUP = 'processors';
const PARTITIONS = 4;
const MINUTE = 60_000;
const START = Date.parse('2026-06-01T00:00:00Z');

/** Keeps the newest version of every session, as ReplacingMergeTree storage would. */
class LatestSessions implements PipelineOutputs {
  readonly sessions = new Map<string, { version: number; output: SessionOutput }>();
  eventsSeen = 0;
  events(_partition: number, events: readonly unknown[]): void {
    this.eventsSeen += events.length;
  }
  identity(): void {}
  session(_partition: number, output: SessionOutput): void {
    const seen = this.sessions.get(output.session.id);
    if (seen === undefined || output.session.version >= seen.version) {
      this.sessions.set(output.session.id, { version: output.session.version, output });
    }
  }
  async flush(): Promise<void> {}
  backedUp(): boolean {
    return false;
  }
  /** Final sessions: id -> what must match exactly across runs. */
  final(): Map<string, string> {
    const result = new Map<string, string>();
    for (const [id, { output }] of this.sessions) {
      if (output.kind === 'closed' && output.reason === 'merged') continue;
      const s = output.session;
      result.set(
        id,
        JSON.stringify([s.eventCount, s.conversions, s.revenue, s.startedAt, s.endedAt, s.path]),
      );
    }
    return result;
  }
}

/**
 * A deterministic stream: 60 visitors, visits with gaps, conversions, some disorder. Events come
 * in a visitor's batches of 1 to 3, logged one record per event, or (batched) one record per
 * batch as the collector logs a browser's batch.
 */
function stream(batched = false): ProducerRecord[] {
  const records: ProducerRecord[] = [];
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let n = 0; n < 3_000;) {
    const visitor = `v${Math.floor(random() * 60)}`;
    const events: Array<Record<string, unknown>> = [];
    const size = 1 + Math.floor(random() * 3);
    let receivedAt = 0;
    for (const end = Math.min(3_000, n + size); n < end; n++) {
      const time = START + n * 20_000 + Math.floor((random() - 0.5) * 2 * MINUTE);
      receivedAt = Math.max(receivedAt, time + 1_000);
      const converts = random() < 0.05;
      const event = converts
        ? { type: 'track', event: 'Order Completed', properties: { revenue: 10 + (n % 7) } }
        : {
            type: 'page',
            properties: { url: `https://shop.test/${['home', 'product/1', 'cart'][n % 3]}` },
          };
      events.push({
        ...event,
        messageId: `m${n}`,
        anonymousId: visitor,
        timestamp: new Date(time).toISOString(),
      });
    }
    const key = visitorKey('shop', visitor);
    const meta = { site: 'shop', receivedAt, country: '', ipPrefix: '' };
    if (batched) {
      records.push({ key, value: encodeBatchEnvelope(meta, JSON.stringify({ batch: events })) });
      continue;
    }
    for (const event of events) {
      records.push({ key, value: encodeEnvelope({ ...meta, v: 1, sentAt: null, event }) });
    }
  }
  return records;
}

async function run(
  records: ProducerRecord[],
  dataDir: string,
  outputs: LatestSessions,
  clock: ManualClock,
  stopAfter?: number,
) {
  const log = new MemoryEventLog({}, { logger: silentLogger, clock });
  await log.start();
  await log.ensureTopics([
    { name: topics.events, partitions: PARTITIONS },
    { name: topics.failedEvents, partitions: 1 },
  ]);
  await log.produce(topics.events, records);
  const pipeline = new PartitionPipeline(
    {
      log,
      topics,
      group: GROUP,
      processor: createEventProcessor({ enricher: createEnricher(), clock }),
      outputs,
      checkpoints: new FileCheckpointStore(dataDir),
      clock,
      logger: silentLogger,
    },
    { checkpointIntervalMs: 0, tickMs: 60_000 },
  );
  const consumer = await pipeline.start();
  const total = stopAfter ?? records.length;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lag = await consumer.lag();
    const done = lag.reduce((sum, p) => sum + (p.committed ?? 0), 0);
    if (done >= total) break;
    if (Date.now() > deadline) throw new Error(`pipeline stuck at ${done} of ${total}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { log, pipeline };
}

describe('PartitionPipeline', () => {
  it('recovers from a crash with exactly the sessions of a run without one', async () => {
    const records = stream();
    const clock = new ManualClock(START + 10 * 24 * 60 * MINUTE);

    const clean = new LatestSessions();
    const first = await run(records, mkdtempSync(join(tmpdir(), 'pc-clean-')), clean, clock);
    await first.pipeline.close();
    await first.log.close();

    // Crash: a process is abandoned after its checkpoints; a new one restores and replays.
    const dir = mkdtempSync(join(tmpdir(), 'pc-crash-'));
    const crashed = new LatestSessions();
    const head = records.slice(0, 1_800);
    const before = await run(head, dir, crashed, clock);
    await before.log.close(); // no pipeline.close(): nothing is flushed or checkpointed on the way out
    const replayedBefore = crashed.eventsSeen;
    const after = await run(records, dir, crashed, clock);
    // The new process resumed from the checkpoints, not from the start of the log.
    const replayed = crashed.eventsSeen - replayedBefore;
    expect(replayedBefore).toBeGreaterThan(1_000);
    expect(replayed).toBeLessThan(records.length - 1_000);
    await after.pipeline.close();
    await after.log.close();

    expect(clean.final().size).toBeGreaterThan(100);
    expect(crashed.final()).toEqual(clean.final());
  });

  it('reads batch records as their events: the same sessions, across a crash too', async () => {
    const clock = new ManualClock(START + 10 * 24 * 60 * MINUTE);
    const single = new LatestSessions();
    const one = await run(stream(), mkdtempSync(join(tmpdir(), 'pc-single-')), single, clock);
    await one.pipeline.close();
    await one.log.close();

    const records = stream(true);
    expect(records.length).toBeLessThan(2_000);
    const dir = mkdtempSync(join(tmpdir(), 'pc-batched-'));
    const batched = new LatestSessions();
    const before = await run(records.slice(0, 1_000), dir, batched, clock);
    await before.log.close();
    const after = await run(records, dir, batched, clock);
    await after.pipeline.close();
    await after.log.close();

    expect(single.eventsSeen).toBe(3_000);
    expect(batched.eventsSeen).toBeGreaterThanOrEqual(3_000);
    expect(single.final().size).toBeGreaterThan(100);
    expect(batched.final()).toEqual(single.final());
  });
});
