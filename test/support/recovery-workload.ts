/**
 * The workload and the checker of the recovery tests (QUALITY.md, Faults): seeded simulator
 * traffic as it lands on the events topic, the sessions a run WITHOUT faults makes of it (the
 * same PartitionPipeline in-process on the in-memory log), and the sessions a faulted run left
 * in ClickHouse, read back with the deduplicating query every reader uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  silentLogger,
  systemClock,
  type ClickEvent,
  type SessionOutput,
} from '../../src/core/index.js';
import {
  MemoryEventLog,
  createEnricher,
  createEventProcessor,
  encodeEnvelope,
  partitionForKey,
  topicNames,
  visitorKey,
  type ProducerRecord,
} from '../../src/ingest/index.js';
import {
  FileCheckpointStore,
  PartitionPipeline,
  type PipelineOutputs,
} from '../../src/runtime/index.js';
import {
  SessionLabeller,
  createFeatureHasher,
  decodeModelInput,
  resolveTrainerConfig,
  type CountedSession,
} from '../../src/scoring/index.js';
import { simulate } from '../../src/simulator/index.js';
import { CLICKHOUSE_SETTINGS, SESSION_COLUMNS, sessionRow } from '../../src/storage/index.js';

/** Visitors of the records that end the input (see `workload`); left out of comparisons. */
export const SENTINEL_PREFIX = 'recovery-sentinel-';
const SENTINEL_SITE = 'site-1';
const DAY = 86_400_000;

export interface Workload {
  /** In the order they are produced; per partition, the order every run sees. */
  readonly records: readonly ProducerRecord[];
  /** Distinct simulated events (resends and sentinels not counted). */
  readonly events: number;
}

/**
 * `events` simulated events (historical timing, default fault rates: disorder, late records,
 * resends, bots, skewed clocks) as envelopes keyed by visitor, as the collector writes them.
 * Malformed records are left out: the collector answers 400 to those, they never reach the
 * topic. Last, one event per partition three days after everything else: its watermark closes
 * every session of the partition, so the runs end with their sessions closed (a run's end is
 * otherwise only reached by processing-time idleness, which no two runs share).
 */
export function workload(options: {
  readonly events: number;
  readonly seed: number;
  readonly partitions: number;
}): Workload {
  const records: ProducerRecord[] = [];
  let last = 0;
  let events = 0;
  for (const record of simulate({ events: options.events, seed: options.seed })) {
    if (record.kind === 'malformed' || typeof record.payload === 'string') continue;
    if (record.kind === 'event') events += 1;
    last = Math.max(last, record.sendAt);
    records.push({
      key: visitorKey(record.site, record.visitor),
      value: encodeEnvelope({
        v: 1,
        site: record.site,
        receivedAt: record.sendAt,
        sentAt: null,
        country: '',
        ipPrefix: '',
        event: record.payload,
      }),
    });
  }
  const at = last + 3 * DAY;
  const covered = new Set<number>();
  for (let n = 0; covered.size < options.partitions; n++) {
    const visitor = `${SENTINEL_PREFIX}${n}`;
    const key = visitorKey(SENTINEL_SITE, visitor);
    const partition = partitionForKey(key, options.partitions);
    if (covered.has(partition)) continue;
    covered.add(partition);
    records.push({
      key,
      value: encodeEnvelope({
        v: 1,
        site: SENTINEL_SITE,
        receivedAt: at,
        sentAt: null,
        country: '',
        ipPrefix: '',
        event: {
          type: 'page',
          messageId: `${visitor}-end`,
          anonymousId: visitor,
          timestamp: new Date(at).toISOString(),
          properties: { url: `https://${SENTINEL_SITE}.example/` },
        },
      }),
    });
  }
  return { records, events };
}

/** A stored session row (the sessions table's columns), as the deduplicating query returns it. */
export type SessionRow = Record<string, unknown>;

/**
 * What the trainer role counts of a session (its first close that counts, by id: see
 * TrainerRole), as one comparable string.
 */
