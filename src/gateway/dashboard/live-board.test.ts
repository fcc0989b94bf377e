import { describe, expect, it } from 'vitest';
import type { Score } from '../../core/index.js';
import { LiveBoard } from './live-board.js';

const NOW = 10_000_000;
const score = (
  visitor: string,
  propensity: number,
  at = NOW,
  sessionId = `s-${visitor}`,
): Score => ({
  site: 'shop',
  visitor,
  sessionId,
  at,
  propensity,
  markovProbability: propensity / 2,
  nextPages: [{ pageType: '/cart', probability: 0.4 }],
  modelVersion: 'ftrl@1',
});

describe('LiveBoard', () => {
  it('keeps the latest score per visitor and lists them by propensity', () => {
    const board = new LiveBoard({ windowMs: 60_000 });
    board.add(score('a', 0.2), NOW);
    board.add(score('b', 0.9), NOW);
    // c and b share a session (one person, two devices stitched).
    board.add(score('c', 0.5, NOW, 's-b'), NOW);
    board.add(score('a', 0.7, NOW + 1), NOW + 1);
    // An older score of a visitor does not replace the newer one.
    board.add(score('a', 0.1, NOW - 5), NOW + 2);
    expect(board.top(NOW + 2, 10).map((s) => [s.visitor, s.propensity, s.updates])).toEqual([
      ['b', 0.9, 1],
      ['a', 0.7, 3],
      ['c', 0.5, 1],
    ]);
    expect(board.top(NOW + 2, 2)).toHaveLength(2);
    const summary = board.summary(NOW + 2);
    expect(summary).toMatchObject({ liveVisitors: 3, liveSessions: 2 });
    expect(summary.averagePropensity).toBeCloseTo((0.9 + 0.7 + 0.5) / 3, 12);
  });

  it('counts only events within the window: replays and far-future clocks are not live', () => {
    const board = new LiveBoard({ windowMs: 60_000 });
    board.add(score('old', 0.5, NOW - 60_000), NOW);
    board.add(score('future', 0.5, NOW + 60_001), NOW);
    board.add(score('now', 0.5, NOW - 59_999), NOW);
    expect(board.size).toBe(1);
    expect(board.summary(NOW + 1)).toMatchObject({ liveVisitors: 0, averagePropensity: null });
  });

  it('drops the least recently scored visitor past its bound', () => {
    const board = new LiveBoard({ windowMs: 60_000, maxVisitors: 2 });
    board.add(score('a', 0.1), NOW);
    board.add(score('b', 0.2), NOW);
    board.add(score('a', 0.3, NOW + 1), NOW + 1);
    board.add(score('c', 0.4), NOW + 2);
    expect(board.top(NOW + 2, 10).map((s) => s.visitor)).toEqual(['c', 'a']);
  });
});
