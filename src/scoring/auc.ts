import { sortByScore, type SortedPairs } from './sort-order.js';

/**
 * Exact ROC AUC: the probability that a random positive scores above a random negative, ties
 * counting one half (the Mann-Whitney U statistic over P x N). O(n log n) by one sort, then one
 * pass over runs of equal scores. NaN when either class is absent, since no pair exists.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return aucOfSorted(sortByScore(scores, labels));
}

export function aucOfSorted(sorted: SortedPairs): number {
  const { scores, labels } = sorted;
  let negativesBelow = 0;
  let pairs = 0;
  let positives = 0;
  let k = 0;
  while (k < scores.length) {
    const score = scores[k] as number;
    let pos = 0;
    let neg = 0;
    while (k < scores.length && scores[k] === score) {
      if ((labels[k] as number) > 0) pos++;
      else neg++;
      k++;
    }
    pairs += pos * negativesBelow + 0.5 * pos * neg;
    negativesBelow += neg;
    positives += pos;
  }
  if (positives === 0 || negativesBelow === 0) return Number.NaN;
  return pairs / (positives * negativesBelow);
}
