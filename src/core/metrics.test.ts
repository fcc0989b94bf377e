import { Histogram, Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  counter,
  counterChild,
  LightHistogram,
  metricValue,
  registry,
  type HistogramSeries,
} from './metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0, 0.0005, 0.001, 0.002, 0.01, 0.5, 1, 7, -3];

/** The same histogram, once from prom-client and once light, each in a registry of its own. */
function pair(labelNames: string[]) {
  const reference = new Registry();
  const light = new Registry();
  const theirs = new Histogram({
    name: 'h_seconds',
    help: 'a timing',
    buckets: BUCKETS,
    labelNames,
    registers: [reference],
  });
  const ours = new LightHistogram('h_seconds', 'a timing', BUCKETS, labelNames);
  light.registerMetric(ours as unknown as Metric);
  return { reference, light, theirs, ours };
}

describe('LightHistogram', () => {
  it("is exposed exactly as prom-client's Histogram, text and JSON, without labels", async () => {
    const { reference, light, theirs, ours } = pair([]);
    // Both show the one series, zeros, before any observation.
    expect(await light.metrics()).toBe(await reference.metrics());
    for (const value of VALUES) {
      theirs.observe(value);
      ours.observe(value);
    }
    expect(await light.metrics()).toBe(await reference.metrics());
    expect(await light.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
  });

  it("is exposed exactly as prom-client's Histogram with labels, a kept series included", async () => {
    const { reference, light, theirs, ours } = pair(['transport', 'topic']);
    // A series made but never observed is not shown, as prom-client shows none.
    ours.labels({ transport: 'idle', topic: 'none' });
    // Series are listed in the order they were made: prom-client makes one on its first value.
    let kept: HistogramSeries | undefined;
    VALUES.forEach((value, i) => {
      const labels = { transport: i % 2 === 0 ? 'memory' : 'kafka', topic: 'e"v' };
      theirs.observe(labels, value);
      if (labels.transport === 'memory') return ours.observe(labels, value);
      kept ??= ours.labels(labels);
      kept.observe(value);
    });
    expect(await light.metrics()).toBe(await reference.metrics());
    expect(await light.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
    ours.reset();
    theirs.reset();
    expect(await light.metrics()).toBe(await reference.metrics());
    // A series kept before the reset still counts after it.
    kept?.observe(0.5);
    theirs.observe({ transport: 'kafka', topic: 'e"v' }, 0.5);
    expect(await light.metrics()).toBe(await reference.metrics());
  });

  it('refuses what prom-client refuses: a value that is not finite, a label left out', () => {
    const { theirs, ours } = pair(['transport']);
    expect(() => theirs.observe({ transport: 'x' }, Number.NaN)).toThrow(TypeError);
    expect(() => ours.observe({ transport: 'x' }, Number.NaN)).toThrow(TypeError);
    expect(() => ours.labels({} as { transport: string })).toThrow(/transport/);
  });
});

describe('counterChild', () => {
  it('adds its counts to the counter whenever the registry reads it', async () => {
    const total = counter('pathcast_test_child_total', 'counted by children', ['code']);
    const ok = counterChild(total, { code: 'ok' });
    const bad = counterChild(total, { code: 'bad' });
    ok.inc();
    ok.inc(4);
    bad.inc(2);
    const read = async () =>
      Object.fromEntries(
        (await registry.getSingleMetric('pathcast_test_child_total')!.get()).values.map((v) => [
          v.labels['code'],
          v.value,
        ]),
      );
    expect(await read()).toEqual({ ok: 5, bad: 2 });
    ok.inc();
    total.inc({ code: 'ok' }, 10);
    expect(await read()).toEqual({ ok: 16, bad: 2 });
    expect(await registry.metrics()).toContain('pathcast_test_child_total{code="ok"} 16');
  });
});

describe('metricValue', () => {
  it('sums the series whose labels include those asked for, and reads 0 for what is not there', async () => {
    const metric = counter('pathcast_test_value_total', 'a test counter', ['kind', 'site']);
    metric.inc({ kind: 'a', site: 's1' }, 2);
    metric.inc({ kind: 'a', site: 's2' }, 3);
    metric.inc({ kind: 'b', site: 's1' }, 5);
    expect(await metricValue('pathcast_test_value_total')).toBe(10);
    expect(await metricValue('pathcast_test_value_total', { kind: 'a' })).toBe(5);
    expect(await metricValue('pathcast_test_value_total', { kind: 'b', site: 's1' })).toBe(5);
    expect(await metricValue('pathcast_test_value_total', { kind: 'c' })).toBe(0);
    expect(await metricValue('pathcast_test_absent_total')).toBe(0);
  });
});
