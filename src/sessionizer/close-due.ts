import { closeReason } from './session-rules.js';
import { FLAG_CLOSED } from './session-store.js';
import type { SessionEmitter } from './session-emitter.js';
import type { SessionizerState } from './sessionizer-state.js';

/**
 * Closes the sessions the watermark has passed (emitting their SessionClosed) and purges those
 * past the allowed lateness too. Returns the number closed.
 *
 * In eager mode a session closes at closeKey (its gap, max length or successor, see
 * SessionizerState.closeKey) and is kept until closeKey + allowedLateness for late data; in final
 * mode it closes and goes at closeKey + allowedLateness. Either happens once the watermark has
 * left the due time's second (timer-wheel.ts).
 */
export function closeDue(state: SessionizerState, emitter: SessionEmitter): number {
  const { timers, store } = state;
  const watermark = state.watermark;
  const candidates: number[] = [];
  timers.drain(watermark, candidates);
  const due: { readonly slot: number; readonly at: number }[] = [];
  for (const slot of candidates) {
    const at = state.dueOf(slot);
    if (timers.isDue(at, watermark)) due.push({ slot, at });
    else timers.schedule(slot, at);
  }
  // TRICKY: bucket contents depend on history (due times are corrected lazily) and a restored
  // wheel has another history, so outputs follow a total order of the sessions instead.
  due.sort(
    (a, b) =>
      a.at - b.at ||
      store.start(a.slot) - store.start(b.slot) ||
      compare(state.siteOf(a.slot), state.siteOf(b.slot)) ||
      compare(store.visitorOf(a.slot), store.visitorOf(b.slot)),
  );
  let closed = 0;
  for (const { slot } of due) {
    if (!store.hasFlag(slot, FLAG_CLOSED)) {
      emitter.closed(state, slot, closeReason(state, slot));
      store.setFlag(slot, FLAG_CLOSED, true);
      state.closedCount += 1;
      closed += 1;
    }
    const purgeAt = state.closeKey(slot) + state.config.allowedLatenessMs;
    if (timers.isDue(purgeAt, watermark)) state.retire(slot);
    else timers.schedule(slot, purgeAt);
  }
  return closed;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
