import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { FIELD_LIMITS, LIMITS } from './limits.js';

/**
 * The Segment spec (https://segment.com/docs/connections/spec/) as TypeBox schemas. Only what
 * Pathcast reads is constrained; other fields pass through (`additionalProperties` allowed), as
 * Segment's own API accepts them.
 *
 * NOTE: the collector's reader of compact batches (gateway/collector/compact-batch.ts) applies
 * these checks without JSON.parse; a change here needs the same change there (its differential
 * test compares the two on edited events).
 */

const Id = Type.String({ minLength: 1, maxLength: LIMITS.idChars });
/** Segment SDKs send ids as strings; some server SDKs send numbers. Both are accepted. */
const IdLike = Type.Union([Id, Type.Number()]);
const Time = Type.String({ minLength: 1, maxLength: FIELD_LIMITS.timeChars });
/**
 * Any JSON object (not an array, not null): context, properties, traits, integrations.
 *
 * NOTE: not `Type.Record(Type.String(), Type.Unknown())`, which accepts exactly the same values
 * but tests every key against a pattern: measured here, 1 us against 0.09 us for a tracker's
 * context, and the collector checks two or three such objects an event.
 */
const Props = Type.Unsafe<Record<string, unknown>>(Type.Object({}));

const Common = {
  messageId: Type.Optional(Type.String({ maxLength: LIMITS.idChars })),
  anonymousId: Type.Optional(Type.Union([IdLike, Type.Null()])),
  userId: Type.Optional(Type.Union([IdLike, Type.Null()])),
  timestamp: Type.Optional(Type.Union([Time, Type.Null()])),
  originalTimestamp: Type.Optional(Type.Union([Time, Type.Null()])),
  sentAt: Type.Optional(Type.Union([Time, Type.Null()])),
  receivedAt: Type.Optional(Type.Union([Time, Type.Null()])),
  context: Type.Optional(Props),
  integrations: Type.Optional(Props),
  writeKey: Type.Optional(Type.String()),
};

export const TrackEvent = Type.Object({
  ...Common,
  type: Type.Literal('track'),
  event: Type.String({ minLength: 1, maxLength: FIELD_LIMITS.nameChars }),
  properties: Type.Optional(Props),
});

export const PageEvent = Type.Object({
  ...Common,
  type: Type.Literal('page'),
  name: Type.Optional(
    Type.Union([Type.String({ maxLength: FIELD_LIMITS.nameChars }), Type.Null()]),
  ),
  category: Type.Optional(
    Type.Union([Type.String({ maxLength: FIELD_LIMITS.nameChars }), Type.Null()]),
  ),
  properties: Type.Optional(Props),
});

export const ScreenEvent = Type.Object({
  ...Common,
  type: Type.Literal('screen'),
  name: Type.Optional(
    Type.Union([Type.String({ maxLength: FIELD_LIMITS.nameChars }), Type.Null()]),
  ),
  properties: Type.Optional(Props),
});

export const IdentifyEvent = Type.Object({
  ...Common,
  type: Type.Literal('identify'),
  traits: Type.Optional(Props),
});

export const AliasEvent = Type.Object({
  ...Common,
  type: Type.Literal('alias'),
  previousId: IdLike,
  userId: IdLike,
});

export const GroupEvent = Type.Object({
  ...Common,
  type: Type.Literal('group'),
  groupId: IdLike,
  traits: Type.Optional(Props),
});

export const SegmentEvent = Type.Union([
  TrackEvent,
  PageEvent,
  ScreenEvent,
  IdentifyEvent,
  AliasEvent,
  GroupEvent,
]);
export type SegmentEvent = Static<typeof SegmentEvent>;

export const BatchBody = Type.Object({
  batch: Type.Array(Type.Unknown()),
  sentAt: Type.Optional(Type.Union([Time, Type.Null()])),
  context: Type.Optional(Props),
  writeKey: Type.Optional(Type.String()),
});
export type BatchBody = Static<typeof BatchBody>;

const byType = {
  track: Compile(TrackEvent),
  page: Compile(PageEvent),
  screen: Compile(ScreenEvent),
  identify: Compile(IdentifyEvent),
  alias: Compile(AliasEvent),
  group: Compile(GroupEvent),
} as const;

export type SegmentType = keyof typeof byType;

/** The event types, as the single-event routes and readers of events name them. */
export const SEGMENT_TYPES = Object.keys(byType) as readonly SegmentType[];

export function isSegmentType(value: unknown): value is SegmentType {
  return typeof value === 'string' && Object.hasOwn(byType, value);
}

/**
 * Checks one event against the schema of its own type, so the error names the field that is
 * wrong for that type instead of listing every branch of the union. Returns null when valid.
 */
export function schemaError(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return 'an event must be a JSON object';
  }
  const type = (event as { type?: unknown }).type;
  if (!isSegmentType(type)) {
    return `"type" must be one of ${Object.keys(byType).join(', ')}`;
  }
  const validator = byType[type];
  if (validator.Check(event)) return null;
  const first = validator.Errors(event)[0];
  if (first === undefined) return `not a valid ${type} event`;
  const where = first.instancePath === '' ? 'event' : first.instancePath;
  return `${where}: ${first.message}`;
}
