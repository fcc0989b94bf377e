import { createHash } from 'node:crypto';
import { VERSION, counter } from '../../core/index.js';

/**
 * Why an event could not be accepted or processed, after Snowplow's failed-event types:
 * the code says which contract broke, so failed events can be counted, browsed and replayed
 * by kind.
 */
export const FAILURE_REASONS = [
  /** Not JSON, or not the Segment envelope/shape at all (Snowplow: tracker protocol violation). */
  'invalid_json',
  /** JSON of the wrong shape for its event type (Snowplow: schema violation). */
  'schema_violation',
  /** Neither anonymousId nor userId. */
  'missing_identity',
  /** Unreadable or absurd event time. */
  'invalid_timestamp',
  /** Over 32 KB (Snowplow: size violation). */
  'event_too_large',
  /** An enrichment step failed (Snowplow: enrichment failure). */
  'enrichment_failed',
  /** A record in the log that cannot be decoded at all (Snowplow: adapter failure). */
  'poison_message',
  /** Arrived after the allowed lateness of its session window. */
  'late',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type FailureStage = 'collector' | 'processor' | 'sessionizer';

export interface FailedEvent {
  /** The event's id when it could be read, else a hash of the payload. */
  readonly id: string;
  readonly site: string;
  readonly reason: FailureReason;
  /** Human-readable detail, e.g. the field that broke the schema. */
  readonly message: string;
  readonly stage: FailureStage;
  readonly processorVersion: string;
  /** Size of the original payload, bytes. */
  readonly size: number;
  /** The payload, truncated to PAYLOAD_LIMIT characters; raw IPs removed where recognisable. */
  readonly payload: string;
  readonly failedAt: number;
  /** Where it was read from, for a poison message. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** How much of a failed payload is kept: enough to see what went wrong, bounded in size. */
export const PAYLOAD_LIMIT = 8 * 1024;

const failedTotal = counter(
  'pathcast_failed_events_total',
  'Events that failed, by reason and stage',
  ['reason', 'stage'],
);

export interface FailureInput {
  readonly reason: FailureReason;
  readonly message: string;
  readonly stage: FailureStage;
  readonly site: string;
  /** The payload as text (already serialised) or as a value to serialise. */
  readonly payload: string | unknown;
  readonly id?: string | null;
  readonly failedAt: number;
  readonly source?: { readonly topic: string; readonly partition: number; readonly offset: number };
}

/** Builds the stored failed event and counts it; the caller writes it to the failed-events log. */
export function failedEvent(input: FailureInput): FailedEvent {
  const text = typeof input.payload === 'string' ? input.payload : safeStringify(input.payload);
  failedTotal.inc({ reason: input.reason, stage: input.stage });
  const id =
    input.id !== undefined && input.id !== null && input.id !== ''
      ? input.id
      : `failed-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
  return {
    id,
    site: input.site,
    reason: input.reason,
    message: input.message,
    stage: input.stage,
    processorVersion: VERSION,
    size: Buffer.byteLength(text),
    payload: redactIps(text.length > PAYLOAD_LIMIT ? text.slice(0, PAYLOAD_LIMIT) : text),
    failedAt: input.failedAt,
    topic: input.source?.topic ?? '',
    partition: input.source?.partition ?? -1,
    offset: input.source?.offset ?? -1,
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// NOTE: a failed event keeps its payload for debugging, but a raw IP is never stored: the
// `"ip":"..."` member Segment clients put in `context` is blanked.
const IP_MEMBER = /("ip"\s*:\s*)"[^"]*"/g;

function redactIps(text: string): string {
  return text.includes('"ip"') ? text.replace(IP_MEMBER, '$1""') : text;
}
