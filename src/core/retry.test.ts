import { describe, expect, it } from 'vitest';
import { TransientError, ValidationError } from './errors.js';
import { backoffDelay, retry, sleep } from './retry.js';

const noSleep = (): Promise<void> => Promise.resolve();

describe('backoffDelay', () => {
  it.each([
    [0, 1, 100],
    [1, 1, 200],
    [3, 1, 800],
    [20, 1, 10_000],
    [5, 0, 0],
    [2, 0.5, 200],
  ])('attempt %i with random %f -> %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, () => random)).toBe(expected);
  });

  it('never exceeds the cap', () => {
    for (let attempt = 0; attempt < 50; attempt++) {
      expect(backoffDelay(attempt, () => 0.999_999, 100, 5_000)).toBeLessThan(5_000);
    }
  });
});

describe('retry', () => {
  it('retries retriable errors until success', async () => {
    let calls = 0;
    const delays: number[] = [];
    const value = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new TransientError('down', 'not yet');
        return 'done';
      },
      { sleep: noSleep, random: () => 1, onRetry: (_e, _a, delay) => delays.push(delay) },
    );
    expect(value).toBe('done');
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
  });

  it('waits at least what a failure asks for (minDelayMs), else the backoff', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls === 1)
          throw new TransientError('busy', 'come back in 3 s', { details: { ms: 3_000 } });
        if (calls === 2) throw new TransientError('busy', 'no hint');
        return 'done';
      },
      {
        sleep: async (ms) => {
          delays.push(ms);
        },
        random: () => 1,
        minDelayMs: (error) => ((error as TransientError).details['ms'] as number | undefined) ?? 0,
      },
    );
    expect(result).toBe('done');
    // The first wait is the 3 s asked for (backoff bound 100); the second the backoff (200).
    expect(delays).toEqual([3_000, 200]);
  });

  it('gives up after the configured retries with the last error', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new TransientError('down', `attempt ${calls}`);
        },
        { retries: 2, sleep: noSleep },
      ),
    ).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
  });

  it('never retries a programmer error, even when told everything is retriable', async () => {
    let calls = 0;
    const bug = new TypeError('undefined is not a function');
    await expect(
      retry(
        async () => {
          calls++;
          throw bug;
        },
        { sleep: noSleep, isRetriable: () => true },
      ),
    ).rejects.toBe(bug);
    expect(calls).toBe(1);
  });

  it('does not retry a non-retriable error by default', async () => {
    let calls = 0;
    const invalid = new ValidationError('bad_event', 'bad input');
    await expect(
      retry(
        async () => {
          calls++;
          throw invalid;
        },
        { sleep: noSleep },
      ),
    ).rejects.toBe(invalid);
    expect(calls).toBe(1);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const waiting = sleep(10_000, controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
  });
});
