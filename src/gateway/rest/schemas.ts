import Type from 'typebox';

/**
 * The REST API's request and response shapes, as JSON Schema (TypeBox): fastify validates
 * params and query strings with them, serialises answers with them, and @fastify/swagger
 * publishes them at /docs.
 */

export const TAGS = {
  scoring: 'scoring',
  sessions: 'sessions',
  visitors: 'visitors',
  collector: 'collector',
  operations: 'operations',
} as const;

/** OpenAPI security requirement names (declared in docs.ts). */
export const SECURITY = {
  secretKey: [{ secretKey: [] }, { secretKeyBasic: [] }],
  writeKey: [{ writeKey: [] }],
} as const;

/** `{ success: false, code, message, ...details }`: every refusal of the gateway. */
export const ErrorBody = Type.Object(
  {
    success: Type.Literal(false),
    code: Type.String({ description: 'Stable, machine-readable reason (snake_case).' }),
    message: Type.String(),
  },
  { additionalProperties: true, description: 'A refusal with a stable code' },
);

export const NextPage = Type.Object({
  pageType: Type.String(),
  probability: Type.Number({ minimum: 0, maximum: 1 }),
});

const scoreFields = {
  sessionId: Type.String(),
  at: Type.Number({ description: 'Event time (ms) of the event that was scored.' }),
  propensity: Type.Number({
    minimum: 0,
    maximum: 1,
    description: 'Calibrated probability that the session converts from here.',
  }),
  markovProbability: Type.Number({
    minimum: 0,
    maximum: 1,
    description: "The page-flow Markov chain's conversion probability from the current state.",
  }),
  nextPages: Type.Array(NextPage, { description: 'Most likely next page types.' }),
  modelVersion: Type.String({ description: '`name@version` of the model that scored.' }),
};

export const ScoreQuery = Type.Object({
  perEvent: Type.Optional(
    Type.Boolean({ default: false, description: 'Also answer the score after every event.' }),
  ),
});

/** Documentation of the POST /v1/score body (read by the route itself, like the collector). */
export const ScoreRequestBody = Type.Union([
  Type.Array(Type.Object({}, { additionalProperties: true }), {
    description: 'Segment events of one visitor.',
  }),
  Type.Object(
    {
      batch: Type.Array(Type.Object({}, { additionalProperties: true })),
      sentAt: Type.Optional(Type.String()),
      context: Type.Optional(Type.Object({}, { additionalProperties: true })),
    },
    { additionalProperties: true, description: 'A /v1/batch body, events of one visitor.' },
  ),
]);

export const ScoreAnswer = Type.Object({
  success: Type.Literal(true),
  site: Type.String(),
  visitor: Type.String(),
  ...scoreFields,
  isBot: Type.Boolean({ description: 'The live pipeline does not score bot sessions.' }),
  events: Type.Optional(
    Type.Array(Type.Object({ index: Type.Integer(), messageId: Type.String(), ...scoreFields }), {
      description: 'With perEvent=true: the score after each event, in event-time order.',
    }),
  ),
});

export const IdParams = Type.Object({ id: Type.String() });

export const SessionAnswer = Type.Object({
  success: Type.Literal(true),
  session: Type.Object({
    id: Type.String(),
    site: Type.String(),
    visitor: Type.String(),
    userId: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.Number(),
    endedAt: Type.Number(),
    eventCount: Type.Integer(),
    pageviewCount: Type.Integer(),
    path: Type.Array(Type.String()),
    entryChannel: Type.String(),
    entrySource: Type.String(),
    entryMedium: Type.String(),
    entryCampaign: Type.String(),
    landingPage: Type.String(),
    exitPage: Type.String(),
    deviceType: Type.String(),
    country: Type.String(),
    isBot: Type.Boolean(),
    converted: Type.Boolean(),
    conversions: Type.Integer(),
    revenue: Type.Number(),
    currency: Type.String(),
    version: Type.Integer(),
    closed: Type.Boolean(),
    closeReason: Type.String({ description: "'' while open; gap, max_length, ... once closed." }),
  }),
  mergedFrom: Type.Array(Type.String(), {
    description:
      'When the id asked for was merged into another session: the ids followed, that one first.',
  }),
});

export const VisitorAnswer = Type.Object({
  success: Type.Literal(true),
  site: Type.String(),
  visitor: Type.String(),
  score: Type.Union([
    Type.Object({
      ...scoreFields,
      source: Type.Union([Type.Literal('live'), Type.Literal('history')], {
        description: "'live': this process scored it; 'history': the latest stored score.",
      }),
    }),
    Type.Null(),
  ]),
  profile: Type.Union([
    Type.Object({
      userId: Type.String(),
      segment: Type.String(),
      lifetimeValue: Type.Number(),
      orders: Type.Integer(),
      firstOrderAt: Type.Union([Type.Number(), Type.Null()]),
      lastOrderAt: Type.Union([Type.Number(), Type.Null()]),
      tenureDays: Type.Number(),
      churned: Type.Boolean(),
      updatedAt: Type.Number(),
    }),
    Type.Null(),
  ]),
  identities: Type.Array(
    Type.Object({ anonymousId: Type.String(), userId: Type.String(), at: Type.Number() }),
  ),
});

export const HealthAnswer = Type.Object({ status: Type.Literal('ok') });

export const ReadyAnswer = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Array(
    Type.Object(
      { name: Type.String(), ok: Type.Boolean(), detail: Type.String() },
      { additionalProperties: true },
    ),
  ),
});

export const MetricsAnswer = Type.String({ description: 'Prometheus text exposition format.' });
