/**
 * Exponential time decay of counts, applied lazily by event time ("forward decay", Cormode,
 * Shkapenyuk, Srivastava and Xu, ICDE 2009).
 *
 * A count observed at event time t is stored as w * 2^((t - ref) / halfLife) for a reference
 * time `ref`. Its decayed value at any later time T is stored * 2^(-(T - ref) / halfLife): the
 * same factor for every count. So:
 *
 * - no count is ever touched when time passes (no per-edge timestamps, no sweeps per event);
 * - transition probabilities are ratios within a row, where the common factor cancels: the solver
 *   reads the stored numbers directly, and "decayed as of now" holds for every state at once;
 * - events may arrive out of order: an event's weight depends on its own time only, so a replay
 *   in any order gives the same counts, and deltas stay additive.
 *
 * The stored numbers grow as 2^((t - ref)/halfLife); before the exponent would leave the safe
 * float range the chain rebases (multiplies everything by 2^-(newRef - ref)/halfLife, O(edges),
 * once every REBASE_HALF_LIVES half-lives of event time).
 */

/** Rebase once the newest event is this many half-lives past the reference: 2^64 is far from overflow. */
export const REBASE_HALF_LIVES = 64;

/** Multiplier that moves a stored count from reference time `from` to reference time `to`. */
export function rebaseFactor(halfLifeMs: number, from: number, to: number): number {
  return 2 ** (-(to - from) / halfLifeMs);
}

/** The stored weight of `weight` observed at `time`, relative to `referenceTime`. */
export function forwardWeight(
  halfLifeMs: number,
  referenceTime: number,
  time: number,
  weight: number,
): number {
  return weight * 2 ** ((time - referenceTime) / halfLifeMs);
}
