/**
 * What a fault test watches in a running Runtime, sampled once a second: heap after a forced GC,
 * the writers' held rows and full state, the pipeline's processed-records counter, the
 * backpressure-waits counter, and the processors' lag. Plus a logger that keeps only what a test
 * asserts on (warnings, errors and a few named events), so logging cannot grow the heap it
 * measures.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { metricValue, type LogFields, type Logger } from '../../src/core/index.js';
import type { RuntimeParts } from '../../src/runtime/index.js';
import type { WriterName } from '../../src/storage/index.js';

setFlagsFromString('--expose-gc');
/** A full, synchronous collection: heap figures without the garbage of the moment. */
export const collectGarbage = runInNewContext('gc') as () => void;

export interface Sample {
  /** performance.now() of the sample. */
  readonly at: number;
  readonly heapUsedMb: number;
  /** Rows held (buffered + in flight) per writer, and writes waiting for room. */
  readonly heldRows: Readonly<Record<string, number>>;
  readonly waitingWrites: number;
  readonly writersFull: boolean;
  readonly processedRecords: number;
  /** Batches the pipeline held back because the writers were full. */
  readonly backpressureWaits: number;
  /** Records of the events topic after the group's committed offsets. */
  readonly lag: number;
}

const WRITERS: readonly WriterName[] = [
  'events',
  'sessions',
  'scores',
  'failedEvents',
  'profiles',
  'identities',
  'models',
];

/** The current total of a counter over all its labels (0 when it does not exist yet). */
export function counterTotal(name: string): Promise<number> {
  return metricValue(name);
}

export async function sample(parts: RuntimeParts): Promise<Sample> {
  collectGarbage();
  const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
  const heldRows: Record<string, number> = {};
  let waitingWrites = 0;
  for (const name of WRITERS) {
    const stats = parts.storage.writers[name].stats();
    heldRows[name] = stats.bufferedRows + stats.inFlightRows;
    waitingWrites += stats.waitingWrites;
  }
  const lag = (await parts.lag()).reduce((sum, p) => sum + p.lag, 0);
  return {
    at: performance.now(),
    heapUsedMb,
    heldRows,
    waitingWrites,
    writersFull: parts.storage.writers.isFull(),
    processedRecords: await counterTotal('pathcast_pipeline_records_total'),
    backpressureWaits: await counterTotal('pathcast_pipeline_backpressure_waits_total'),
    lag,
  };
}

/** Samples every `intervalMs` until stopped; failures of a sample are kept, not thrown. */
export function startSampling(
  parts: RuntimeParts,
  intervalMs = 1_000,
): { samples: Sample[]; errors: string[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        samples.push(await sample(parts));
      } catch (error) {
        errors.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    samples,
    errors,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export interface KeptLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly event: string;
  readonly fields: LogFields;
}

/**
 * Keeps warnings and errors (the first `limit` of them, counting the rest) and the info events
 * named in `infoEvents`; drops everything else.
 */
export class KeepingLogger implements Logger {
  readonly lines: KeptLine[];
  readonly counts: Map<string, number>;
  private readonly infoEvents: ReadonlySet<string>;
  private readonly limit: number;
  private readonly bindings: LogFields;

  constructor(
    infoEvents: readonly string[],
    limit = 500,
    shared?: { lines: KeptLine[]; counts: Map<string, number> },
    bindings: LogFields = {},
  ) {
    this.infoEvents = new Set(infoEvents);
    this.limit = limit;
    this.lines = shared?.lines ?? [];
    this.counts = shared?.counts ?? new Map();
    this.bindings = bindings;
  }

  debug(): void {
    // Not kept: the ClickHouse client alone logs a line per request.
  }

  info(event: string, fields: LogFields = {}): void {
    if (this.infoEvents.has(event)) this.keep('info', event, fields);
  }

  warn(event: string, fields: LogFields = {}): void {
    this.keep('warn', event, fields);
  }

  error(event: string, fields: LogFields = {}): void {
    this.keep('error', event, fields);
  }

  child(bindings: LogFields): Logger {
    return new KeepingLogger(
      [...this.infoEvents],
      this.limit,
      { lines: this.lines, counts: this.counts },
      { ...this.bindings, ...bindings },
    );
  }

  /** For failure messages: how often each event came, and the first warnings and errors. */
  summary(lines = 15): string {
    // Errors first: a flood of retry warnings must not hide the line that explains a failure.
    const first = [
      ...this.lines.filter((l) => l.level === 'error'),
      // Retries come by the hundred in an outage: the other warnings first.
      ...this.lines.filter((l) => l.level === 'warn' && !l.event.endsWith('_retry')),
      ...this.lines.filter((l) => l.level === 'warn' && l.event.endsWith('_retry')),
    ]
      .slice(0, lines)
      .map((l) => `${l.level} ${l.event} ${JSON.stringify(l.fields).slice(0, 1500)}`);
    return [JSON.stringify([...this.counts]), ...first].join('\n');
  }

  /** Lines of these events, in order. */
  events(...names: string[]): KeptLine[] {
    return this.lines.filter((l) => names.includes(l.event));
  }

  private keep(level: KeptLine['level'], event: string, fields: LogFields): void {
    this.counts.set(event, (this.counts.get(event) ?? 0) + 1);
    if (this.lines.length < this.limit) {
      this.lines.push({ level, event, fields: readable({ ...this.bindings, ...fields }) });
    }
  }
}

/** Errors as plain objects, so a failure message shows them (JSON drops an Error's message). */
function readable(fields: LogFields): LogFields {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? {
            name: value.name,
            message: value.message,
            code: (value as { code?: unknown }).code,
            cause: value.cause instanceof Error ? value.cause.message : undefined,
            stack: value.stack?.split('\n').slice(1, 4).join(' | '),
          }
        : value;
  }
  return out;
}
