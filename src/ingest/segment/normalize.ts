import { createHash } from 'node:crypto';
import { fail, ok, type ClickEvent, type EventType, type Result } from '../../core/index.js';
import { schemaError } from './schema.js';
import { resolveEventTime, type EventTime } from './time.js';

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

/** What the collector needs of a valid event: where it goes and which IP to locate. */
export interface CheckedEvent {
  /** The visitor the event belongs to (anonymousId, else `user:<userId>`). */
  readonly visitor: string;
  /** `context.ip` as sent, or ''. */
  readonly ip: string;
}

interface Validated {
  readonly event: Json;
  readonly type: EventType;
  readonly anonymousId: string | null;
  readonly userId: string | null;
  readonly time: EventTime;
  readonly context: Json;
}

/** Schema, identity and time: every check an event must pass, with nothing built for storage. */
function validate(raw: unknown, meta: NormalizeMeta): Result<Validated, EventRejection> {
  const problem = schemaError(raw);
  if (problem !== null) return fail('schema_violation', problem);
  const event = raw as Json;
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
  return ok({
    event,
    type: event['type'] as EventType,
    anonymousId,
    userId,
    time: time.value,
    context: asObject(event['context']),
  });
}

const visitorOf = (anonymousId: string | null, userId: string | null): string =>
  anonymousId ?? `user:${userId ?? ''}`;

/**
 * The checks of {@link normalizeSegmentEvent} without building the event's fields: the
 * collector refuses exactly what the processor would, at a fraction of the cost.
 */
export function checkSegmentEvent(
  raw: unknown,
  meta: NormalizeMeta,
): Result<CheckedEvent, EventRejection> {
  const valid = validate(raw, meta);
  if (!valid.ok) return valid;
  const { anonymousId, userId, context } = valid.value;
  return ok({ visitor: visitorOf(anonymousId, userId), ip: asString(context['ip']) });
}

/**
 * Maps one Segment event onto the fields of a ClickEvent that the event itself determines. Never
 * throws: anything wrong is a failure with a stable code and a reason naming the field.
 */
export function normalizeSegmentEvent(
  raw: unknown,
  meta: NormalizeMeta,
): Result<NormalizedEvent, EventRejection> {
  const valid = validate(raw, meta);
  if (!valid.ok) return valid;
  const { event, type, anonymousId, userId, time, context } = valid.value;
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
      visitor: visitorOf(anonymousId, userId),
      anonymousId,
      userId,
      previousId: asId(event['previousId']),
      groupId: asId(event['groupId']),
      timestamp: time.timestamp,
      receivedAt: meta.receivedAt,
      sentAt: time.sentAt,
      clockSkewMs: time.clockSkewMs,
      futureClamped: time.futureClamped,
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
