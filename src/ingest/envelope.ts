import { fail, ok, type Result } from '../core/index.js';

/**
 * What travels on the events topic: the Segment event as the collector accepted it, plus what
 * only the collector knows. Producers that write to Kafka directly use the same shape.
 *
 * NOTE: the raw client IP never enters the log when the collector is the producer: it resolves
 * the country and keeps only the truncated prefix, and removes `context.ip` from the event.
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

export function encodeEnvelope(envelope: RawEnvelope): string {
  return JSON.stringify(envelope);
}

/** Decodes a record of the events topic; anything else is a poison message, never a crash. */
export function decodeEnvelope(value: Buffer | string): Result<RawEnvelope, 'poison_message'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return fail('poison_message', `not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('poison_message', 'not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  if (record['v'] !== 1)
    return fail('poison_message', `unknown envelope version ${String(record['v'])}`);
  const site = record['site'];
  const receivedAt = record['receivedAt'];
  if (typeof site !== 'string' || site === '')
    return fail('poison_message', 'envelope without site');
  if (typeof receivedAt !== 'number' || !Number.isFinite(receivedAt)) {
    return fail('poison_message', 'envelope without a numeric receivedAt');
  }
  if (!('event' in record)) return fail('poison_message', 'envelope without event');
  const sentAt = record['sentAt'];
  return ok({
    v: 1,
    site,
    receivedAt,
    sentAt: typeof sentAt === 'string' ? sentAt : null,
    country: typeof record['country'] === 'string' ? record['country'] : '',
    ipPrefix: typeof record['ipPrefix'] === 'string' ? record['ipPrefix'] : '',
    event: record['event'],
  });
}
