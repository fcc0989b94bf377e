import Type, { type Static } from 'typebox';
import { DEVICE_TYPES } from '../../core/index.js';

/**
 * Query-string schemas of the dashboard API (TypeBox, validated by fastify's Ajv, which turns
 * numeric strings into numbers and a single value into a one-element list). A value outside
 * them is a 400 `invalid_query` naming the field.
 */

const SiteId = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'site id (default: yours)',
});
const ms = (description: string) =>
  Type.Integer({ minimum: 0, maximum: 8_640_000_000_000, description });

const segment = {
  site: Type.Optional(SiteId),
  from: Type.Optional(ms('start of the range, ms since the epoch (default: to - 7 days)')),
  to: Type.Optional(ms('end of the range (exclusive), ms since the epoch (default: now)')),
  channel: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      maxItems: 100,
      description: 'entry channels to keep (repeat the parameter for several)',
    }),
  ),
  country: Type.Optional(
    Type.Array(Type.String({ pattern: '^[A-Za-z]{2}$|^$' }), {
      maxItems: 100,
      description: 'ISO 3166-1 alpha-2 countries to keep',
    }),
  ),
  device: Type.Optional(
    Type.Array(Type.Union(DEVICE_TYPES.map((d) => Type.Literal(d))), {
      maxItems: DEVICE_TYPES.length,
      description: 'device types to keep',
    }),
  ),
};

export const SegmentQuery = Type.Object(segment);
export type SegmentQuery = Static<typeof SegmentQuery>;

export const TimelineQuery = Type.Object({
  ...segment,
  bucket: Type.Optional(
    Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], {
      description: 'bucket width (default: by the range: minute up to 6 h, hour up to 14 d)',
    }),
  ),
});
export type TimelineQuery = Static<typeof TimelineQuery>;

export const FunnelQuery = Type.Object({
  ...segment,
  step: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
      minItems: 2,
      maxItems: 16,
      description:
        'steps in order: a page type, `event:<name>` for a track event, or `$conversion`; ' +
        'default: derived from the page flow',
    }),
  ),
  windowMs: Type.Optional(
    Type.Integer({ minimum: 1000, maximum: 31_622_400_000, description: 'default 1 day' }),
  ),
});
export type FunnelQuery = Static<typeof FunnelQuery>;

export const PageFlowQuery = Type.Object({
  ...segment,
  maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'default 4' })),
  linksPerStep: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, description: 'default 12' }),
  ),
});
export type PageFlowQuery = Static<typeof PageFlowQuery>;

export const AttributionQuery = Type.Object({
  ...segment,
  order: Type.Optional(Type.Integer({ minimum: 1, maximum: 3, description: 'Markov order' })),
  withNull: Type.Optional(
    Type.Boolean({ description: 'also use journeys that did not convert (default false)' }),
  ),
});
export type AttributionQuery = Static<typeof AttributionQuery>;

export const LiveSessionsQuery = Type.Object({
  site: Type.Optional(SiteId),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
});
export type LiveSessionsQuery = Static<typeof LiveSessionsQuery>;

export const LiveSocketQuery = Type.Object({
  site: Type.Optional(SiteId),
  token: Type.Optional(
    Type.String({
      maxLength: 512,
      description: 'the site secret key, for clients without headers',
    }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
});
export type LiveSocketQuery = Static<typeof LiveSocketQuery>;

export const LoginBody = Type.Object({
  site: Type.String({ minLength: 1, maxLength: 64 }),
  secretKey: Type.String({ minLength: 1, maxLength: 512 }),
});
export type LoginBody = Static<typeof LoginBody>;
