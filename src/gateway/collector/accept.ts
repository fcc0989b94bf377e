import type { Clock } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import {
  LIMITS,
  encodeBatchEnvelope,
  encodeEnvelope,
  encodeEventEnvelope,
  failedEvent,
  checkSegmentEvent,
  mergeBatchContext,
  visitorKey,
  type EventRejection,
  type FailedEvent,
} from '../../ingest/index.js';
import type { CompactEvent } from './compact-batch.js';
import { hasIpField, readMessageId, removeIp } from './event-prep.js';

/** Why the collector refused one event of a request. */
export type CollectorRejection = EventRejection | 'event_too_large';

export interface GeoLookup {
  /** Country and truncated prefix of an IP; the raw IP goes no further. */
  (ip: string): { readonly country: string; readonly ipPrefix: string };
}

export interface Rejection {
  readonly index: number;
  readonly messageId: string | null;
  readonly code: CollectorRejection;
  readonly reason: string;
}

export interface AcceptedBatch {
  /** Records for the events topic: one per event, or one for the whole batch. */
  readonly records: Array<{ key: string; value: string }>;
  /** Events accepted (in the records). */
  readonly accepted: number;
  /** Failed events for the failed-events topic (one per rejection). */
  readonly failed: FailedEvent[];
  readonly rejected: Rejection[];
}

export interface AcceptContext {
  readonly site: SiteConfig;
  readonly clientIp: string;
  /** Batch-level sentAt. */
  readonly sentAt: unknown;
  /** Batch-level context, merged under each event's own. */
  readonly context: Record<string, unknown> | undefined;
  /** For the single-event endpoints: the type the route implies. */
  readonly forcedType: string | undefined;
  /**
   * A batch request's body as received (its JSON text and size in bytes): see acceptEvents for
   * when it is logged as is. Undefined for the single-event endpoints.
   */
  readonly body: { readonly text: string; readonly bytes: number } | undefined;
  readonly geo: GeoLookup;
  readonly clock: Clock;
}

// Bytes the envelope adds around the event: everything but the event's own JSON.
const ENVELOPE_OVERHEAD = 200;

/** An event that passed validation, waiting to be written. */
interface Passed {
  readonly index: number;
  readonly event: unknown;
  readonly visitor: string;
  readonly ip: string;
  /** Whether `context.ip` is there at all (an IP in any shape keeps the body out of the log). */
  readonly ipField: boolean;
}

/**
 * Validates a request's events one by one: each is either turned into a log record or into a
 * failed event with its reason. Nothing is dropped: the caller writes both lists, then answers.
 *
 * Records: when every event of a batch request is valid, all belong to one visitor (a browser's
 * batch), none carries an IP (nor the batch context) and the body is within the one-event size
 * limit, the body is logged as it came, in one record (encodeBatchEnvelope): the processor reads
 * exactly these events from it. Otherwise each event is its own record, its IP removed.
 */
export function acceptEvents(events: readonly unknown[], ctx: AcceptContext): AcceptedBatch {
  const receivedAt = ctx.clock.now();
  const out: Refused = { site: ctx.site.id, receivedAt, failed: [], rejected: [] };
  const { failed, rejected } = out;
  const sentAt = typeof ctx.sentAt === 'string' ? ctx.sentAt : null;

  const passed: Passed[] = [];
  const meta = { site: ctx.site.id, receivedAt, sentAt: ctx.sentAt };
  for (let index = 0; index < events.length; index++) {
    const event = prepare(events[index], ctx);
    const checked = checkSegmentEvent(event, meta);
    if (!checked.ok) {
      refuse(out, index, event, checked.code, checked.reason);
      continue;
    }
    const { visitor, ip } = checked.value;
    passed.push({ index, event, visitor, ip, ipField: hasIpField(event) });
  }

  const body = ctx.body;
  const first = passed[0];
  if (body !== undefined && first !== undefined && asOneRecord(passed, rejected, body.bytes)) {
    const record = bodyRecord(ctx, first.visitor, receivedAt, body.text);
    return { records: [record], accepted: passed.length, failed, rejected };
  }

  const records: Array<{ key: string; value: string }> = [];
  const checkedRejections = rejected.length;
  for (const { index, event, visitor, ip } of passed) {
    const { country, ipPrefix } = ctx.geo(ip || ctx.clientIp);
    removeIp(event);
    const value = encodeEnvelope({
      v: 1,
      site: ctx.site.id,
      receivedAt,
      sentAt,
      country,
      ipPrefix,
      event,
    });
    // The envelope holds the event's JSON once; its length bounds the event's size.
    if (value.length > LIMITS.eventBytes) {
      const bytes = Buffer.byteLength(value) - ENVELOPE_OVERHEAD;
      if (bytes > LIMITS.eventBytes) {
        const reason = `the event is ${bytes} bytes; the limit is ${LIMITS.eventBytes}`;
        refuse(out, index, event, 'event_too_large', reason);
        continue;
      }
    }
    records.push({ key: visitorKey(ctx.site.id, visitor), value });
  }
  if (rejected.length > checkedRejections) inIndexOrder(rejected, failed);
  return { records, accepted: records.length, failed, rejected };
}

