import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  counter,
  counterChild,
  CounterChildren,
  fail,
  histogram,
  isRetriable,
  ok,
  type Clock,
  type Logger,
  type Result,
} from '../../core/index.js';
import { normaliseOrigin, type SiteConfig } from '../../config/index.js';
import { LIMITS, SEGMENT_TYPES, type TopicNames } from '../../ingest/index.js';
import { httpError, type HttpErrorCode } from '../http-errors.js';
import {
  acceptEvents,
  bodyRecord,
  eventRecords,
  type AcceptedBatch,
  type GeoLookup,
} from './accept.js';
import { decodeBody, type BodyProblem } from './body.js';
import { readCompactBatch, type CompactBatch } from './compact-batch.js';
import { RateLimiter, type RateLimitOptions } from './rate-limiter.js';

/** The part of the event log the collector needs. */
export interface CollectorLog {
  produce(
    topic: string,
    records: ReadonlyArray<{ readonly key: string; readonly value: string }>,
  ): Promise<void>;
}

export interface CollectorOptions {
  readonly sites: readonly SiteConfig[];
  readonly log: CollectorLog;
  readonly topics: TopicNames;
  readonly geo: GeoLookup;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Per-source limit; false turns it off (benchmarks). */
  readonly rateLimit: RateLimitOptions | false;
}

/** A request's events as the checks before acceptance need them, read either way. */
interface RequestBody {
  readonly events: number;
  /** False when a batch request's `batch` is not an array. */
  readonly isBatch: boolean;
  /** The body's writeKey, else the first event's (the header's comes first). */
  readonly writeKey: string | undefined;
  /** Validates and encodes the events for the site: records, failed events, rejections. */
  accept(site: SiteConfig): AcceptedBatch;
}

const acceptedTotal = counter(
  'pathcast_collector_events_total',
  'Events accepted by the collector',
  ['site'],
);
const requestsTotal = counter(
  'pathcast_collector_requests_total',
  'Collector requests by outcome',
  ['code'],
);
const produceSeconds = histogram(
  'pathcast_collector_produce_seconds',
  'Time from a request being read to the log acknowledging its events',
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
).labels({});
// Counted per request: children, whose counts reach the counters when they are read.
const acceptedBySite = new CounterChildren(acceptedTotal);
const okRequests = counterChild(requestsTotal, { code: 'ok' });

/**
 * The Segment HTTP Tracking API: `POST /v1/batch` and one route per event type.
 *
 * Answers: 200 only once the log acknowledged every accepted event of the request. A batch in
 * which some events are invalid is not all-or-nothing: the valid events are accepted and logged,
 * the invalid ones are stored as failed events, and the answer is 400 `event_rejected` listing
 * each rejected event by index with its code, plus the count accepted. Resending the whole batch
 * is harmless: events are de-duplicated by messageId.
 */
