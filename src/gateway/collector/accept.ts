import type { Clock } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import {
  LIMITS,
  encodeEnvelope,
  failedEvent,
  checkSegmentEvent,
  visitorKey,
  type EventRejection,
  type FailedEvent,
} from '../../ingest/index.js';
import { mergeContext, readMessageId, removeIp } from './event-prep.js';

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
  /** Records for the events topic. */
  readonly records: Array<{ key: string; value: string }>;
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
  readonly geo: GeoLookup;
  readonly clock: Clock;
}

// Bytes the envelope adds around the event: everything but the event's own JSON.
const ENVELOPE_OVERHEAD = 200;

/**
 * Validates a request's events one by one: each is either turned into a log record or into a
 * failed event with its reason. Nothing is dropped: the caller writes both lists, then answers.
 */
export function acceptEvents(events: readonly unknown[], ctx: AcceptContext): AcceptedBatch {
  const receivedAt = ctx.clock.now();
  const records: Array<{ key: string; value: string }> = [];
  const failed: FailedEvent[] = [];
  const rejected: Rejection[] = [];
  const reject = (index: number, raw: unknown, code: CollectorRejection, reason: string): void => {
    const messageId = readMessageId(raw);
    rejected.push({ index, messageId, code, reason });
    failed.push(
      failedEvent({
        reason: code,
        message: reason,
        stage: 'collector',
        site: ctx.site.id,
        payload: raw,
        id: messageId,
        failedAt: receivedAt,
      }),
    );
  };

  events.forEach((raw, index) => {
    const event = prepare(raw, ctx);
    const checked = checkSegmentEvent(event, {
      site: ctx.site.id,
      receivedAt,
      sentAt: ctx.sentAt,
    });
    if (!checked.ok) {
      reject(index, event, checked.code, checked.reason);
      return;
    }
    const ip = checked.value.ip || ctx.clientIp;
    const { country, ipPrefix } = ctx.geo(ip);
    removeIp(event);
    const value = encodeEnvelope({
      v: 1,
      site: ctx.site.id,
      receivedAt,
      sentAt: typeof ctx.sentAt === 'string' ? ctx.sentAt : null,
      country,
      ipPrefix,
      event,
    });
    // The envelope holds the event's JSON once; its length bounds the event's size.
    if (value.length > LIMITS.eventBytes) {
      const bytes = Buffer.byteLength(value) - ENVELOPE_OVERHEAD;
      if (bytes > LIMITS.eventBytes) {
        reject(
          index,
          event,
          'event_too_large',
          `the event is ${bytes} bytes; the limit is ${LIMITS.eventBytes}`,
        );
        return;
      }
    }
    records.push({ key: visitorKey(ctx.site.id, checked.value.visitor), value });
  });
  return { records, failed, rejected };
}

function prepare(raw: unknown, ctx: AcceptContext): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const event = raw as Record<string, unknown>;
  if (ctx.forcedType !== undefined) event['type'] = ctx.forcedType;
  if (ctx.context !== undefined) mergeContext(event, ctx.context);
  return event;
}
