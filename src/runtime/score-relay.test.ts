import { describe, expect, it } from 'vitest';
import { LocalScoreFeed, silentLogger, type Score } from '../core/index.js';
import { MemoryEventLog, topicNames } from '../ingest/index.js';
import { createScoreRelay, decodeScore, encodeScore } from './score-relay.js';

const score: Score = {
  site: 'shop',
  visitor: 'anon-"é\\',
  sessionId: 's-1',
  at: 1_750_000_000_000,
  propensity: 0.125,
  markovProbability: 0.5,
  nextPages: [
    { pageType: '/cart', probability: 0.4 },
    { pageType: '/product/:id', probability: 0.35 },
  ],
  modelVersion: 'ftrl-7',
};

describe('score codec', () => {
  it('round-trips a score, hostile strings included', () => {
    expect(decodeScore(Buffer.from(encodeScore(score)))).toEqual(score);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['null', 'null'],
    ['no site', JSON.stringify({ ...score, site: '' })],
    ['propensity a string', JSON.stringify({ ...score, propensity: '0.1' })],
    ['at missing', JSON.stringify({ ...score, at: undefined })],
    ['nextPages not an array', JSON.stringify({ ...score, nextPages: {} })],
    ['a bad next page', JSON.stringify({ ...score, nextPages: [{ pageType: 1 }] })],
  ])('reads %s as no score, without throwing', (_name, text) => {
    expect(decodeScore(text)).toBeUndefined();
  });
});

describe('createScoreRelay (embedded)', () => {
  it('publishes straight into the local feed, without the log', async () => {
    const log = new MemoryEventLog({}, { logger: silentLogger });
    const feed = new LocalScoreFeed();
    const seen: Score[] = [];
    feed.subscribe((s) => seen.push(s));
    const relay = createScoreRelay({
      log,
      topics: topicNames('t'),
      feed,
      instanceId: 'i-1',
      logger: silentLogger,
    });
    await relay.start();
    relay.publish(score);
    expect(seen).toEqual([score]);
    await relay.close();
  });
});
