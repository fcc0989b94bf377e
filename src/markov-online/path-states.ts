/**
 * How a path of items (channels, page types) becomes a sequence of Markov states.
 *
 * A state of an order-k chain is a tuple of at most k item ids: the prefixes until k items were
 * seen, then the sliding window of the last k, so `a > b > c` at order 2 is (a), (a b), (b c).
 * This cut can be made one event at a time, so live stepping and batch paths share one state
 * space.
 *
 * ChannelAttribution's `markov_model` (its C++ "riconduco a order=1" step) cuts differently: a
 * path of at most k items is one state and a longer path is only its full windows, (a b), (b c).
 * The difference changes nothing it reports: our prefix states are reached only from start or
 * from a shorter prefix, so they form a tree that merely splits the package's one start
 * transition into several steps with the same product. Every window state is reached with the
 * same probability, and every absorption probability from start and every removal effect is
 * equal (exact-reference.test.ts checks ours against a reference built the package's way).
 *
 * Consecutive identical states are collapsed when `collapseRepeats` is set, as the package does
 * (`if(ichannel!=ichannel_old)`): at order 1 `a > a > b` is start -> a -> b. That only removes
 * self-loops, which change the next-state distribution but never an absorption probability
 * (x_s = (r_s + sum_j p_sj x_j) / (1 - p_ss) is the same with the loop renormalised away), so
 * removal effects do not depend on it either.
 */

/** Cuts `items` (item ids) into state tuples, collapsing consecutive repeats when asked. */
export function pathToTuples(
  items: readonly number[],
  order: number,
  collapseRepeats: boolean,
): number[][] {
  const tuples: number[][] = [];
  for (let end = 1; end <= items.length; end++) {
    const tuple = items.slice(Math.max(0, end - order), end);
    const previous = tuples[tuples.length - 1];
    if (collapseRepeats && previous !== undefined && sameTuple(previous, tuple)) continue;
    tuples.push(tuple);
  }
  return tuples;
}

/** The state tuple a visitor is in after `items`: their last (at most) k items. */
export function lastTuple(items: readonly number[], order: number): number[] {
  return items.slice(Math.max(0, items.length - order));
}

/** The tuple after `tuple` when `item` comes next: append, dropping the oldest beyond k. */
export function nextTuple(tuple: ArrayLike<number>, item: number, order: number): number[] {
  const keep = Math.min(tuple.length, order - 1);
  const next: number[] = [];
  for (let i = tuple.length - keep; i < tuple.length; i++) next.push(tuple[i] as number);
  next.push(item);
  return next;
}

function sameTuple(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
