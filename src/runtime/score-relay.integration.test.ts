/**
 * Distributed mode against the real broker: a score made by one process reaches the websockets
 * of every other process through the scores topic.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalScoreFeed, silentLogger, type Score } from '../core/index.js';
import { KafkaEventLog, topicNames, type EventLog } from '../ingest/index.js';
import { testServices } from '../../test/services.js';
import { pollUntil } from '../../test/polling.js';
import { createScoreRelay, type ScoreRelay } from './score-relay.js';

const closers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function kafkaLog(prefix: string): Promise<EventLog> {
  const log = new KafkaEventLog(
    {
      brokers: testServices().kafkaBrokers,
      clientId: 'pathcast-it-relay',
      topicPrefix: prefix,
      group: `${prefix}-processors`,
      partitions: 3,
      ssl: false,
      username: undefined,
      password: undefined,
    },
    { maxWaitTimeMs: 100, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000 },
    { logger: silentLogger },
  );
  await log.start();
  closers.push(() => log.close());
  return log;
}

function score(visitor: string, n: number): Score {
  return {
    site: 'shop',
    visitor,
    sessionId: `s-${visitor}`,
    at: n,
    propensity: n / 10_000,
    markovProbability: 0.2,
    nextPages: [{ pageType: '/cart', probability: 0.3 }],
    modelVersion: 'm1',
  };
}

describe('score relay on Kafka', () => {
  it('delivers a score produced by one process to a subscriber of another', async () => {
    const prefix = `pathcast-it-relay-${randomBytes(4).toString('hex')}`;
    const topics = topicNames(prefix);
    const processes: Array<{ relay: ScoreRelay; seen: Score[] }> = [];
    for (const id of ['a', 'b']) {
      const log = await kafkaLog(prefix);
      await log.ensureTopics([{ name: topics.scores, partitions: 3 }]);
      const feed = new LocalScoreFeed();
      const seen: Score[] = [];
      feed.subscribe((s) => seen.push(s));
      const relay = createScoreRelay({
        log,
        topics,
        feed,
        instanceId: `it-${id}`,
        logger: silentLogger,
      });
      await relay.start();
      closers.push(() => relay.close());
      processes.push({ relay, seen });
    }
    const [a, b] = processes;
    if (a === undefined || b === undefined) throw new Error('two relays expected');

    a.relay.publish(score('alice', 1));
    const first = await pollUntil('the score on the other process', () => b.seen[0], {
      timeoutMs: 20_000,
    });
    expect(first).toEqual(score('alice', 1));

    // Many scores from both sides, many visitors: every process sees every score exactly once.
    for (let n = 2; n <= 400; n++) {
      // As in production, one process scores a given visitor (it owns the visitor's partition).
      const [by, name] = n % 2 === 0 ? [a, 'a'] : [b, 'b'];
      by.relay.publish(score(`${name}-v${n % 5}`, n));
    }
    for (const p of processes) {
      await pollUntil('all 400 scores', () => (p.seen.length >= 400 ? true : undefined), {
        timeoutMs: 20_000,
        describe: () => String(p.seen.length),
      });
      expect(p.seen.map((s) => s.at).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 400 }, (_, i) => i + 1),
      );
      // Keyed by visitor: one visitor's scores arrive in the order they were made.
      for (const visitor of ['a-v1', 'b-v1', 'a-v4']) {
        const ofOne = p.seen.filter((s) => s.visitor === visitor).map((s) => s.at);
        expect(ofOne.length).toBeGreaterThan(30);
        expect(ofOne).toEqual([...ofOne].sort((x, y) => x - y));
      }
    }
  });
});
