import { fail, ok, type Result } from '../core/index.js';
import { recordText } from './log/event-log.js';
import { mergeBatchContext } from './segment/batch-context.js';

/**
 * What travels on the events topic. A record holds one event (version 1) or one request's
 * batch of one visitor's events (version 2); both carry what only the collector knows.
 * Producers that write to Kafka directly use either shape.
 *
 * NOTE: the raw client IP never enters the log when the collector is the producer: it resolves
 * the country and keeps only the truncated prefix. Version 1 events have `context.ip` removed;
 * the collector writes version 2 only when no event (nor the batch context) carries an IP.
 */
export interface RawEnvelope {
  /** Envelope version. */
  readonly v: 1;
  readonly site: string;
  /** When the collector received the event, ms. */
  readonly receivedAt: number;
  /** Batch-level sentAt, for events without their own. */
  readonly sentAt: string | null;
  /** Country from the IP, or '' (then the processor may resolve `context.ip`). */
  readonly country: string;
  /** Truncated IP, or ''. */
  readonly ipPrefix: string;
  /** The Segment event. */
  readonly event: unknown;
}

/** What the collector knows of a request, for a version 2 record. */
export interface BatchEnvelopeMeta {
  readonly site: string;
  readonly receivedAt: number;
  readonly country: string;
  readonly ipPrefix: string;
}

export function encodeEnvelope(envelope: RawEnvelope): string {
  return JSON.stringify(envelope);
}

/** What the collector knows of one event, for a version 1 record. */
export interface EventEnvelopeMeta extends BatchEnvelopeMeta {
  readonly sentAt: string | null;
}

/**
 * A version 1 record with the event as JSON text: exactly what encodeEnvelope writes for the
 * event that text is JSON.stringify's writing of. The collector passes event text it has read
 * and checked as such, sparing a JSON.parse and a JSON.stringify per event.
 */
export function encodeEventEnvelope(meta: EventEnvelopeMeta, eventJson: string): string {
  return (
    `{"v":1,"site":${JSON.stringify(meta.site)},"receivedAt":${meta.receivedAt},` +
    `"sentAt":${JSON.stringify(meta.sentAt)},"country":${JSON.stringify(meta.country)},` +
    `"ipPrefix":${JSON.stringify(meta.ipPrefix)},"event":${eventJson}}`
  );
}

/**
 * A version 2 record: `{"v":2, site, receivedAt, country, ipPrefix, "body": <the request body>}`,
 * the body being a Segment batch request (`batch`, and optionally `sentAt` and `context`) as the
 * client sent it. The body's text is embedded as is, so it must be one JSON object; the collector
 * passes the text it has just parsed as such. Writing the body once instead of each event
 * spares the per-event JSON.stringify, the dearest step of the collector.
 */
export function encodeBatchEnvelope(meta: BatchEnvelopeMeta, bodyJson: string): string {
  return (
    `{"v":2,"site":${JSON.stringify(meta.site)},"receivedAt":${meta.receivedAt},` +
    `"country":${JSON.stringify(meta.country)},"ipPrefix":${JSON.stringify(meta.ipPrefix)},` +
    `"body":${bodyJson}}`
  );
}

/**
 * Decodes a record of the events topic into its events, each as a version 1 envelope (a
 * version 2 record's batch context merged under each event's own, as the collector read it).
 * Anything else is a poison message, never a crash.
 */
export function decodeEnvelopes(value: Buffer | string): Result<RawEnvelope[], 'poison_message'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(recordText(value));
  } catch (error) {
    return fail('poison_message', `not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('poison_message', 'not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const version = record['v'];
  if (version !== 1 && version !== 2) {
    return fail('poison_message', `unknown envelope version ${String(version)}`);
  }
  const site = record['site'];
  const receivedAt = record['receivedAt'];
  if (typeof site !== 'string' || site === '')
    return fail('poison_message', 'envelope without site');
  if (typeof receivedAt !== 'number' || !Number.isFinite(receivedAt)) {
    return fail('poison_message', 'envelope without a numeric receivedAt');
  }
  const country = typeof record['country'] === 'string' ? record['country'] : '';
  const ipPrefix = typeof record['ipPrefix'] === 'string' ? record['ipPrefix'] : '';
  if (version === 1) {
    if (!('event' in record)) return fail('poison_message', 'envelope without event');
    const sentAt = record['sentAt'];
    const event = record['event'];
    const sent = typeof sentAt === 'string' ? sentAt : null;
    return ok([{ v: 1, site, receivedAt, sentAt: sent, country, ipPrefix, event }]);
  }
  const body = record['body'];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('poison_message', 'version 2 envelope without a body object');
  }
  const fields = body as Record<string, unknown>;
  const batch = fields['batch'];
  if (!Array.isArray(batch)) return fail('poison_message', 'version 2 body without a batch array');
  const sentAt = typeof fields['sentAt'] === 'string' ? fields['sentAt'] : null;
  const context = fields['context'];
  const shared =
    typeof context === 'object' && context !== null && !Array.isArray(context)
      ? (context as Record<string, unknown>)
      : undefined;
  const envelopes: RawEnvelope[] = [];
  for (const event of batch as unknown[]) {
    if (shared !== undefined) mergeBatchContext(event, shared);
    envelopes.push({ v: 1, site, receivedAt, sentAt, country, ipPrefix, event });
  }
  return ok(envelopes);
}
