import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { MarkovChain } from './markov-chain.js';
import type { MarkovChainOptions } from './markov-chain-config.js';
import type { MarkovDelta } from './markov-delta.js';
import { decodeDelta, encodeDelta } from './markov-delta.js';
import type { MarkovSnapshot } from './markov-snapshot.js';
import { CONVERSION, NULL, START } from './state-space.js';

interface Event {
  readonly path: readonly string[];
  readonly converted: boolean;
  readonly at: number;
  readonly value?: number;
}

function feed(chain: MarkovChain, events: readonly Event[]): void {
  for (const e of events) {
    let state = START;
    for (const item of e.path) state = chain.step(state, item, e.at);
    if (e.converted) chain.convert(state, e.at, 1, e.value ?? 0);
    else chain.drop(state, e.at);
  }
}

/** label -> conversion probability, and label -> next-state distribution, for comparisons. */
function describeSnapshot(chain: MarkovChain, snapshot: MarkovSnapshot): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (let s = 0; s < snapshot.stateCount; s++) {
    if (s === CONVERSION || s === NULL) continue;
    out.set(chain.label(s), {
      p: Number(snapshot.conversionProbability(s)!.toFixed(12)),
      next: snapshot.nextStates(s).map((n) => [n.label, Number(n.probability.toFixed(12))]),
    });
  }
  return out;
}

const EVENTS: Event[] = [
  { path: ['home', 'product', 'cart'], converted: true, at: 1_000, value: 40 },
  { path: ['home', 'blog'], converted: false, at: 2_000 },
  { path: ['search', 'product', 'product', 'cart'], converted: true, at: 3_000, value: 25 },
  { path: ['home', 'product'], converted: false, at: 4_000 },
  { path: ['blog', 'home', 'product', 'cart'], converted: false, at: 5_000 },
  { path: ['search', 'cart'], converted: true, at: 6_000, value: 10 },
];

describe('MarkovChain options', () => {
  it.each<[MarkovChainOptions, string]>([
    [{ order: 0 }, 'markov.order'],
    [{ order: 4 }, 'markov.order'],
    [{ order: 1.5 }, 'markov.order'],
    [{ halfLifeMs: 0 }, 'markov.halfLifeMs'],
    [{ halfLifeMs: -5 }, 'markov.halfLifeMs'],
    [{ halfLifeMs: Number.POSITIVE_INFINITY }, 'markov.halfLifeMs'],
  ])('rejects %j naming %s', (options, variable) => {
    expect(() => new MarkovChain(options)).toThrow(ConfigError);
    expect(() => new MarkovChain(options)).toThrow(variable);
  });
});

describe('MarkovChain counting', () => {
  it('steps visitors through interned states and collapses repeats', () => {
    const chain = new MarkovChain({ order: 1 });
    const home = chain.step(START, 'home', 0);
    expect(chain.step(home, 'home', 1)).toBe(home);
    const product = chain.step(home, 'product', 2);
    chain.convert(product, 3);
    expect(chain.label(product)).toBe('product');
    expect(chain.stateOf(['blog', 'home', 'product'])).toBe(product);
    expect(chain.stateOf(['nowhere'])).toBeUndefined();
    expect(chain.stateOf([])).toBe(START);
    const snapshot = chain.solve();
    expect(snapshot.nextStates(home)).toEqual([
      { state: product, label: 'product', probability: 1 },
    ]);
  });

  it('counts self-loops when repeats are not collapsed', () => {
    const chain = new MarkovChain({ collapseRepeats: false });
    const home = chain.step(START, 'home', 0);
    expect(chain.step(home, 'home', 1)).toBe(home);
    chain.drop(home, 2);
    expect(
      chain
        .solve()
        .nextStates(home)
        .map((n) => [n.label, n.probability]),
    ).toEqual([
      ['(null)', 0.5],
      ['home', 0.5],
    ]);
  });

  it('keeps the last k items as the state at order 2', () => {
    const chain = new MarkovChain({ order: 2 });
    let state = START;
    for (const item of ['a', 'b', 'c']) state = chain.step(state, item, 0);
    expect(chain.label(state)).toBe('b > c');
    expect(chain.stateOf(['x', 'b', 'c'])).toBe(state);
  });

  it('refuses programmer errors', () => {
    const chain = new MarkovChain();
    expect(() => chain.convert(CONVERSION, 0)).toThrow(RangeError);
    expect(() => chain.step(NULL, 'a', 0)).toThrow(RangeError);
    expect(() => chain.step(999, 'a', 0)).toThrow(RangeError);
    expect(() => chain.step(START, 'a', 0, -1)).toThrow(RangeError);
    expect(() => chain.step(START, 'a', Number.NaN)).toThrow(RangeError);
    expect(() => chain.addPath(['a'], { conversions: Number.NaN })).toThrow(RangeError);
  });

  it('warm-starts: re-solving an unchanged chain takes one sweep', () => {
    const chain = new MarkovChain({ order: 2 });
    feed(chain, EVENTS);
    const cold = chain.solve({ tolerance: 1e-12 });
    const warm = chain.solve({ tolerance: 1e-12 });
    expect(cold.stats.iterations).toBeGreaterThan(1);
    expect(warm.stats.iterations).toBe(1);
  });

  it('leaves a snapshot untouched while the chain keeps counting', () => {
    const chain = new MarkovChain();
    feed(chain, EVENTS);
    const snapshot = chain.solve();
    const before = describeSnapshot(chain, snapshot);
    feed(chain, [{ path: ['home', 'new-page'], converted: true, at: 9_000 }]);
    expect(describeSnapshot(chain, snapshot)).toEqual(before);
    const newPage = chain.stateOf(['new-page'])!;
    expect(snapshot.conversionProbability(newPage)).toBeUndefined();
    expect(snapshot.stateOf(['new-page'])).toBeUndefined();
    expect(chain.solve().conversionProbability(newPage)).toBe(1);
  });
});

