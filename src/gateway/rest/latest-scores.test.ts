import { describe, expect, it } from 'vitest';
import { LocalScoreFeed, type Score } from '../../core/index.js';
import { LatestScores } from './latest-scores.js';

const score = (site: string, visitor: string, at: number, propensity = at / 1000): Score => ({
  site,
  visitor,
  sessionId: `${visitor}-s`,
  at,
  propensity,
  markovProbability: 0,
  nextPages: [],
  modelVersion: 'ftrl@1',
});

describe('LatestScores', () => {
  it('keeps the latest score per site and visitor from the feed, until closed', () => {
    const feed = new LocalScoreFeed();
    const latest = new LatestScores(10).follow(feed);
    feed.publish(score('shop', 'v1', 100));
    feed.publish(score('shop', 'v1', 200));
    feed.publish(score('blog', 'v1', 50));
    expect(latest.get('shop', 'v1')?.at).toBe(200);
    expect(latest.get('blog', 'v1')?.at).toBe(50);
    expect(latest.get('shop', 'v2')).toBeUndefined();
    latest.close();
    latest.close();
    expect(feed.size).toBe(0);
    feed.publish(score('shop', 'v1', 300));
    expect(latest.get('shop', 'v1')?.at).toBe(200);
  });

  it('does not go back in event time on a late score', () => {
    const latest = new LatestScores(10);
    latest.put(score('shop', 'v1', 200));
    latest.put(score('shop', 'v1', 150));
    expect(latest.get('shop', 'v1')?.at).toBe(200);
  });

  it('is bounded: the least recently used visitor goes first', () => {
    const latest = new LatestScores(3);
    for (const v of ['a', 'b', 'c']) latest.put(score('shop', v, 1));
    latest.get('shop', 'a');
    latest.put(score('shop', 'd', 1));
    expect(latest.size).toBe(3);
    expect(latest.get('shop', 'b')).toBeUndefined();
    expect(latest.get('shop', 'a')).toBeDefined();
  });

  it('keeps hostile site and visitor ids apart', () => {
    const latest = new LatestScores(10);
    latest.put(score('shop', 'a\u0000b', 1, 0.1));
    latest.put(score('shop\u0000a', 'b', 1, 0.2));
    expect(latest.get('shop', 'a\u0000b')?.propensity).toBe(0.1);
    expect(latest.get('shop\u0000a', 'b')?.propensity).toBe(0.2);
  });
});