function countedKey(session: CountedSession): string {
  const { site, visitor, startedAt, endedAt, path, entryChannel, converted, revenue } = session;
  return JSON.stringify([
    site,
    visitor,
    startedAt,
    endedAt,
    path,
    entryChannel,
    converted,
    revenue,
  ]);
}

/**
 * Keeps, like the sessions table read with argMax(row_version), the newest row of each id, and,
 * like the trainer role, the first close of each id that counts.
 */
class LatestRows implements PipelineOutputs {
  readonly rows = new Map<string, SessionRow>();
  readonly eventIds = new Set<string>();
  readonly counted = new Map<string, string>();
  private readonly labeller: SessionLabeller;

  constructor(labeller: SessionLabeller) {
    this.labeller = labeller;
  }

  events(_partition: number, events: readonly ClickEvent[]): void {
    for (const event of events) this.eventIds.add(`${event.site}/${event.id}`);
  }
  identity(): void {}
  session(_partition: number, output: SessionOutput): void {
    const id = output.session.id;
    if (output.kind === 'closed' && this.labeller.onClosed(output).counted) {
      if (!this.counted.has(id) && !isSentinel(output.session.visitor)) {
        this.counted.set(id, countedKey(output.session));
      }
    }
    const row = sessionRow(output);
    const seen = this.rows.get(output.session.id);
    if (seen === undefined || (row['row_version'] as number) > (seen['row_version'] as number)) {
      this.rows.set(output.session.id, row);
    }
  }
  async flush(): Promise<void> {}
  backedUp(): boolean {
    return false;
  }
}

export interface Sessions {
  /** Session id -> its latest row, merged-away sessions and sentinels left out. */
  readonly sessions: Map<string, SessionRow>;
  /** Distinct (site, event id) stored. */
  readonly events: number;
}

/** The reference run's sessions, and what the trainer role would count of them. */
export interface ReferenceSessions extends Sessions {
  /** Session id -> what is counted of it (countedKey), sentinels left out. */
  readonly counted: Map<string, string>;
}

/**
 * The reference: the same records through the same PartitionPipeline, in this process, on the
 * in-memory log (Kafka's partitioner, so the same partitions), with no fault at all.
 */
