import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import Type from 'typebox';
import { VERSION } from '../../core/index.js';
import { ErrorBody, ScoreRequestBody, SECURITY, TAGS } from './schemas.js';

/** Where the docs live: the UI at /docs, the OpenAPI document at /docs/json and /docs/yaml. */
export const DOCS_PREFIX = '/docs';

type RouteSchema = Readonly<Record<string, unknown>>;

const SegmentEvent = Type.Object(
  {
    type: Type.Optional(
      Type.String({ description: 'track, page, screen, identify, alias or group (batch only)' }),
    ),
    messageId: Type.Optional(Type.String({ description: 'Event id and de-duplication key.' })),
    anonymousId: Type.Optional(Type.String()),
    userId: Type.Optional(Type.String()),
    event: Type.Optional(Type.String({ description: 'track: the event name.' })),
    name: Type.Optional(Type.String({ description: 'page / screen: the page name.' })),
    timestamp: Type.Optional(Type.String({ description: 'ISO-8601 event time.' })),
    properties: Type.Optional(Type.Object({}, { additionalProperties: true })),
    traits: Type.Optional(Type.Object({}, { additionalProperties: true })),
    context: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true, description: 'A Segment spec event (at most 32 KB).' },
);

const Accepted = Type.Object({ success: Type.Literal(true), accepted: Type.Integer() });

const COLLECTOR_RESPONSES = {
  200: Accepted,
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

function collectorRoute(type: string | undefined): RouteSchema {
  return {
    summary:
      type === undefined ? 'Send a batch of Segment events' : `Send one Segment ${type} event`,
    description:
      'Answers 200 only once the event log holds every accepted event. Invalid events of a batch ' +
      'are stored as failed events and listed in a 400 `event_rejected`; the valid ones are ' +
      'accepted. The write key goes as the HTTP Basic user name or as `writeKey` in the body.',
    tags: [TAGS.collector],
    security: SECURITY.writeKey,
    body:
      type === undefined
        ? Type.Object(
            {
              batch: Type.Array(SegmentEvent, { maxItems: 2500 }),
              sentAt: Type.Optional(Type.String()),
              context: Type.Optional(Type.Object({}, { additionalProperties: true })),
              writeKey: Type.Optional(Type.String()),
            },
            { additionalProperties: true },
          )
        : SegmentEvent,
    response: COLLECTOR_RESPONSES,
  };
}

/**
 * Documentation of routes that other plugins register without a schema of their own (the
 * collector and the tracker read their bodies themselves): merged into the published document
 * only, so their runtime behaviour (parsing, validation, serialisation) stays exactly theirs.
 */
const DOCUMENTED: Readonly<Record<string, RouteSchema>> = {
  'POST /v1/batch': collectorRoute(undefined),
  ...Object.fromEntries(
    ['track', 'page', 'screen', 'identify', 'alias', 'group'].map((type) => [
      `POST /v1/${type}`,
      collectorRoute(type),
    ]),
  ),
  'OPTIONS /v1/*': { hide: true },
  'GET /t.js': {
    summary: 'The browser tracker script',
    description:
      'Records page views (single-page apps included); include it with ' +
      '`<script async src="…/t.js" data-write-key="WRITE_KEY">`.',
    tags: [TAGS.collector],
    response: { 200: { type: 'string', description: 'JavaScript' } },
  },
  'POST /v1/score': { body: ScoreRequestBody },
};

function methodsOf(route: RouteOptions): readonly string[] {
  return typeof route.method === 'string' ? [route.method] : route.method;
}

/**
 * Registers @fastify/swagger (OpenAPI 3) and its UI at /docs on the root instance. Call it
 * before any route is added: swagger learns routes as they are registered.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Pathcast',
        version: VERSION,
        description:
          'Real-time clickstream-to-conversion engine: collect Segment events, score visitors ' +
          'live, read sessions and visitors back.',
      },
      tags: [
        { name: TAGS.collector, description: 'Segment-compatible event collection (write key)' },
        { name: TAGS.scoring, description: 'Score events with the live model (secret key)' },
        { name: TAGS.sessions, description: 'Sessions as stored (secret key)' },
        { name: TAGS.visitors, description: 'Live propensity and profile (secret key)' },
        { name: TAGS.operations, description: 'Health, readiness and metrics' },
      ],
      components: {
        securitySchemes: {
          secretKey: {
            type: 'http',
            scheme: 'bearer',
            description: "The site's secret key: `Authorization: Bearer <secretKey>`.",
          },
          secretKeyBasic: {
            type: 'http',
            scheme: 'basic',
            description: "The site's secret key as the HTTP Basic user name (no password).",
          },
          writeKey: {
            type: 'http',
            scheme: 'basic',
            description: "The site's public write key as the HTTP Basic user name.",
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const extra = methodsOf(route)
        .map((method) => DOCUMENTED[`${method} ${url}`])
        .find((doc) => doc !== undefined);
      return { schema: { ...extra, ...(schema as RouteSchema | undefined) }, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
}
