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
