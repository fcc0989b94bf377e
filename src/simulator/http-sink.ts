import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import {
  PathcastError,
  TransientError,
  ValidationError,
  retry,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
} from '../core/index.js';
import type { EventSink } from './event-sink.js';
import { isoTime } from './iso-time.js';
import type { SimulatedEvent } from './simulated-event.js';

export interface HttpSinkOptions {
  /** Collector base URL; batches go to `${url}/v1/batch`. */
  readonly url: string;
  /** One write key for every record (HTTP Basic username); default: each record's own. */
  readonly writeKey?: string;
  /** Events per request. Default 20. */
  readonly batchSize?: number;
  /** Requests in flight at once. Default 4. */
  readonly concurrency?: number;
  /** A partly filled batch is sent after waiting this long for more. Default 200 ms. */
  readonly lingerMs?: number;
  /** NDJSON file of acknowledged records, `{"messageId","status"}` a line. */
  readonly acksFile?: string;
  /** Retries of a request that failed in a way that may pass (network, 5xx, 429). Default 5. */
  readonly retries?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Seam for tests: the wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A Retry-After wait is honoured up to this long; more is treated as this. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * An HTTP Retry-After (seconds, or an HTTP date) as ms from `now`; undefined when absent or
 * unreadable.
 */
export function retryAfter(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  // Delay-seconds, or an HTTP date (which names a weekday and a month).
  const ms = /^\d+$/.test(text)
    ? Number(text) * 1000
    : /[A-Za-z]/.test(text)
      ? Date.parse(text) - now
      : Number.NaN;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

export interface HttpSinkStats {
  requests: number;
  /** Records sent (each duplicate counts). */
  records: number;
  /** Records the collector acknowledged with a 2xx. */
  acknowledged: number;
  /** Well-formed records the collector refused (4xx) — unexpected, worth a look. */
  rejected: number;
  /** Malformed records refused, as they should be. */
  rejectedMalformed: number;
  /** Malformed records answered with a 2xx (acceptable only if stored as failed events). */
  acknowledgedMalformed: number;
  /** Records whose request failed after all retries. */
  failed: number;
  statuses: Record<string, number>;
}

export interface HttpSink extends EventSink {
  stats(): HttpSinkStats;
}

/**
 * The payload as its client would send it now: `sentAt` is the client's clock at the moment of
 * the request (the real now plus the device's skew, which the record carries as its planned
 * sentAt minus its planned sendAt). Then a collector's correction timestamp + (receivedAt -
 * sentAt) gives the true event time whether the run is live or historical (replaying past
 * times fast), and batching delays do not shift it. `receivedAt` is the collector's to set.
 */
function restamp(record: SimulatedEvent, now: number): unknown {
  const payload = record.payload;
  if (typeof payload === 'string') return payload;
  const planned = payload['sentAt'];
  if (typeof planned !== 'string') return payload;
  const skew = Date.parse(planned) - record.sendAt;
  return { ...payload, sentAt: isoTime(now + skew), receivedAt: undefined };
}

function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

/** Indices a 2xx body says were rejected, when the collector lists them (`rejected: [{index}]`). */
function rejectedIndices(body: string): Set<number> {
  const out = new Set<number>();
  try {
    const parsed = JSON.parse(body) as { rejected?: unknown };
    if (Array.isArray(parsed.rejected)) {
      for (const item of parsed.rejected as unknown[]) {
        const index = (item as { index?: unknown } | null)?.index;
        if (typeof index === 'number') out.add(index);
      }
    }
  } catch {
    // NOTE: a 2xx body need not be JSON; then every record of the request counts as acknowledged.
  }
  return out;
}

/**
 * Sends records to a Segment-compatible collector as `POST /v1/batch` requests, grouped by write
 * key, with bounded concurrency (write() waits when all slots are busy: backpressure) and
 * retries of transient failures. A malformed record travels alone, inside a batch envelope
 * (so invalid JSON makes the whole body invalid), and never spoils a batch of good events.
 * Every record of a 2xx response is written to the acks file.
 */
export function createHttpSink(options: HttpSinkOptions): HttpSink {
  const endpoint = `${options.url.replace(/\/+$/, '')}/v1/batch`;
  const batchSize = options.batchSize ?? 20;
  const concurrency = options.concurrency ?? 4;
  const lingerMs = options.lingerMs ?? 200;
  const doFetch = options.fetch ?? fetch;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const stats: HttpSinkStats = {
    requests: 0,
    records: 0,
    acknowledged: 0,
    rejected: 0,
    rejectedMalformed: 0,
    acknowledgedMalformed: 0,
    failed: 0,
    statuses: {},
  };
  const acks: WriteStream | undefined =
    options.acksFile === undefined ? undefined : createWriteStream(options.acksFile);
  let acksFailure: Error | undefined;
  acks?.on('error', (error) => {
    acksFailure ??= error;
  });
  const batches = new Map<
    string,
    { records: SimulatedEvent[]; timer: NodeJS.Timeout | undefined }
  >();
  const inflight = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  const post = async (writeKey: string, body: string): Promise<{ status: number; text: string }> =>
    retry(
      async () => {
        let response: Response;
        let text: string;
        try {
          response = await doFetch(endpoint, {
            method: 'POST',
            headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
            body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          });
          text = await response.text();
        } catch (error) {
          // NOTE: fetch reports network failures as TypeError, which retry() would treat as a
          // bug and never retry; a refused or reset connection is weather, not a bug.
          throw new TransientError('collector_unreachable', `cannot reach ${endpoint}`, {
            cause: error,
          });
        }
        if (response.status >= 500 || response.status === 429) {
          const retryAfterMs = retryAfter(response.headers.get('retry-after'), clock.now());
          throw new TransientError(
            'collector_unavailable',
            `collector answered ${response.status}`,
            retryAfterMs === undefined ? {} : { details: { retryAfterMs } },
          );
        }
        return { status: response.status, text };
      },
      {
        retries: options.retries ?? 5,
        initialMs: 100,
        maxMs: 5_000,
        // A 429 or 503 that says when to come back is not retried sooner.
        minDelayMs: (error) => {
          const asked = error instanceof PathcastError ? error.details['retryAfterMs'] : undefined;
          return typeof asked === 'number' ? asked : 0;
        },
        ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      },
    );

  const send = async (writeKey: string, records: readonly SimulatedEvent[]): Promise<void> => {
    const now = clock.now();
    const sentAt = isoTime(now);
    const only = records[0];
    const raw = records.length === 1 && only !== undefined && typeof only.payload === 'string';
    const body = raw
      ? `{"batch":[${only.payload as string}],"sentAt":"${sentAt}"}`
      : JSON.stringify({ batch: records.map((r) => restamp(r, now)), sentAt });
    stats.requests++;
    stats.records += records.length;
    let result: { status: number; text: string };
    try {
      result = await post(writeKey, body);
    } catch (error) {
      stats.failed += records.length;
      logger.warn('simulator_http_failed', { records: records.length, err: error });
      return;
    }
    stats.statuses[result.status] = (stats.statuses[result.status] ?? 0) + 1;
    const acknowledged = result.status >= 200 && result.status < 300;
    const refused = acknowledged ? rejectedIndices(result.text) : undefined;
    let lines = '';
    records.forEach((record, index) => {
      const malformed = record.kind === 'malformed';
      if (acknowledged && refused?.has(index) !== true) {
        stats.acknowledged++;
        if (malformed) stats.acknowledgedMalformed++;
        lines += `${JSON.stringify({ messageId: record.messageId, status: result.status })}\n`;
      } else if (malformed) stats.rejectedMalformed++;
      else stats.rejected++;
    });
    if (!acknowledged && raw !== true) {
      logger.warn('simulator_batch_refused', {
        status: result.status,
        body: result.text.slice(0, 500),
      });
    }
    if (acks !== undefined && lines !== '' && !acks.write(lines)) {
      // NOTE: kept and rethrown by close(); a request promise must not reject unobserved.
      await once(acks, 'drain').catch((error: unknown) => {
        acksFailure ??= error instanceof Error ? error : new Error(String(error));
      });
    }
  };

  // Requests wait in `queue` until one of `concurrency` slots is free, whoever made them (a
  // full batch, the linger timer, a malformed record, close()), so the limit always holds.
  const queue: { writeKey: string; records: SimulatedEvent[] }[] = [];
  let waiters: (() => void)[] = [];
  const busy = (): boolean => queue.length > 0 || inflight.size >= concurrency;
  const pump = (): void => {
    while (inflight.size < concurrency) {
      const next = queue.shift();
      if (next === undefined) break;
      const request: Promise<void> = send(next.writeKey, next.records).finally(() => {
        inflight.delete(request);
        pump();
        if (!busy()) {
          const ready = waiters;
          waiters = [];
          for (const wake of ready) wake();
        }
      });
      inflight.add(request);
    }
  };
  const dispatch = (writeKey: string, records: SimulatedEvent[]): void => {
    queue.push({ writeKey, records });
    pump();
  };

  const flushKey = (writeKey: string): void => {
    const batch = batches.get(writeKey);
    if (batch === undefined) return;
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    batches.delete(writeKey);
    if (batch.records.length > 0) dispatch(writeKey, batch.records);
  };

  const waitForSlot = async (): Promise<void> => {
    while (busy()) await new Promise<void>((resolve) => waiters.push(resolve));
  };

  return {
    write(record) {
      if (closing !== undefined) throw new ValidationError('sink_closed', 'http sink is closed');
      const writeKey = options.writeKey ?? record.writeKey;
      if (record.kind === 'malformed') {
        dispatch(writeKey, [record]);
      } else {
        let batch = batches.get(writeKey);
        if (batch === undefined) {
          batch = { records: [], timer: undefined };
          batches.set(writeKey, batch);
          // Low rates (live timing) would otherwise hold events back until a batch fills.
          batch.timer = setTimeout(() => flushKey(writeKey), lingerMs);
        }
        batch.records.push(record);
        if (batch.records.length >= batchSize) flushKey(writeKey);
      }
      return busy() ? waitForSlot() : undefined;
    },
    close() {
      closing ??= (async () => {
        for (const key of [...batches.keys()]) flushKey(key);
        while (queue.length > 0 || inflight.size > 0) await Promise.allSettled([...inflight]);
        if (acks !== undefined) {
          acks.end();
          await finished(acks);
        }
        if (acksFailure !== undefined) throw acksFailure;
      })();
      return closing;
    },
    stats: () => stats,
  };
}
