import { isProgrammerError, isRetriable as defaultIsRetriable, toError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (so attempts = retries + 1). Default 5. */
  readonly retries?: number;
  /** Upper bound of the first backoff, ms. Default 100. */
  readonly initialMs?: number;
  /** Cap of any single backoff, ms. Default 10_000. */
  readonly maxMs?: number;
  /** Growth of the bound per attempt. Default 2. */
  readonly factor?: number;
  /** Which errors are worth another attempt. Programmer errors are never retried, whatever this says. */
  readonly isRetriable?: (error: unknown) => boolean;
  /**
   * The least a failure asks to be waited before the next attempt, ms (say, from an HTTP
   * Retry-After); the wait is the larger of this and the backoff. Default none.
   */
  readonly minDelayMs?: (error: Error) => number;
  /** Called before each wait; for logs and metrics. */
  readonly onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  readonly signal?: AbortSignal;
  /** Seams for tests. */
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Delay before retry number `attempt` (0-based): "full jitter", uniformly random in
 * [0, min(maxMs, initialMs * factor^attempt)], which spreads a herd of clients that failed
 * together. Pure so it can be tested.
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  initialMs = 100,
  maxMs = 10_000,
  factor = 2,
): number {
  const bound = Math.min(maxMs, initialMs * factor ** attempt);
  return Math.floor(random() * bound);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(toError(signal.reason));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toError(signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` until it succeeds, a non-retriable error is thrown, or the retries run out. */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 5;
  const isRetriable = options.isRetriable ?? defaultIsRetriable;
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (thrown) {
      if (isProgrammerError(thrown) || attempt >= retries || !isRetriable(thrown)) throw thrown;
      if (options.signal?.aborted) throw thrown;
      const error = toError(thrown);
      const delay = Math.max(
        backoffDelay(attempt, random, options.initialMs, options.maxMs, options.factor),
        options.minDelayMs?.(error) ?? 0,
      );
      options.onRetry?.(error, attempt + 1, delay);
      await wait(delay, options.signal);
    }
  }
}
