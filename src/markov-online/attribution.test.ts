import { describe, expect, it } from 'vitest';
import { attribute, channelsInOrder, heuristicAttribution } from './attribution.js';
import type { Journey } from './path-file.js';

const journey = (channels: string[], conversions: number, value: number, nulls = 0): Journey => ({
  line: 0,
  channels,
  conversions,
  value,
  nulls,
});

describe('heuristic attribution (ChannelAttribution semantics)', () => {
  const journeys = [
    journey(['a', 'b', 'a'], 3, 30),
    journey(['c'], 1, 5),
    journey(['b', 'c'], 0, 0, 9),
  ];

  it('credits the first and the last channel of the raw path', () => {
    const { first, last } = heuristicAttribution(journeys);
    expect(first).toEqual({
      a: { conversions: 3, value: 30 },
      b: { conversions: 0, value: 0 },
      c: { conversions: 1, value: 5 },
    });
    expect(last).toEqual(first);
  });

  it('gives each occurrence 1/length in linear, repeats included', () => {
    const { linear } = heuristicAttribution(journeys);
    expect(linear['a']!.conversions).toBeCloseTo(2, 14);
    expect(linear['a']!.value).toBeCloseTo(20, 14);
    expect(linear['b']!.conversions).toBeCloseTo(1, 14);
    expect(linear['c']!.conversions).toBeCloseTo(1, 14);
  });

  it('lists channels in order of first appearance, including never-credited ones', () => {
    expect(channelsInOrder(journeys)).toEqual(['a', 'b', 'c']);
  });
});

describe('attribute', () => {
  it('returns an own property for a channel named __proto__', () => {
    const { report } = attribute([journey(['__proto__', 'x'], 2, 4)], {
      order: 1,
      withNull: false,
    });
    expect(Object.keys(report.markov)).toEqual(['__proto__', 'x']);
    expect(JSON.parse(JSON.stringify(report)).first.__proto__).toEqual({
      conversions: 2,
      value: 4,
    });
  });

  it('attributes nothing, without NaN, when nothing converted', () => {
    const { report } = attribute([journey(['a', 'b'], 0, 0, 5)], { order: 2, withNull: true });
    expect(report.markov).toEqual({
      a: { removal_effect: 0, value_removal_effect: 0, conversions: 0, value: 0 },
      b: { removal_effect: 0, value_removal_effect: 0, conversions: 0, value: 0 },
    });
  });

  it('ignores total_null unless asked', () => {
    const journeys = [journey(['a'], 1, 1, 0), journey(['b'], 1, 1, 100)];
    const without = attribute(journeys, { order: 1, withNull: false });
    const withNull = attribute(journeys, { order: 1, withNull: true });
    expect(without.conversionProbability).toBeCloseTo(1, 14);
    expect(withNull.conversionProbability).toBeCloseTo(2 / 102, 14);
    // Each single-channel journey owns its conversions either way.
    expect(withNull.report.markov['a']!.conversions).toBeCloseTo(1, 12);
  });

  it('splits value by value removal effects when values per conversion differ', () => {
    // a -> conversion worth 10 each, b -> conversion worth 1 each, same counts.
    const journeys = [journey(['a'], 1, 10), journey(['b'], 1, 1)];
    const { report } = attribute(journeys, { order: 1, withNull: false });
    expect(report.markov['a']!.conversions).toBeCloseTo(1, 12);
    expect(report.markov['a']!.value).toBeCloseTo(10, 12);
    expect(report.markov['b']!.value).toBeCloseTo(1, 12);
  });
});
