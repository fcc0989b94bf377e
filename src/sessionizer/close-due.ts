import { closeReason } from './session-rules.js';
import { FLAG_CLOSED, USER_ID } from './session-store.js';
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
  // Closes emit, so they go out in a total order (dueOrder). Purges emit nothing and change
  // nothing a close reads (a close reads its session and its successor; a session's successor
  // is purged after it closes), so they follow in the order the drain gave them, unsorted.
  // Measured at 1M open sessions (bench/sessionizer.ts, 11 pairs of runs side by side on the
  // two cores) against sorting them with the closes: faster in 8 of 11, median +6% events per
  // CPU-second (-9% to +17%).
  const slots = new Int32Array(candidates.length);
  const at = new Float64Array(candidates.length);
  const purges = new Int32Array(candidates.length);
  let n = 0;
  let p = 0;
  for (const slot of candidates) {
    const due = state.dueOf(slot);
    if (!timers.isDue(due, watermark)) {
      timers.schedule(slot, due);
    } else if (store.hasFlag(slot, FLAG_CLOSED)) {
      purges[p] = slot;
      p += 1;
    } else {
      slots[n] = slot;
      at[n] = due;
      n += 1;
    }
  }
  let closed = 0;
  const order = dueOrder(state, slots.subarray(0, n), at.subarray(0, n));
  for (let i = 0; i < n; i++) {
    if (i % CLOSE_AHEAD === 0) readAhead(state, order, i, Math.min(n, i + CLOSE_AHEAD), true);
    const slot = order[i] ?? 0;
    emitter.closed(state, slot, closeReason(state, slot));
    store.setFlag(slot, FLAG_CLOSED, true);
    state.closedCount += 1;
    closed += 1;
    const purgeAt = state.closeKey(slot) + state.config.allowedLatenessMs;
    if (timers.isDue(purgeAt, watermark)) state.retire(slot);
    else timers.schedule(slot, purgeAt);
  }
  // A closed session's due time is its purge time (dueOf), found due above.
  for (let i = 0; i < p; i++) {
    if (i % CLOSE_AHEAD === 0) readAhead(state, purges, i, Math.min(p, i + CLOSE_AHEAD), false);
    state.retire(purges[i] ?? 0);
  }
  return closed;
}

/**
 * The due slots in the order their outputs go out: by due time, then start, site and visitor.
 * TRICKY: bucket contents depend on history (due times are corrected lazily) and a restored
 * wheel has another history, so outputs follow a total order of the sessions instead.
 *
 * NOTE: sorted as numbers, not with a comparator: a drain at a million open sessions holds
 * thousands of slots, and a comparator call per comparison cost ~200 ns a slot (4% of the
 * throughput). Each slot's key is (its due time - the earliest) * count + its index: exact
 * integers while they stay below 2^53, so a typed-array sort orders by due time and the index
 * comes back out as key % count. Only slots due at the same millisecond then need the
 * full comparison; due times that are not integers, or too far apart, fall back to it whole.
 */
function dueOrder(state: SessionizerState, slots: Int32Array, at: Float64Array): Int32Array {
  const n = slots.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let integers = true;
  for (let i = 0; i < n; i++) {
    const t = at[i] ?? 0;
    if (t < min) min = t;
    if (t > max) max = t;
    if (!Number.isInteger(t)) integers = false;
  }
  const order = new Int32Array(n);
  const byTie = (a: number, b: number): number => compareSessions(state, a, b);
  if (n < 2 || !integers || (max - min + 1) * n > Number.MAX_SAFE_INTEGER) {
    const index = Array.from({ length: n }, (_, i) => i);
    index.sort((a, b) => (at[a] ?? 0) - (at[b] ?? 0) || byTie(slots[a] ?? 0, slots[b] ?? 0));
    for (let i = 0; i < n; i++) order[i] = slots[index[i] ?? 0] ?? 0;
    return order;
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = ((at[i] ?? 0) - min) * n + i;
  keys.sort();
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    index[i] = (keys[i] ?? 0) % n;
    order[i] = slots[index[i] ?? 0] ?? 0;
  }
  // Runs due at the same millisecond, in the full order.
  for (let from = 0; from < n;) {
    const t = at[index[from] ?? 0];
    let to = from + 1;
    while (to < n && at[index[to] ?? 0] === t) to += 1;
    if (to - from > 1) order.subarray(from, to).sort(byTie);
    from = to;
  }
  return order;
}

/** Sessions due at the same time: by start, then site, then visitor (a total order). */
function compareSessions(state: SessionizerState, a: number, b: number): number {
  const { store } = state;
  return (
    store.start(a) - store.start(b) ||
    compare(state.siteOf(a), state.siteOf(b)) ||
    compare(store.visitorOf(a), store.visitorOf(b))
  );
}

/**
 * Closes (`closing`) or purges whose state is read ahead at a time. A session due now was last
 * touched ~30 minutes of event time ago, so what its close reads besides its record (already
 * loaded by the drain) is likely out of cache: its event log (the path), its visitor string
 * (hashed for the id), its key-table bucket and its user id's slot (both freed when it goes).
 * Touching a group's first, in a loop whose loads do not wait on each other, fetches them in
 * parallel (as processAll does for events). Measured at 1M open sessions (bench/sessionizer.ts,
 * 12 pairs of runs side by side on the two cores): faster in 10 of 12, median +6% events per
 * CPU-second (-6% to +12%).
 *
 * A purge reads the same but for the visitor string: it finds its key's list by identity
 * (SessionizerState.previous). Measured against retiring through a key lookup (which compared
 * the visitor string) with that string read ahead: 11 pairs side by side, faster in 8, median
 * +3% (-2% to +13%).
 */
const CLOSE_AHEAD = 64;
/** What the read-ahead loads add up to, kept so the compiler cannot drop them. */
const ahead = { touched: 0 };

function readAhead(
  state: SessionizerState,
  slots: Int32Array,
  from: number,
  to: number,
  closing: boolean,
): void {
  const { store, logs, keys, users } = state;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const slot = slots[i] ?? 0;
    sum +=
      logs.firstWord(slot) +
      keys.firstBucket(store.hash(slot)) +
      users.count(store.i32(slot, USER_ID));
    if (closing) {
      const visitor = store.visitorOf(slot);
      sum += visitor.charCodeAt(visitor.length - 1);
    }
  }
  ahead.touched = sum;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
