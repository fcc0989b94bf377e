import { setTimeout as delay } from 'node:timers/promises';

export interface PollOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails with `what` and the last
 * state `describe` reports. For waiting on asynchronous effects; never a sleep as an assertion.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: PollOptions & { readonly describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      const state = options.describe === undefined ? '' : ` (last state: ${options.describe()})`;
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${state}`);
    }
    await delay(options.intervalMs ?? 50);
  }
}
