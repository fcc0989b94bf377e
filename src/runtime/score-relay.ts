import { randomBytes } from 'node:crypto';
import {
  counter,
  toError,
  type Lifecycle,
  type Logger,
  type Score,
  type ScoreFeed,
} from '../core/index.js';
import { visitorKey, type EventLog, type LogConsumer, type TopicNames } from '../ingest/index.js';

/** Where the pipeline hands each live score; the relay decides how it reaches the websockets. */
export interface ScoreRelay extends Lifecycle {
  publish(score: Score): void;
}

export interface ScoreRelayOptions {
  /** Scores waiting for the log while a produce is in flight; beyond, the oldest are dropped. */
  readonly maxPending?: number;
}

export interface ScoreRelayDeps {
  readonly log: EventLog;
  readonly topics: TopicNames;
  /** This process's local feed (what its websockets subscribe to). */
  readonly feed: ScoreFeed;
  /** Names this process's consumer group on the scores topic. */
  readonly instanceId: string;
  readonly logger: Logger;
}

const relayedTotal = counter(
  'pathcast_scores_relayed_total',
  'Live scores through the scores topic, by direction and outcome',
  ['outcome'],
);

/**
 * The relay for the configured log. Embedded (memory log): scores go straight into the local
 * feed, as one process serves every visitor. Kafka: every score is produced to the scores topic,
 * keyed by visitor, and this process reads the whole topic back into its local feed, so a
 * visitor's websocket may be served by any gateway, whichever process scored the visitor.
 */
export function createScoreRelay(
  deps: ScoreRelayDeps,
  options: ScoreRelayOptions = {},
): ScoreRelay {
  if (deps.log.kind === 'memory') {
    return {
      start: async () => undefined,
      close: async () => undefined,
      publish: (score) => deps.feed.publish(score),
    };
  }
  return new KafkaScoreRelay(deps, options);
}

/**
 * Kafka leg of the relay.
 *
 * - Out: scores are batched per event-loop turn into one produce call, at most one in flight;
 *   publish() never waits. Scores are ephemeral (each is also stored in ClickHouse), so when
 *   the log is slower than the pipeline the oldest waiting scores are dropped and counted
 *   rather than held without bound.
 * - In: each process is its own consumer group (`<instance>.live.<random>`) so it sees every
 *   partition, starts at the end of the log (a gateway serves live scores, not history) and
 *   never commits.
 */
class KafkaScoreRelay implements ScoreRelay {
  private readonly deps: ScoreRelayDeps;
  private readonly maxPending: number;
  private readonly logger: Logger;
  private pending: Array<{ key: string; value: string }> = [];
  private inFlight: Promise<void> | undefined;
  private scheduled = false;
  private consumer: LogConsumer | undefined;
  private closed = false;

  constructor(deps: ScoreRelayDeps, options: ScoreRelayOptions) {
    this.deps = deps;
    this.maxPending = options.maxPending ?? 50_000;
    this.logger = deps.logger.child({ component: 'score_relay' });
  }

  async start(): Promise<void> {
    const { log, topics, instanceId, feed } = this.deps;
    const group = `${instanceId}.live.${randomBytes(4).toString('hex')}`;
    this.consumer = await log.consume({
      topic: topics.scores,
      group,
      fromBeginning: false,
      handler: {
        // Pin the start to the end of each partition at assignment: start() resolves after
        // this, so every score produced afterwards reaches this process.
        onAssigned: async (partitions, ctx) => {
          const ends = new Map((await ctx.consumer.lag()).map((p) => [p.partition, p.end]));
          for (const partition of partitions) {
            const end = ends.get(partition);
            if (end !== undefined) ctx.consumer.seek(partition, end);
          }
        },
        onBatch: async (batch) => {
          for (const record of batch.records) {
            const score = decodeScore(record.value);
            if (score === undefined) {
              relayedTotal.inc({ outcome: 'unreadable' });
              continue;
            }
            relayedTotal.inc({ outcome: 'received' });
            feed.publish(score);
          }
        },
      },
      onFailure: (error) => this.logger.error('score_relay_failed', { err: error }),
    });
    this.logger.info('score_relay_started', { group });
  }

  publish(score: Score): void {
    if (this.closed) return;
    this.pending.push({ key: visitorKey(score.site, score.visitor), value: encodeScore(score) });
    if (this.pending.length > this.maxPending) {
      const dropped = this.pending.length - this.maxPending;
      this.pending.splice(0, dropped);
      relayedTotal.inc({ outcome: 'dropped' }, dropped);
    }
    if (!this.scheduled && this.inFlight === undefined) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    }
  }

  /** Produces what is pending, one call at a time, until nothing is left. */
  private drain(): void {
    if (this.inFlight !== undefined || this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    this.inFlight = this.deps.log
      .produce(this.deps.topics.scores, records)
      .then(
        () => relayedTotal.inc({ outcome: 'sent' }, records.length),
        (error: unknown) => {
          relayedTotal.inc({ outcome: 'dropped' }, records.length);
          this.logger.warn('score_relay_produce_failed', {
            records: records.length,
            err: toError(error),
          });
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.drain();
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What the pipeline scored before closing still goes out.
    while (this.inFlight !== undefined || this.pending.length > 0) {
      this.drain();
      await this.inFlight;
    }
    await this.consumer?.close();
  }
}

/** A score as JSON text, for the scores topic. */
export function encodeScore(score: Score): string {
  return JSON.stringify({
    site: score.site,
    visitor: score.visitor,
    sessionId: score.sessionId,
    at: score.at,
    propensity: score.propensity,
    markovProbability: score.markovProbability,
    nextPages: score.nextPages,
    modelVersion: score.modelVersion,
  });
}

/** A record of the scores topic, or undefined for anything that is not a score. Never throws. */
export function decodeScore(value: Buffer | string): Score | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const f = parsed as Record<string, unknown>;
  const { site, visitor, sessionId, at, propensity, markovProbability, modelVersion } = f;
  if (
    typeof site !== 'string' ||
    site === '' ||
    typeof visitor !== 'string' ||
    visitor === '' ||
    typeof sessionId !== 'string' ||
    typeof modelVersion !== 'string' ||
    !isFiniteNumber(at) ||
    !isFiniteNumber(propensity) ||
    !isFiniteNumber(markovProbability) ||
    !Array.isArray(f['nextPages'])
  ) {
    return undefined;
  }
  const nextPages: Array<{ pageType: string; probability: number }> = [];
  for (const entry of f['nextPages'] as unknown[]) {
    const page = entry as { pageType?: unknown; probability?: unknown } | null;
    if (
      typeof page !== 'object' ||
      page === null ||
      typeof page.pageType !== 'string' ||
      !isFiniteNumber(page.probability)
    ) {
      return undefined;
    }
    nextPages.push({ pageType: page.pageType, probability: page.probability });
  }
  return { site, visitor, sessionId, at, propensity, markovProbability, nextPages, modelVersion };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