export async function referenceRun(
  records: readonly ProducerRecord[],
  options: { readonly partitions: number; readonly topicPrefix: string; readonly group: string },
): Promise<ReferenceSessions> {
  const topics = topicNames(options.topicPrefix);
  const log = new MemoryEventLog({}, { logger: silentLogger });
  await log.start();
  await log.ensureTopics([
    { name: topics.events, partitions: options.partitions },
    { name: topics.failedEvents, partitions: 1 },
  ]);
  for (let i = 0; i < records.length; i += 10_000) {
    await log.produce(topics.events, records.slice(i, i + 10_000));
  }
  const dir = mkdtempSync(join(tmpdir(), 'pathcast-reference-'));
  const hasher = await createFeatureHasher();
  const outputs = new LatestRows(
    new SessionLabeller(resolveTrainerConfig(), { hasher, countPaths: false }),
  );
  const pipeline = new PartitionPipeline(
    {
      log,
      topics,
      group: options.group,
      processor: createEventProcessor({ enricher: createEnricher(), clock: systemClock }),
      outputs,
      checkpoints: new FileCheckpointStore(dir),
      clock: systemClock,
      logger: silentLogger,
    },
    { checkpointIntervalMs: 1_000 },
  );
  const consumer = await pipeline.start();
  try {
    // Offsets are committed after each checkpoint, once the outputs up to it are in.
    for (;;) {
      const lag = await consumer.lag();
      const end = lag.reduce((sum, p) => sum + p.end, 0);
      if (end === records.length && lag.every((p) => p.committed === p.end)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await pipeline.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    sessions: withoutNoise(outputs.rows),
    events: outputs.eventIds.size,
    counted: outputs.counted,
  };
}

function isSentinel(visitor: unknown): boolean {
  return String(visitor).startsWith(SENTINEL_PREFIX);
}

export interface ShippedSessions {
  /**
   * Session id -> what the trainer role counts of it (the first record of the id), sentinels
   * left out.
   */
  readonly counted: Map<string, string>;
  /** Records of an id already shipped, which the trainer skips. */
  readonly repeats: number;
}

/** The closed sessions on the model-inputs topic, deduplicated by id as the trainer role does. */
export function shippedSessions(values: readonly Uint8Array[]): ShippedSessions {
  const counted = new Map<string, string>();
  let repeats = 0;
  for (const value of values) {
    const input = decodeModelInput(value);
    if (!input.ok) throw new Error(input.reason);
    if (input.value.kind !== 'closed') throw new Error(`unexpected ${input.value.kind} record`);
    const { session } = input.value;
    if (isSentinel(session.visitor)) continue;
    if (counted.has(session.id)) repeats += 1;
    else counted.set(session.id, countedKey(session));
  }
  return { counted, repeats };
}

function withoutNoise(rows: ReadonlyMap<string, SessionRow>): Map<string, SessionRow> {
  const kept = new Map<string, SessionRow>();
  for (const [id, row] of rows) {
    if (row['deleted'] === 1) continue;
    if (isSentinel(row['visitor'])) continue;
    kept.set(id, row);
  }
  return kept;
}

export interface StoredSessions extends Sessions {
  /** Rows in the sessions table before deduplication (replays write some twice). */
  readonly rawRows: number;
  /** Ids the deduplicating query returned more than once (must be 0). */
  readonly duplicateIds: number;
}

const VALUE_COLUMNS = SESSION_COLUMNS.filter((c) => c !== 'id');

/** The sessions (and event count) a run left in ClickHouse, deduplicated as every reader does. */
export async function storedSessions(
  client: ClickHouseClient,
  database: string,
): Promise<StoredSessions> {
  const query = async <T>(sql: string): Promise<T[]> => {
    const result = await client.query({
      query: sql,
      format: 'JSONEachRow',
      clickhouse_settings: CLICKHOUSE_SETTINGS,
    });
    return result.json<T>();
  };
  const db = `\`${database}\``;
  // TRICKY (18.16): argMax(x, v) AS x confuses the old analyzer; alias to l_x (as storage does).
  const latest = VALUE_COLUMNS.map((c) =>
    c === 'row_version'
      ? 'max(row_version) AS l_row_version'
      : `argMax(${c}, row_version) AS l_${c}`,
  );
  const rows = await query<Record<string, unknown>>(
    `SELECT id, ${latest.join(', ')} FROM ${db}.sessions GROUP BY id`,
  );
  const sessions = new Map<string, SessionRow>();
  let duplicateIds = 0;
  for (const raw of rows) {
    const row: SessionRow = { id: raw['id'] };
    for (const column of VALUE_COLUMNS) row[column] = raw[`l_${column}`];
    if (sessions.has(String(row['id']))) duplicateIds += 1;
    sessions.set(String(row['id']), row);
  }
  const [counts] = await query<{ raw: number; events: number }>(
    `SELECT (SELECT count() FROM ${db}.sessions) AS raw,
            (SELECT count() FROM (SELECT site, id FROM ${db}.events GROUP BY site, id)) AS events`,
  );
  return {
    sessions: withoutNoise(sessions),
    events: counts?.events ?? 0,
    rawRows: counts?.raw ?? 0,
    duplicateIds,
  };
}

/** Differences between two session sets, for a readable failure (the first few of each kind). */
export function sessionDiff(expected: Sessions, actual: Sessions): string[] {
  const lines: string[] = [];
  for (const [id, row] of expected.sessions) {
    const other = actual.sessions.get(id);
    if (other === undefined) lines.push(`missing ${id} ${JSON.stringify(row)}`);
    else if (JSON.stringify(other) !== JSON.stringify(row)) {
      lines.push(
        `differs ${id}\n  expected ${JSON.stringify(row)}\n  actual   ${JSON.stringify(other)}`,
      );
    }
  }
  for (const id of actual.sessions.keys()) {
    if (!expected.sessions.has(id)) lines.push(`unexpected ${id}`);
  }
  return lines;
}
