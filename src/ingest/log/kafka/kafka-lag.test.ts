import { describe, expect, it } from 'vitest';
import { partitionLag } from './kafka-lag.js';

describe('partitionLag', () => {
  it('measures from the committed offset, or from the log start when the group never committed', () => {
    expect(
      partitionLag({
        committed: [
          { partition: 1, offset: '40' },
          { partition: 0, offset: '-1' },
        ],
        ends: [
          { partition: 1, high: '100', low: '0' },
          { partition: 0, high: '30', low: '10' },
          { partition: 2, high: '5', low: '5' },
        ],
      }),
    ).toEqual([
      { partition: 0, committed: null, end: 30, lag: 20 },
      { partition: 1, committed: 40, end: 100, lag: 60 },
      { partition: 2, committed: null, end: 5, lag: 0 },
    ]);
  });

  it('never reports a negative lag (a commit ahead of a truncated log)', () => {
    expect(
      partitionLag({
        committed: [{ partition: 0, offset: '50' }],
        ends: [{ partition: 0, high: '20', low: '0' }],
      }),
    ).toEqual([{ partition: 0, committed: 50, end: 20, lag: 0 }]);
  });
});