/**
 * A batch body logged as it came, in one record (see acceptEvents): keyed by its one visitor,
 * located by the connection's IP.
 */
export function bodyRecord(
  ctx: Pick<AcceptContext, 'site' | 'clientIp' | 'geo'>,
  visitor: string,
  receivedAt: number,
  text: string,
): { key: string; value: string } {
  const { country, ipPrefix } = ctx.geo(ctx.clientIp);
  const meta = { site: ctx.site.id, receivedAt, country, ipPrefix };
  return { key: visitorKey(ctx.site.id, visitor), value: encodeBatchEnvelope(meta, text) };
}

/**
 * The records of a batch read as text event by event (compact-batch.ts): what acceptEvents
 * writes for the same events, or undefined when one is over the size limit (the general path
 * then refuses that one by name).
 */
export function eventRecords(
  ctx: Pick<AcceptContext, 'site' | 'clientIp' | 'geo'>,
  receivedAt: number,
  sentAt: string | null,
  events: readonly CompactEvent[],
): Array<{ key: string; value: string }> | undefined {
  const records: Array<{ key: string; value: string }> = [];
  for (const event of events) {
    const { country, ipPrefix } = ctx.geo(event.ip || ctx.clientIp);
    const meta = { site: ctx.site.id, receivedAt, sentAt, country, ipPrefix };
    const value = encodeEventEnvelope(meta, event.json);
    if (value.length > LIMITS.eventBytes) return undefined;
    records.push({ key: visitorKey(ctx.site.id, event.visitor), value });
  }
  return records;
}

/** Rejections (and their failed events, pairwise) in the order of the events in the request. */
function inIndexOrder(rejected: Rejection[], failed: FailedEvent[]): void {
  const order = rejected.map((_, i) => i).sort((a, b) => rejected[a]!.index - rejected[b]!.index);
  const pairs = order.map((i) => [rejected[i]!, failed[i]!] as const);
  pairs.forEach(([rejection, event], i) => {
    rejected[i] = rejection;
    failed[i] = event;
  });
}

/** The refusals of one request, and what every failed event of it shares. */
interface Refused {
  readonly site: string;
  readonly receivedAt: number;
  readonly failed: FailedEvent[];
  readonly rejected: Rejection[];
}

/** One refused event: its rejection for the answer, its failed event for the log. */
function refuse(
  out: Refused,
  index: number,
  raw: unknown,
  code: CollectorRejection,
  reason: string,
): void {
  const messageId = readMessageId(raw);
  out.rejected.push({ index, messageId, code, reason });
  out.failed.push(
    failedEvent({
      reason: code,
      message: reason,
      stage: 'collector',
      site: out.site,
      payload: raw,
      id: messageId,
      failedAt: out.receivedAt,
    }),
  );
}

/** Whether a batch can be logged as its body (see acceptEvents). */
function asOneRecord(passed: readonly Passed[], rejected: readonly Rejection[], bytes: number) {
  if (rejected.length > 0 || bytes > LIMITS.eventBytes) return false;
  const visitor = passed[0]?.visitor;
  for (const item of passed) {
    if (item.ipField || item.visitor !== visitor) return false;
  }
  return true;
}

function prepare(raw: unknown, ctx: AcceptContext): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const event = raw as Record<string, unknown>;
  if (ctx.forcedType !== undefined) event['type'] = ctx.forcedType;
  if (ctx.context !== undefined) mergeBatchContext(event, ctx.context);
  return event;
}
