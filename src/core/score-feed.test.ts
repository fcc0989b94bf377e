import { describe, expect, it } from 'vitest';
import { LocalScoreFeed } from './score-feed.js';
import type { Score } from './types.js';

const score = (visitor: string): Score => ({
  site: 's',
  visitor,
  sessionId: `sess-${visitor}`,
  at: 1,
  propensity: 0.5,
  markovProbability: 0.1,
  nextPages: [],
  modelVersion: 'm1',
});

describe('LocalScoreFeed', () => {
  it('delivers every score to every subscriber until it unsubscribes', () => {
    const feed = new LocalScoreFeed();
    const a: string[] = [];
    const b: string[] = [];
    const stopA = feed.subscribe((s) => a.push(s.visitor));
    feed.subscribe((s) => b.push(s.visitor));
    feed.publish(score('v1'));
    stopA();
    feed.publish(score('v2'));
    expect(a).toEqual(['v1']);
    expect(b).toEqual(['v1', 'v2']);
    expect(feed.size).toBe(1);
  });

  it('drops a throwing listener and keeps serving the rest', () => {
    const errors: unknown[] = [];
    const feed = new LocalScoreFeed((error) => errors.push(error));
    const seen: string[] = [];
    feed.subscribe(() => {
      throw new Error('broken socket');
    });
    feed.subscribe((s) => seen.push(s.visitor));
    feed.publish(score('v1'));
    feed.publish(score('v2'));
    expect(seen).toEqual(['v1', 'v2']);
    expect(errors).toHaveLength(1);
    expect(feed.size).toBe(1);
  });
});
