import { describe, expect, it } from 'vitest';
import { MarkovChain } from './markov-chain.js';
import { CONVERSION, NULL, START } from './state-space.js';

/** A page-type flow where checkout is the only way to convert and blog mostly leaks. */
function pageFlow(): MarkovChain {
  const chain = new MarkovChain({ order: 1 });
  const journeys: Array<[string[], boolean, number]> = [
    [['home', 'product', 'checkout'], true, 30],
    [['home', 'product', 'checkout'], false, 10],
    [['home', 'blog'], false, 40],
    [['home', 'blog', 'product', 'checkout'], true, 5],
    [['search', 'product'], false, 20],
    [['search', 'product', 'checkout'], true, 15],
  ];
  let t = 0;
  for (const [path, converted, times] of journeys) {
    for (let i = 0; i < times; i++) {
      let state = START;
      for (const page of path) state = chain.step(state, page, t++);
      if (converted) chain.convert(state, t++, 1, 100);
      else chain.drop(state, t++);
    }
  }
  return chain;
}

describe('MarkovSnapshot queries', () => {
  it('answers the live conversion probability from the current page', () => {
    const chain = pageFlow();
    const snapshot = chain.solve({ tolerance: 1e-14 });
    // checkout: 50 conversions of 60 exits.
    expect(snapshot.conversionProbability(snapshot.stateOf(['checkout'])!)).toBeCloseTo(
      50 / 60,
      12,
    );
    expect(snapshot.conversionProbability(CONVERSION)).toBe(1);
    expect(snapshot.conversionProbability(NULL)).toBe(0);
    expect(snapshot.conversionProbability(10_000)).toBeUndefined();
    expect(snapshot.stateOf(['unknown page'])).toBeUndefined();
    // 50 of 120 journeys converted, and a first-order chain reproduces that from start.
    expect(snapshot.conversionProbability(START)).toBeCloseTo(50 / 120, 12);
    expect(snapshot.support(snapshot.stateOf(['blog'])!)).toBe(45);
  });

  it('gives the next-page distribution, most likely first, summing to 1', () => {
    const snapshot = pageFlow().solve();
    const next = snapshot.nextStates(snapshot.stateOf(['home'])!);
    expect(next.map((n) => [n.label, n.probability])).toEqual([
      ['blog', 45 / 85],
      ['product', 40 / 85],
    ]);
    const fromCheckout = snapshot.nextStates(snapshot.stateOf(['checkout'])!);
    expect(fromCheckout.map((n) => n.label)).toEqual(['(conversion)', '(null)']);
    expect(fromCheckout.reduce((s, n) => s + n.probability, 0)).toBeCloseTo(1, 15);
    expect(snapshot.nextStates(CONVERSION)).toEqual([]);
  });

  it('ranks pages by how much their removal lowers conversion', () => {
    const snapshot = pageFlow().solve({ tolerance: 1e-14 });
    const ranking = snapshot.removalRanking();
    expect(ranking.map((r) => r.item)).toEqual(['checkout', 'product', 'home', 'search', 'blog']);
    // Every conversion passes checkout and product.
    expect(ranking[0]!.removalEffect).toBeCloseTo(1, 12);
    expect(ranking[1]!.removalEffect).toBeCloseTo(1, 12);
    expect(ranking[0]!.conversionProbabilityWithout).toBeCloseTo(0, 12);
    expect(snapshot.removalRanking(2)).toHaveLength(2);
    expect(snapshot.removalEffects()).toEqual(snapshot.removalEffects());
    expect(snapshot.removalEffect('checkout')).toMatchObject({
      item: 'checkout',
      removalEffect: ranking[0]!.removalEffect,
    });
    expect(snapshot.removalEffect('no such page')).toBeUndefined();
    expect(snapshot.items()).toEqual(['home', 'product', 'checkout', 'blog', 'search']);
  });

  it('answers zero, not NaN, on a chain that never converted', () => {
    const chain = new MarkovChain();
    chain.drop(chain.step(START, 'a', 0), 0);
    const snapshot = chain.solve();
    expect(snapshot.conversionProbability(START)).toBe(0);
    expect(snapshot.removalEffects()).toEqual([
      { item: 'a', removalEffect: 0, valueRemovalEffect: 0, conversionProbabilityWithout: 0 },
    ]);
    expect(snapshot.expectedValue()).toBe(0);
  });
});