export async function collectorPlugin(
  app: FastifyInstance,
  options: CollectorOptions,
): Promise<void> {
  const byWriteKey = new Map(options.sites.map((site) => [site.writeKey, site]));
  const limiter = options.rateLimit === false ? undefined : new RateLimiter(options.rateLimit);

  // This plugin reads its own bodies: whatever the content type, as a bounded buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: LIMITS.batchBytes },
    (_req, body, done) => {
      done(null, body);
    },
  );

  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      return send(reply, 'batch_too_large');
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.statusCode === 400) {
      return send(reply, 'invalid_json');
    }
    options.logger.error('collector_error', { err: error, url: request.url });
    return send(reply, 'internal_error');
  });

  app.options('/v1/*', async (request, reply) => {
    allowCors(request, reply);
    reply
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, content-encoding')
      .header('access-control-max-age', '86400')
      .code(204)
      .send();
  });

  const handle = async (
    request: FastifyRequest,
    reply: FastifyReply,
    forcedType: string | undefined,
  ): Promise<void> => {
    const started = process.hrtime.bigint();
    // NOTE: CORS headers go on every answer, refusals included: a browser must be able to read a
    // 401/403 to stop retrying, instead of seeing it as a network error.
    allowCors(request, reply);
    const headerKey = basicAuthUser(request.headers.authorization);
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const encoding = headerValue(request.headers['content-encoding']);
    // A batch in compact JSON is read without JSON.parse when that reader is sure of it
    // (compact-batch.ts); any other body is parsed and validated event by event.
    const receivedAt = options.clock.now();
    const compact =
      forcedType === undefined ? readCompactBatch(raw, encoding, receivedAt) : undefined;
    const read =
      compact === undefined
        ? readBody(raw, encoding, forcedType, request.ip)
        : ok(compactBody(compact, receivedAt, raw, request.ip));
    if (!read.ok) return send(reply, read.code, { reason: read.reason });
    const body = read.value;

    const writeKey = headerKey ?? body.writeKey;
    if (writeKey === undefined) return send(reply, 'missing_write_key');
    const site = byWriteKey.get(writeKey);
    if (site === undefined) return send(reply, 'invalid_write_key');

    const origin = headerValue(request.headers.origin);
    if (origin !== undefined && !originAllowed(site, origin)) {
      return send(reply, 'origin_not_allowed', { origin });
    }

    if (!body.isBatch) {
      return send(reply, 'invalid_body', { reason: '"batch" must be an array of events' });
    }
    const events = body.events;
    if (events === 0) return send(reply, 'empty_batch');
    if (events > LIMITS.batchEvents) {
      return send(reply, 'too_many_events', { limit: LIMITS.batchEvents, received: events });
    }

    if (site.respectDoNotTrack && optedOut(request)) {
      requestsTotal.inc({ code: 'do_not_track' });
      // Not a silent drop: the answer says that nothing was collected, and why.
      return reply
        .code(200)
        .send({ success: true, accepted: 0, ignored: events, reason: 'do_not_track' });
    }

    if (limiter !== undefined) {
      const wait = limiter.take(`${site.id}|${request.ip}`, events, options.clock.now());
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        return send(reply, 'rate_limited', { retryAfterSeconds: wait });
      }
    }

    const batch = body.accept(site);

    try {
      await Promise.all([
        batch.records.length > 0
          ? options.log.produce(options.topics.events, batch.records)
          : undefined,
        batch.failed.length > 0
          ? options.log.produce(
              options.topics.failedEvents,
              batch.failed.map((failed) => ({ key: failed.site, value: JSON.stringify(failed) })),
            )
          : undefined,
      ]);
    } catch (error) {
      if (!isRetriable(error)) throw error;
      options.logger.warn('collector_log_unavailable', { err: error });
      reply.header('retry-after', '1');
      return send(reply, 'log_unavailable');
    }
    produceSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (batch.accepted > 0) acceptedBySite.of(site.id, { site: site.id }).inc(batch.accepted);

    if (batch.rejected.length === 0) {
      okRequests.inc();
      return reply.code(200).send({ success: true, accepted: batch.accepted });
    }
    const only =
      batch.rejected.length === 1 && batch.accepted === 0 ? batch.rejected[0] : undefined;
    return send(
      reply,
      only?.code ?? 'event_rejected',
      { accepted: batch.accepted, rejected: batch.rejected },
      only?.reason,
    );
  };

  /** The general way: parse the body, then validate each event (acceptEvents). */
  const readBody = (
    raw: Buffer,
    encoding: string | undefined,
    forcedType: string | undefined,
    clientIp: string,
  ): Result<RequestBody, BodyProblem | 'invalid_body'> => {
    const decoded = decodeBody(raw, encoding, LIMITS.batchBytes);
    if (!decoded.ok) return decoded;
    const json = decoded.value.json;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return fail('invalid_body', 'the body must be a JSON object');
    }
    const fields = json as Record<string, unknown>;
    const events: unknown[] = forcedType === undefined ? asArray(fields['batch']) : [fields];
    return ok({
      events: events.length,
      isBatch: forcedType !== undefined || Array.isArray(fields['batch']),
      writeKey: stringOr(fields['writeKey']) ?? firstWriteKey(events),
      accept: (site) =>
        acceptEvents(events, {
          site,
          clientIp,
          sentAt: fields['sentAt'],
          context: asObject(fields['context']),
          forcedType,
          body:
            forcedType === undefined
              ? { text: decoded.value.text, bytes: decoded.value.bytes }
              : undefined,
          geo: options.geo,
          clock: options.clock,
        }),
    });
  };

  /**
   * A batch the compact reader vouched for: all its events valid, logged as its body or event by
   * event. An event whose record would be over the size limit sends the body the general way,
   * which refuses that event by name.
   */
  const compactBody = (
    batch: CompactBatch,
    receivedAt: number,
    raw: Buffer,
    clientIp: string,
  ): RequestBody => ({
    events: batch.events,
    isBatch: true,
    writeKey: batch.writeKey,
    accept: (site) => {
      const ctx = { site, clientIp, geo: options.geo };
      const records =
        batch.perEvent === undefined
          ? [bodyRecord(ctx, batch.visitor, receivedAt, batch.text)]
          : eventRecords(ctx, receivedAt, batch.sentAt, batch.perEvent);
      if (records === undefined) {
        const general = readBody(raw, undefined, undefined, clientIp);
        if (!general.ok) throw new Error(`a body the compact reader took: ${general.reason}`);
        return general.value.accept(site);
      }
      return { records, accepted: batch.events, failed: [], rejected: [] };
    },
  });

  app.post('/v1/batch', (request, reply) => handle(request, reply, undefined));
  for (const type of SEGMENT_TYPES) {
    app.post(`/v1/${type}`, (request, reply) => handle(request, reply, type));
  }
}

function send(
  reply: FastifyReply,
  code: HttpErrorCode,
  details: Readonly<Record<string, unknown>> = {},
  message?: string,
): FastifyReply {
  const { status, body } = httpError(code, details, message);
  requestsTotal.inc({ code });
  return reply.code(status).send(body);
}

function allowCors(request: FastifyRequest, reply: FastifyReply): void {
  const origin = headerValue(request.headers.origin);
  if (origin === undefined) return;
  // Retry-After is exposed so that a tracker backs off as long as a 429 or 503 asks.
  reply
    .header('access-control-allow-origin', origin)
    .header('access-control-expose-headers', 'retry-after')
    .header('vary', 'Origin');
}

function originAllowed(site: SiteConfig, origin: string): boolean {
  if (site.allowedOrigins.length === 0 || site.allowedOrigins.includes('*')) return true;
  return site.allowedOrigins.includes(normaliseOrigin(origin));
}

function optedOut(request: FastifyRequest): boolean {
  return (
    headerValue(request.headers['dnt']) === '1' || headerValue(request.headers['sec-gpc']) === '1'
  );
}

// The last header read and its user: a site's SDKs send the same header on every request.
let lastHeader = '';
let lastUser: string | undefined;

/** The user name of an HTTP Basic authorization header (Segment's write key convention). */
export function basicAuthUser(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header === lastHeader) return lastUser;
  const user = readBasicAuthUser(header);
  lastHeader = header;
  lastUser = user;
  return user;
}

function readBasicAuthUser(header: string): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function firstWriteKey(events: readonly unknown[]): string | undefined {
  const first = events[0];
  return typeof first === 'object' && first !== null
    ? stringOr((first as { writeKey?: unknown }).writeKey)
    : undefined;
}
