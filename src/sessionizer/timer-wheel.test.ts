import { describe, expect, it } from 'vitest';
import { prng } from './test-support.js';
import { TimerWheel } from './timer-wheel.js';

/** Drives a wheel like the sessionizer does: due times that grow lazily, a rising watermark. */
describe('TimerWheel', () => {
  it('hands out each slot once its due second has passed, however it was scheduled', () => {
    const random = prng(11);
    const wheel = new TimerWheel(1000, 64);
    const slots = 2000;
    wheel.resize(slots);
    const due = new Float64Array(slots).fill(Number.POSITIVE_INFINITY);
    const fired = new Float64Array(slots).fill(Number.NaN);
    let watermark = 0;
    const fire = (): void => {
      const out: number[] = [];
      wheel.drain(watermark, out);
      for (const slot of out) {
        if (wheel.isDue(due[slot] ?? 0, watermark)) fired[slot] = watermark;
        else wheel.schedule(slot, due[slot] ?? 0);
      }
    };
    for (let slot = 0; slot < slots; slot++) {
      // Sometimes far beyond the ring's horizon, sometimes already overdue.
      const at = watermark + Math.floor(random() * 200_000) - 5_000;
      due[slot] = at;
      wheel.schedule(slot, at);
      if (random() < 0.3) due[slot] = at + Math.floor(random() * 20_000); // lazy: grew later
      watermark += Math.floor(random() * (random() < 0.01 ? 500_000 : 300));
      if (wheel.pending(watermark)) fire();
    }
    watermark = Number.POSITIVE_INFINITY;
    fire();
    for (let slot = 0; slot < slots; slot++) {
      const at = due[slot] ?? 0;
      const when = fired[slot] ?? Number.NaN;
      // Fired at the first watermark past the due second, never before.
      expect(Number.isNaN(when)).toBe(false);
      expect(Math.floor(when / 1000)).toBeGreaterThan(Math.floor(at / 1000));
    }
  });

  it('hands out each slot once, however often it moved, and never one taken off', () => {
    const random = prng(29);
    const wheel = new TimerWheel(1000, 32);
    const slots = 3000;
    wheel.resize(slots);
    const due = new Float64Array(slots).fill(Number.NaN);
    const fired = new Int32Array(slots);
    let watermark = 0;
    wheel.drain(watermark, []);
    const fire = (): void => {
      const out: number[] = [];
      wheel.drain(watermark, out);
      for (const slot of out) {
        const at = due[slot] ?? Number.NaN;
        expect(Number.isNaN(at)).toBe(false);
        if (wheel.isDue(at, watermark)) {
          fired[slot] = (fired[slot] ?? 0) + 1;
          due[slot] = Number.NaN;
        } else wheel.schedule(slot, at);
      }
    };
    for (let step = 0; step < 20_000; step++) {
      const slot = Math.floor(random() * slots);
      const roll = random();
      if (roll < 0.15) {
        // Taken off (a purge), then maybe scheduled again at once (a reused slot).
        wheel.unschedule(slot);
        due[slot] = Number.NaN;
      } else if (fired[slot] === 0) {
        // Moved earlier or later, back and forth across buckets (entries left behind).
        const at = watermark + Math.floor(random() * 40_000) - 2_000;
        due[slot] = at;
        wheel.schedule(slot, at);
      }
      watermark += Math.floor(random() * 40);
      if (wheel.pending(watermark)) fire();
    }
    watermark = Number.POSITIVE_INFINITY;
    fire();
    expect(Math.max(...fired)).toBe(1);
    expect(fired.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(due.every((at) => Number.isNaN(at))).toBe(true);
    // Every entry, stale ones included, went with the buckets drained.
    expect(wheel.entries).toBe(0);
  });

  it('takes a slot back to a bucket it left only once', () => {
    const wheel = new TimerWheel(1000, 8);
    wheel.resize(2);
    wheel.drain(0, []);
    wheel.schedule(0, 1_500);
    wheel.schedule(0, 4_500);
    wheel.schedule(0, 1_200);
    wheel.schedule(1, 1_100);
    expect(wheel.entries).toBe(4);
    const out: number[] = [];
    wheel.drain(2_000, out);
    expect(out).toEqual([0, 1]);
    const later: number[] = [];
    wheel.drain(6_000, later);
    expect(later).toEqual([]);
    expect(wheel.entries).toBe(0);
  });

  it('gives back the room of a burst once its bucket is drained', () => {
    const wheel = new TimerWheel(1000, 8);
    wheel.resize(100_000);
    wheel.drain(0, []);
    for (let slot = 0; slot < 100_000; slot++) wheel.schedule(slot, 1_500);
    expect(wheel.room).toBeGreaterThanOrEqual(100_000);
    const out: number[] = [];
    wheel.drain(2_000, out);
    expect(out).toHaveLength(100_000);
    // Then the bucket's next turn holds only a few: the burst's room goes with it.
    for (let slot = 0; slot < 10; slot++) wheel.schedule(slot, 9_500);
    wheel.drain(10_000, []);
    expect(wheel.room).toBeLessThan(1_000);
  });

  it('unschedules in O(1) from any position of a bucket', () => {
    const wheel = new TimerWheel(1000, 8);
    wheel.resize(4);
    wheel.drain(0, []);
    for (const slot of [0, 1, 2, 3]) wheel.schedule(slot, 500);
    wheel.unschedule(2);
    wheel.unschedule(3);
    wheel.unschedule(0);
    wheel.unschedule(0);
    const out: number[] = [];
    wheel.drain(1000, out);
    expect(out).toEqual([1]);
  });
});
