/**
 * A listening collector for integration tests: `buildApp` on a loopback port, backed by the
 * in-memory log or by Kafka (random topic prefix, topics created first), with helpers that read
 * back everything the collector wrote.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import kafkajs from 'kafkajs';
import { silentLogger, systemClock, type Logger } from '../../src/core/index.js';
import type { KafkaConfig, SiteConfig } from '../../src/config/index.js';
import { buildApp, type RateLimitOptions } from '../../src/gateway/index.js';
import {
  createEventLog,
  decodeEnvelopes,
  topicNames,
  type EventLog,
  type FailedEvent,
  type KafkaLogOptions,
  type LogRecord,
  type RawEnvelope,
  type TopicNames,
} from '../../src/ingest/index.js';
import { createGeoStep } from '../../src/ingest/enrich/index.js';
import { pollUntil } from '../polling.js';

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

/** A site with fresh random keys; `allowedOrigins` empty = any origin. */
export function testSite(id: string, overrides: Partial<Omit<SiteConfig, 'id'>> = {}): SiteConfig {
  return {
    id,
    writeKey: `wk_${id}_${randomBytes(8).toString('hex')}`,
    secretKey: `sk_${id}_${randomBytes(8).toString('hex')}`,
    allowedOrigins: [],
    respectDoNotTrack: false,
    ...overrides,
  };
}

export type HarnessLog =
  | { readonly kind: 'memory' }
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      readonly options?: KafkaLogOptions;
    };

export interface CollectorHarnessOptions {
  readonly log: HarnessLog;
  /** Default: one site `site` that accepts any origin. */
  readonly sites?: readonly SiteConfig[];
  /** Default false: tests that are not about rate limits must not trip one. */
  readonly rateLimit?: RateLimitOptions | false;
  /** Partitions of the events and failed-events topics. Default 4. */
  readonly partitions?: number;
  readonly logger?: Logger;
}

/** One HTTP request the collector answered, as the socket saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The answer's status once sent. */
  readonly status: number;
}

export interface CollectorHarness {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly sites: readonly SiteConfig[];
  readonly topics: TopicNames;
  readonly log: EventLog;
  /** The site with this id (throws when there is none: a typo in a test must not pass). */
  site(id: string): SiteConfig;
  /** Requests answered so far, in the order their answers finished. */
  requests(): readonly SeenRequest[];
  /** Every event on the events topic (one envelope each), from the start to the end as of the call. */
  readEvents(): Promise<RawEnvelope[]>;
  /** Every failed event on the failed-events topic, likewise. */
  readFailed(): Promise<FailedEvent[]>;
  /** Stops the server, closes the log, deletes Kafka topics. Safe to call twice. */
  close(): Promise<void>;
}

export async function startCollector(options: CollectorHarnessOptions): Promise<CollectorHarness> {
  const logger = options.logger ?? silentLogger;
  const sites = options.sites ?? [testSite('site')];
  const partitions = options.partitions ?? 4;
  const prefix = uniqueName('pathcast-it-collector');
  const topics = topicNames(prefix);
  const kafka: KafkaConfig = {
    brokers: options.log.kind === 'kafka' ? [...options.log.brokers] : [],
    clientId: 'pathcast-it-collector',
    topicPrefix: prefix,
    group: `${prefix}-unused`,
    partitions,
    ssl: false,
    username: undefined,
    password: undefined,
  };
  const log = createEventLog(
    kafka,
    { logger },
    options.log.kind === 'kafka' && options.log.options !== undefined
      ? { kafka: options.log.options }
      : {},
  );
  await log.start();
  await log.ensureTopics([
    { name: topics.events, partitions },
    { name: topics.failedEvents, partitions },
  ]);
  const geo = createGeoStep();
  const app = await buildApp({
    sites,
    log,
    topics,
    geo: (ip) => geo.locate(ip),
    clock: systemClock,
    logger,
    rateLimit: options.rateLimit ?? false,
    readiness: [],
  });
  // Seen beside fastify on the raw server, so the app under test is not changed to observe it.
  const seen: SeenRequest[] = [];
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    response.on('finish', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: { ...request.headers },
        status: response.statusCode,
      });
    });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    sites,
    topics,
    log,
    site(id) {
      const site = sites.find((s) => s.id === id);
      if (site === undefined) throw new Error(`the harness has no site "${id}"`);
      return site;
    },
    requests: () => seen,
    async readEvents() {
      const records = await drainTopic(log, topics.events);
      // A batch record holds several events: each comes back as its own envelope.
      return records.flatMap((record) => {
        const decoded = decodeEnvelopes(record.value);
        if (!decoded.ok) {
          throw new Error(
            `${record.topic}/${record.partition}@${record.offset} is not an envelope: ${decoded.reason}`,
          );
        }
        return decoded.value;
      });
    },
    async readFailed() {
      const records = await drainTopic(log, topics.failedEvents);
      return records.map((record) => JSON.parse(record.value.toString('utf8')) as FailedEvent);
    },
    close() {
      closing ??= (async () => {
        await app.close();
        await log.close();
        if (options.log.kind === 'kafka') {
          await deleteTopics(options.log.brokers, [topics.events, topics.failedEvents]);
        }
      })();
      return closing;
    },
  };
}

/**
 * Reads a topic from its start up to its end as of the call, with a fresh consumer group, and
 * returns the records once each in (partition, offset) order. Two records with the same event
 * in them stay two: duplicates written by the producer are what some tests look for.
 */
export async function drainTopic(
  log: EventLog,
  topic: string,
  timeoutMs = 60_000,
): Promise<LogRecord[]> {
  const byPosition = new Map<string, LogRecord>();
  const reached = new Map<number, number>();
  const consumer = await log.consume({
    topic,
    group: uniqueName('pathcast-it-drain'),
    fromBeginning: true,
    handler: {
      async onBatch(batch) {
        // A batch delivered again (a rebalance in the harness's own group) must not count twice.
        for (const record of batch.records) {
          byPosition.set(`${record.partition}:${record.offset}`, record);
        }
        reached.set(batch.partition, Math.max(reached.get(batch.partition) ?? 0, batch.nextOffset));
      },
    },
  });
  try {
    const ends = await consumer.lag();
    await pollUntil(
      `the end of ${topic}`,
      () =>
        ends.every((p) => p.lag === 0 || (reached.get(p.partition) ?? -1) >= p.end)
          ? true
          : undefined,
      {
        timeoutMs,
        describe: () =>
          ends
            .map((p) => `p${p.partition}: at ${reached.get(p.partition) ?? 'none'} of ${p.end}`)
            .join(', '),
      },
    );
  } finally {
    await consumer.close();
  }
  return [...byPosition.values()].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

async function deleteTopics(brokers: readonly string[], names: readonly string[]): Promise<void> {
  const admin = new kafkajs.Kafka({
    clientId: 'pathcast-it-cleanup',
    brokers: [...brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [...names] });
  } finally {
    await admin.disconnect();
  }
}

/** The Segment event inside an envelope, as a plain record for assertions. */
export function eventOf(envelope: RawEnvelope): Readonly<Record<string, unknown>> {
  const event = envelope.event;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new Error(`the envelope holds no event object: ${JSON.stringify(event)}`);
  }
  return event as Record<string, unknown>;
}

/** The messageId of an envelope's event ('' when it has none). */
export function messageIdOf(envelope: RawEnvelope): string {
  const id = eventOf(envelope)['messageId'];
  return typeof id === 'string' ? id : '';
}

/** Ids that occur more than once, for a readable failure message. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) twice.add(id);
    seen.add(id);
  }
  return [...twice];
}