describe('MarkovChain deltas', () => {
  for (const options of [{ order: 1 }, { order: 2 }, { order: 3, halfLifeMs: 1_500 }]) {
    it(`merging every instance's delta equals one instance that saw all (${JSON.stringify(options)})`, () => {
      const whole = new MarkovChain(options);
      feed(whole, EVENTS);
      const left = new MarkovChain(options);
      const right = new MarkovChain(options);
      // Right's first event is the newest: its decay reference differs from left's.
      feed(left, EVENTS.slice(0, 3));
      feed(right, EVENTS.slice(3).reverse());
      const merged = new MarkovChain(options);
      for (const delta of [right.exportDelta(), left.exportDelta()]) {
        const decoded = decodeDelta(encodeDelta(delta));
        if (!decoded.ok) throw new Error(decoded.reason);
        expect(merged.mergeDelta(decoded.value).ok).toBe(true);
      }
      expect(describeSnapshot(merged, merged.solve({ tolerance: 1e-14 }))).toEqual(
        describeSnapshot(whole, whole.solve({ tolerance: 1e-14 })),
      );
      expect(merged.latestTime).toBe(whole.latestTime);
    });
  }

  it('exports each count once, and never re-exports merged counts', () => {
    const a = new MarkovChain();
    const b = new MarkovChain();
    feed(a, EVENTS.slice(0, 2));
    feed(b, EVENTS.slice(2));
    const first = a.exportDelta();
    expect(first.edges.from.length).toBeGreaterThan(0);
    expect(a.exportDelta().edges.from.length).toBe(0);
    expect(a.mergeDelta(b.exportDelta()).ok).toBe(true);
    expect(a.exportDelta().edges.from.length).toBe(0);
    feed(a, [EVENTS[0]!]);
    const next = a.exportDelta();
    const total = next.edges.weight.reduce((s, w) => s + w, 0);
    expect(total).toBe(4); // start->home, home->product, product->cart, cart->conversion
    // exportCounts is everything and drains nothing.
    expect(a.exportCounts().edges.weight.reduce((s, w) => s + w, 0)).toBeGreaterThan(total);
  });

  it('refuses a delta from a chain with other settings or with broken references', () => {
    const order1 = new MarkovChain({ order: 1 });
    const order2 = new MarkovChain({ order: 2 });
    feed(order2, EVENTS);
    const incompatible = order1.mergeDelta(order2.exportDelta());
    expect(incompatible.ok || incompatible.code).toBe('delta_incompatible');
    feed(order1, EVENTS);
    const good = order1.exportCounts();
    const broken: MarkovDelta[] = [
      { ...good, states: [[99]] },
      { ...good, edges: { ...good.edges, to: good.edges.to.map(() => 9_999) } },
      { ...good, edges: { ...good.edges, weight: good.edges.weight.map(() => -1) } },
      { ...good, edges: { ...good.edges, from: new Uint32Array(1) } },
    ];
    const fresh = new MarkovChain({ order: 1 });
    for (const delta of broken) {
      const result = fresh.mergeDelta(delta);
      expect(result.ok || result.code).toBe('delta_invalid');
    }
    expect(fresh.edgeCount).toBe(0);
  });
});

describe('MarkovChain decay', () => {
  const halfLifeMs = 1_000;

  it('gives the same answer whatever order the events arrive in', () => {
    const inOrder = new MarkovChain({ halfLifeMs });
    const shuffled = new MarkovChain({ halfLifeMs });
    feed(inOrder, EVENTS);
    feed(shuffled, [EVENTS[4]!, EVENTS[0]!, EVENTS[5]!, EVENTS[2]!, EVENTS[1]!, EVENTS[3]!]);
    expect(describeSnapshot(shuffled, shuffled.solve({ tolerance: 1e-14 }))).toEqual(
      describeSnapshot(inOrder, inOrder.solve({ tolerance: 1e-14 })),
    );
  });

  it('rebases across hundreds of half-lives without overflow, forgetting the old', () => {
    const chain = new MarkovChain({ halfLifeMs });
    // Early: home always converts. Much later (500 half-lives): home never does.
    feed(
      chain,
      Array.from({ length: 50 }, (_, i) => ({ path: ['home'], converted: true, at: i })),
    );
    feed(
      chain,
      Array.from({ length: 5 }, (_, i) => ({ path: ['home'], converted: false, at: 500_000 + i })),
    );
    const snapshot = chain.solve();
    const home = chain.stateOf(['home'])!;
    expect(snapshot.conversionProbability(home)).toBeLessThan(1e-100);
    expect(Number.isFinite(snapshot.support(home))).toBe(true);
    expect(snapshot.support(home)).toBeCloseTo(
      2 ** -0.004 + 2 ** -0.003 + 2 ** -0.002 + 2 ** -0.001 + 1,
      9,
    );
    const counts = chain.exportCounts();
    expect(counts.edges.weight.every((w) => Number.isFinite(w))).toBe(true);
  });

  it('halves a transition weight after one half-life', () => {
    const chain = new MarkovChain({ halfLifeMs });
    feed(chain, [
      { path: ['a'], converted: true, at: 0 },
      { path: ['a'], converted: false, at: halfLifeMs },
    ]);
    // conversion weighs 1/2 as of the newest event, null 1: P = (1/2) / (3/2).
    expect(chain.solve().conversionProbability(chain.stateOf(['a'])!)).toBeCloseTo(1 / 3, 14);
  });
});
