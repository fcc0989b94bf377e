import { describe, expect, it } from 'vitest';
import {
  DEPTH_EDGES,
  MARKOV_EDGES,
  bucketCount,
  bucketOf,
  utcHour,
  utcWeekday,
} from './feature-buckets.js';

describe('feature buckets', () => {
  it.each([
    [0, 0],
    [1, 1],
    [5, 5],
    [6, 6],
    [7, 6],
    [8, 7],
    [40, 10],
    [41, 11],
    [10_000, 11],
  ])('puts depth %i in bucket %i', (depth, bucket) => {
    expect(bucketOf(depth, DEPTH_EDGES)).toBe(bucket);
  });

  it('gives NaN its own bucket, the last one', () => {
    expect(bucketOf(Number.NaN, MARKOV_EDGES)).toBe(MARKOV_EDGES.length + 1);
    expect(bucketCount(MARKOV_EDGES)).toBe(MARKOV_EDGES.length + 2);
    expect(bucketOf(-1, MARKOV_EDGES)).toBe(0);
    expect(bucketOf(1, MARKOV_EDGES)).toBe(MARKOV_EDGES.length);
  });

  it.each([
    [Date.UTC(2024, 0, 1, 13, 59), 13, 1], // a Monday
    [Date.UTC(2024, 0, 7, 0, 0), 0, 0], // a Sunday
    [Date.UTC(1969, 11, 31, 23, 0), 23, 3], // before the epoch: a Wednesday
    [0, 0, 4], // 1970-01-01, a Thursday
    [Number.NaN, 0, 0], // no time: a fixed bucket rather than a missing one
  ])('reads hour and weekday of %i in UTC', (ms, hour, weekday) => {
    expect(utcHour(ms)).toBe(hour);
    expect(utcWeekday(ms)).toBe(weekday);
  });
});
