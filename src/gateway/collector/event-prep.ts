import { LIMITS } from '../../ingest/index.js';

/**
 * The steps every entry point applies to a raw Segment event before validation (the collector
 * and the REST scorer alike), so both read events the same way.
 */

/** The batch-level context merged under the event's own (the event's fields win). */
export function mergeContext(
  event: Record<string, unknown>,
  context: Readonly<Record<string, unknown>>,
): void {
  const own = event['context'];
  event['context'] =
    typeof own === 'object' && own !== null && !Array.isArray(own)
      ? { ...context, ...(own as Record<string, unknown>) }
      : { ...context };
}

/** The raw IP goes no further than the geo lookup. */
export function removeIp(event: unknown): void {
  const context = (event as { context?: unknown }).context;
  if (typeof context === 'object' && context !== null && 'ip' in context) {
    delete (context as Record<string, unknown>)['ip'];
  }
}

/** The event's messageId as a failed event records it (cut to the id limit), or null. */
export function readMessageId(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as { messageId?: unknown }).messageId;
  return typeof id === 'string' && id !== '' ? id.slice(0, LIMITS.idChars) : null;
}
