import { sleep as defaultSleep, systemClock, type Clock } from '../core/index.js';
import type { SimulatedEvent } from './simulated-event.js';

/**
 * How fast records leave: `none` as fast as the sink takes them; `send-at` each at its own
 * `sendAt` by the wall clock (live timing, so timestamps are "now"); `rate` a steady number a
 * second whatever their times (historical timing sent at a chosen pace).
 */
export type Pacing =
  | { readonly mode: 'none' }
  | { readonly mode: 'send-at' }
  | { readonly mode: 'rate'; readonly perSecond: number };

export interface PacingDeps {
  readonly clock?: Clock;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

/** Waits shorter than this are skipped: timers cannot do better, and the debt is paid later. */
const MIN_WAIT_MS = 2;

export async function* paced(
  records: Iterable<SimulatedEvent>,
  pacing: Pacing,
  deps: PacingDeps = {},
): AsyncGenerator<SimulatedEvent> {
  const clock = deps.clock ?? systemClock;
  const wait = deps.sleep ?? defaultSleep;
  const begin = clock.now();
  let index = 0;
  for (const record of records) {
    let due = 0;
    if (pacing.mode === 'send-at') due = record.sendAt - clock.now();
    else if (pacing.mode === 'rate') due = begin + (index * 1000) / pacing.perSecond - clock.now();
    if (due >= MIN_WAIT_MS) await wait(due, deps.signal);
    index++;
    yield record;
  }
}
