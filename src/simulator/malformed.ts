import type { Random } from './prng.js';

/**
 * Raw records a collector must refuse with a reason (QUALITY.md, bad input). Each carries a
 * messageId somewhere in its text so a failed-event row can be matched to the truth.
 */
export const MALFORMED_KINDS = ['invalid_json', 'wrong_types', 'missing_ids', 'oversize'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Bigger than the 32 KB event limit once serialised. */
export const OVERSIZE_BYTES = 40 * 1024;

export interface MalformedRecord {
  readonly kind: MalformedKind;
  readonly messageId: string;
  readonly text: string;
}

export function malformedRecord(
  random: Random,
  anonymousId: string,
  timestamp: string,
): MalformedRecord {
  const kind = random.pick(MALFORMED_KINDS);
  const messageId = random.uuid();
  switch (kind) {
    case 'invalid_json': {
      const full = JSON.stringify({
        type: 'track',
        messageId,
        anonymousId,
        event: 'Product Viewed',
        properties: { product_id: 10_000 + random.int(90_000) },
        timestamp,
      });
      // Any proper prefix of a JSON object is invalid JSON: the outer brace never closes. Cut
      // after the messageId so the id is still readable in the failed event's payload.
      const after = full.indexOf(messageId) + messageId.length + 1;
      const cut = after + random.int(Math.max(1, full.length - 1 - after));
      return { kind, messageId, text: full.slice(0, cut) };
    }
    case 'wrong_types':
      return {
        kind,
        messageId,
        text: JSON.stringify({
          type: 'track',
          messageId,
          anonymousId,
          event: 12345,
          properties: 'not-an-object',
          context: [],
          timestamp: 1_700_000_000_000,
        }),
      };
    case 'missing_ids':
      return {
        kind,
        messageId,
        text: JSON.stringify({
          type: 'page',
          messageId,
          name: 'Home',
          properties: { path: '/' },
          timestamp,
        }),
      };
    case 'oversize':
      return {
        kind,
        messageId,
        text: JSON.stringify({
          type: 'track',
          messageId,
          anonymousId,
          event: 'Debug Dump',
          properties: { blob: 'x'.repeat(OVERSIZE_BYTES) },
          timestamp,
        }),
      };
  }
}
