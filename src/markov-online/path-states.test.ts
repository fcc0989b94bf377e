import { describe, expect, it } from 'vitest';
import { lastTuple, nextTuple, pathToTuples } from './path-states.js';

describe('pathToTuples', () => {
  const a = 0;
  const b = 1;
  const c = 2;
  it.each([
    // [items, order, collapse, expected]
    [[a, a, b], 1, true, [[a], [b]]],
    [[a, a, b], 1, false, [[a], [a], [b]]],
    [[a, b, a], 1, true, [[a], [b], [a]]],
    [[a, b, c], 2, true, [[a], [a, b], [b, c]]],
    [[a, b], 3, true, [[a], [a, b]]],
    [[a, b, c, a], 3, true, [[a], [a, b], [a, b, c], [b, c, a]]],
    [[a, a, a, b], 2, true, [[a], [a, a], [a, b]]],
    [[a, a, a, b], 2, false, [[a], [a, a], [a, a], [a, b]]],
    [[], 2, true, []],
  ] as const)('%j at order %i, collapse %s', (items, order, collapse, expected) => {
    expect(pathToTuples([...items], order, collapse)).toEqual(expected);
  });
});

describe('growing windows one item at a time', () => {
  it('agrees with pathToTuples without collapsing', () => {
    const items = [3, 1, 4, 1, 5, 9, 2, 6];
    for (const order of [1, 2, 3]) {
      let tuple: number[] = [];
      const stepped: number[][] = [];
      for (const item of items) {
        tuple = nextTuple(tuple, item, order);
        stepped.push(tuple);
      }
      expect(stepped).toEqual(pathToTuples(items, order, false));
      expect(lastTuple(items, order)).toEqual(stepped[stepped.length - 1]);
    }
  });
});
