import { createHash } from 'node:crypto';
import { fail, ok, type ClickEvent, type EventType, type Result } from '../../core/index.js';
import { schemaError } from './schema.js';
import { resolveEventTime } from './time.js';

/** Why an event was refused; stable codes shared by the collector and the processor. */
export type EventRejection = 'schema_violation' | 'missing_identity' | 'invalid_timestamp';

/** What enrichment still needs to read; never stored as such. */
export interface EnrichmentInputs {
  readonly userAgent: string;
  readonly ip: string;
  readonly campaign: Readonly<Record<string, unknown>> | undefined;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** The fields of a ClickEvent that come from the event itself (the rest are enrichment). */
export type BaseEvent = Pick<
  ClickEvent,
  | 'id'
  | 'site'
  | 'type'
  | 'name'
  | 'visitor'
  | 'anonymousId'
  | 'userId'
  | 'previousId'
  | 'groupId'
  | 'timestamp'
  | 'receivedAt'
  | 'sentAt'
  | 'clockSkewMs'
  | 'futureClamped'
  | 'url'
  | 'referrer'
  | 'title'
  | 'properties'
>;

export interface NormalizedEvent {
  readonly base: BaseEvent;
  readonly inputs: EnrichmentInputs;
}

export interface NormalizeMeta {
  readonly site: string;
  readonly receivedAt: number;
  /** Batch-level sentAt, for events that carry none of their own. */
  readonly sentAt?: unknown;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

const asString = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

const asId = (value: unknown): string | null => {
  const text = asString(value);
  return text === '' ? null : text;
};

/**
 * Maps one Segment event onto the fields of a ClickEvent that the event itself determines. Never
 * throws: anything wrong is a failure with a stable code and a reason naming the field.
 */
export function normalizeSegmentEvent(
  raw: unknown,
  meta: NormalizeMeta,
): Result<NormalizedEvent, EventRejection> {
  const problem = schemaError(raw);
  if (problem !== null) return fail('schema_violation', problem);
  const event = raw as Json;
  const type = event['type'] as EventType;

  const anonymousId = asId(event['anonymousId']);
  const userId = asId(event['userId']);
  if (anonymousId === null && userId === null) {
    return fail('missing_identity', 'an event needs an anonymousId or a userId');
  }

  const time = resolveEventTime(
    {
      timestamp: event['timestamp'],
      originalTimestamp: event['originalTimestamp'],
      sentAt: event['sentAt'] ?? meta.sentAt,
    },
    meta.receivedAt,
  );
  if (!time.ok) return time;

  const context = asObject(event['context']);
  const page = asObject(context['page']);
  const properties = asObject(
    type === 'identify' || type === 'group' ? event['traits'] : event['properties'],
  );
  const name =
    type === 'track'
      ? asString(event['event'])
      : type === 'page' || type === 'screen'
        ? asString(event['name'])
        : '';

  return ok({
    base: {
      id: asId(event['messageId']) ?? deriveMessageId(meta.site, event),
      site: meta.site,
      type,
      name,
      visitor: anonymousId ?? `user:${userId ?? ''}`,
      anonymousId,
      userId,
      previousId: asId(event['previousId']),
      groupId: asId(event['groupId']),
      timestamp: time.value.timestamp,
      receivedAt: meta.receivedAt,
      sentAt: time.value.sentAt,
      clockSkewMs: time.value.clockSkewMs,
      futureClamped: time.value.futureClamped,
      url: asString(page['url']) || asString(properties['url']),
      referrer: asString(page['referrer']) || asString(properties['referrer']),
      title: asString(page['title']) || asString(properties['title']),
      properties: JSON.stringify(properties),
    },
    inputs: {
      userAgent: asString(context['userAgent']),
      ip: asString(context['ip']),
      campaign: context['campaign'] === undefined ? undefined : asObject(context['campaign']),
      properties,
    },
  });
}

/**
 * An event sent without a messageId gets one derived from its content, so a client that resends
 * the same bytes is de-duplicated like one that sent an id.
 */
export function deriveMessageId(site: string, event: Readonly<Json>): string {
  const digest = createHash('sha256').update(site).update('\u0000').update(JSON.stringify(event));
  return `gen-${digest.digest('hex').slice(0, 32)}`;
}
