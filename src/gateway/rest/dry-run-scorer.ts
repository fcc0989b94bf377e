import type { ClickEvent, Clock, Score, SessionOutput } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import {
  LIMITS,
  encodeEnvelope,
  mergeBatchContext,
  normalizeSegmentEvent,
  type EventProcessor,
} from '../../ingest/index.js';
import { PartitionSessionizer, type SessionizerOptions } from '../../sessionizer/index.js';
import { Scorer, type FeatureHasher, type ModelSnapshot } from '../../scoring/index.js';
import { readMessageId, removeIp, type GeoLookup } from '../collector/index.js';

/** One event of a scoring request that could not be scored, by index, with a stable code. */
export interface ScoreRejection {
  readonly index: number;
  readonly messageId: string | null;
  /** The collector's codes (schema_violation, missing_identity, ...) or enrichment_failed. */
  readonly code: string;
  readonly reason: string;
}

/** The score after one event of the request. */
export interface EventScore extends Score {
  /** Position of the event in the request. */
  readonly index: number;
  readonly messageId: string;
}

export interface DryRunResult {
  /** The score of the visitor's state after the last event (in event time). */
  readonly last: Score;
  /** True when the session looks like a bot's: the live pipeline does not score those. */
  readonly isBot: boolean;
  /** One score per event scored, in event-time order (resent messageIds score once). */
  readonly events: readonly EventScore[];
}

export type DryRunOutcome =
  | { readonly ok: true; readonly value: DryRunResult }
  | { readonly ok: false; readonly code: 'rejected'; readonly rejected: readonly ScoreRejection[] }
  | { readonly ok: false; readonly code: 'multiple_visitors'; readonly visitors: number };

export interface DryRunRequest {
  readonly site: SiteConfig;
  /** Segment events, as posted (already bounded in number and bytes by the caller). */
  readonly events: readonly unknown[];
  /** Batch-level sentAt and context, as /v1/batch takes them. */
  readonly sentAt: unknown;
  readonly context: Record<string, unknown> | undefined;
  readonly clientIp: string;
  /** The model to score with (the live one). */
  readonly model: ModelSnapshot;
}

export interface DryRunDeps {
  /** The pipeline's event processor (validation and enrichment). */
  readonly processor: EventProcessor;
  readonly hasher: FeatureHasher;
  readonly geo: GeoLookup;
  readonly clock: Clock;
  /** The live sessionizer's options, so sessions are cut the same way. */
  readonly sessionizer?: SessionizerOptions;
}

// Bytes the envelope adds around the event: the collector's bound (accept.ts), kept the same.
const ENVELOPE_OVERHEAD = 200;

/**
 * Scores posted events the way the live pipeline would, and keeps nothing: each event is
 * validated and enriched by the pipeline's processor, sessionized by a sessionizer made for this
 * call alone, and every session update is scored with `model`. Nothing is written to the log or
 * to storage and no live state (sessions, model, score feed) is read or changed, so the same
 * request gives the same answer every time (for a given model).
 *
 * Events are taken in event-time order (stable for equal times), so an out-of-order list scores
 * as the in-order one: no event is late to a sessionizer that has seen only this request.
 */
export function dryRunScore(request: DryRunRequest, deps: DryRunDeps): DryRunOutcome {
  const receivedAt = deps.clock.now();
  const rejected: ScoreRejection[] = [];
  const accepted: Array<{ index: number; event: ClickEvent }> = [];

  request.events.forEach((raw, index) => {
    const event = withBatchContext(raw, request.context);
    const messageId = readMessageId(event);
    const normalized = normalizeSegmentEvent(event, {
      site: request.site.id,
      receivedAt,
      sentAt: request.sentAt,
    });
    if (!normalized.ok) {
      rejected.push({ index, messageId, code: normalized.code, reason: normalized.reason });
      return;
    }
    const { country, ipPrefix } = deps.geo(normalized.value.inputs.ip || request.clientIp);
    removeIp(event);
    const value = encodeEnvelope({
      v: 1,
      site: request.site.id,
      receivedAt,
      sentAt: typeof request.sentAt === 'string' ? request.sentAt : null,
      country,
      ipPrefix,
      event,
    });
    const bytes = Buffer.byteLength(value) - ENVELOPE_OVERHEAD;
    if (bytes > LIMITS.eventBytes) {
      const reason = `the event is ${bytes} bytes; the limit is ${LIMITS.eventBytes}`;
      rejected.push({ index, messageId, code: 'event_too_large', reason });
      return;
    }
    // One version 1 envelope in, one outcome out.
    const [outcome] = deps.processor({ topic: 'score', partition: 0, offset: index, value });
    if (outcome === undefined) throw new Error('a version 1 envelope gives exactly one outcome');
    if (!outcome.ok) {
      const { reason, message } = outcome.failed;
      rejected.push({ index, messageId, code: reason, reason: message });
      return;
    }
    accepted.push({ index, event: outcome.value });
  });
  if (rejected.length > 0) return { ok: false, code: 'rejected', rejected };

  const visitors = new Set(accepted.map((item) => item.event.visitor));
  if (visitors.size > 1) return { ok: false, code: 'multiple_visitors', visitors: visitors.size };

  accepted.sort((a, b) => a.event.timestamp - b.event.timestamp || a.index - b.index);
  const outputs: SessionOutput[] = [];
  const sessionizer = new PartitionSessionizer(deps.sessionizer, {
    sink: {
      session: (output) => outputs.push(output),
      // Unreachable in time order (nothing is late); and nothing is stored from here anyway.
      failed: () => undefined,
      identity: () => undefined,
    },
  });
  const scorer = new Scorer(deps.hasher, request.model);
  const events: EventScore[] = [];
  let last: Score | undefined;
  let isBot = false;
  for (const { index, event } of accepted) {
    outputs.length = 0;
    sessionizer.process(event, receivedAt);
    for (const output of outputs) {
      if (output.kind !== 'update' || output.event !== event) continue;
      last = scorer.score(output);
      isBot = output.session.isBot;
      events.push({ ...last, index, messageId: event.id });
    }
  }
  // The caller refuses an empty request, and a fresh sessionizer always accepts its first event.
  if (last === undefined) throw new Error('a scoring request produced no session update');
  return { ok: true, value: { last, isBot, events } };
}

/** The event with the batch-level context merged under its own (as the collector does). */
function withBatchContext(raw: unknown, context: Record<string, unknown> | undefined): unknown {
  if (context !== undefined) mergeBatchContext(raw, context);
  return raw;
}
