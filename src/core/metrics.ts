import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * The process-wide Prometheus registry. Metrics are module-level constants declared beside the
 * code they measure, through the helpers below, so every metric has a `pathcast_` name and
 * help text; the gateway serves `registry.metrics()` at /metrics.
 */
export const registry = new Registry();

/**
 * The sum over a metric's series in `registry` whose labels include `labels` (all its series
 * when none are given); 0 when the metric or such a series does not exist yet.
 */
export async function metricValue(
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const wanted = Object.entries(labels);
  let sum = 0;
  for (const series of (await metric.get()).values) {
    if (wanted.every(([label, value]) => series.labels[label] === value)) sum += series.value;
  }
  return sum;
}

let defaultsCollected = false;

/** Process metrics (CPU, heap, event loop lag); called once by the runtime, not by tests. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix: 'pathcast_' });
}

function existing<T>(name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

export function counter<L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return (
    existing<Counter<L>>(name) ??
    new Counter({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      collect() {
        for (const flush of counterFlushes.get(name) ?? []) flush();
      },
    })
  );
}

/** A counter's series for fixed labels, counted in a plain number (see counterChild). */
export interface CounterChild {
  inc(value?: number): void;
}

/** What each counter's children have counted and not yet added, by counter name. */
const counterFlushes = new Map<string, Array<() => void>>();

/**
 * A series of `metric` (made by `counter`) for fixed labels, for hot paths: prom-client hashes
 * the labels of every labelled inc() (~0.2-0.4 us, as much as a collector event's other work),
 * so the child adds to a plain number, and the number goes into the counter whenever the
 * registry reads it (the counter's collect hook): a scrape is never behind. Make one per label
 * set and keep it.
 */
export function counterChild<L extends string>(
  metric: Counter<L>,
  labels: Partial<Record<L, string | number>>,
): CounterChild {
  let pending = 0;
  const name = (metric as unknown as { readonly name: string }).name;
  const flushes = counterFlushes.get(name) ?? [];
  counterFlushes.set(name, flushes);
  flushes.push(() => {
    if (pending === 0) return;
    metric.inc(labels, pending);
    pending = 0;
  });
  return {
    inc: (value = 1) => {
      pending += value;
    },
  };
}

export function gauge<L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Gauge<L> {
  return (
    existing<Gauge<L>>(name) ??
    new Gauge({ name, help, labelNames: [...labelNames], registers: [registry] })
  );
}

/** Children of one counter for label sets met at run time (a site, a topic), each made once. */
export class CounterChildren<L extends string> {
  private readonly metric: Counter<L>;
  private readonly children = new Map<string, CounterChild>();

  constructor(metric: Counter<L>) {
    this.metric = metric;
  }

  /** The child for `labels`, found by `key`: a string that tells the label sets apart. */
  of(key: string, labels: Partial<Record<L, string | number>>): CounterChild {
    let child = this.children.get(key);
    if (child === undefined) {
      child = counterChild(this.metric, labels);
      this.children.set(key, child);
    }
    return child;
  }
}

export function histogram<L extends string = never>(
  name: string,
  help: string,
  buckets: readonly number[],
  labelNames: readonly L[] = [],
): LightHistogram<L> {
  const found = existing<LightHistogram<L>>(name);
  if (found !== undefined) return found;
  const made = new LightHistogram<L>(name, help, buckets, labelNames);
  registry.registerMetric(made as unknown as Metric);
  return made;
}

/** One labelled series of a LightHistogram. */
export interface HistogramSeries {
  observe(value: number): void;
}

type Labels = Record<string, string | number>;

class Series implements HistogramSeries {
  readonly labels: Labels;
  /** Observations in each bucket alone (not cumulative), the last one +Inf's. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** Shown once observed (as prom-client shows a series once it has a value). */
  observed = false;
  private readonly bounds: readonly number[];

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] ?? 0)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
    this.observed = true;
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.observed = false;
  }
}

interface Sample {
  readonly labels: Labels;
  readonly sharedLabels?: Labels;
  readonly value: number;
  readonly metricName: string;
  /** prom-client's buckets carry one (null: none); its sum and count none. */
  readonly exemplar?: null;
}

interface HistogramData {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  readonly values: Sample[];
}

/**
 * A Prometheus histogram, exposed exactly as prom-client's Histogram is, for timings taken on
 * hot paths: prom-client's observe() costs ~0.3 us unlabelled and ~0.6 us with a label (label
 * hashing, and each bucket keyed by its bound as a string), a few percent of a collector
 * request. Here a series is a few numbers: `labels(...)` finds it once (keep it), and
 * `observe` finds the bucket and adds. Registered in the registry like any metric.
 */
export class LightHistogram<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly L[]) {
    this.name = name;
    this.help = help;
    this.bounds = [...buckets].sort((a, b) => a - b);
    this.labelNames = labelNames;
    // As prom-client: a histogram without labels shows its one series, zeros, from the start.
    if (labelNames.length === 0) this.labels({} as Record<L, string | number>);
  }

  /** The series of these label values (every label name given); keep it for observing. */
  labels(values: Readonly<Record<L, string | number>>): HistogramSeries {
    const ordered = this.labelNames.map((label) => {
      const value = values[label];
      if (value === undefined) throw new Error(`${this.name}: no value for label ${label}`);
      return value;
    });
    const key = ordered.join('\u0000');
    let found = this.series.get(key);
    if (found === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((label, i) => (labels[label] = ordered[i] ?? ''));
      found = new Series(labels, this.bounds);
      this.series.set(key, found);
    }
    return found;
  }

  /** observe(value) for a histogram without labels, observe(labels, value) for one with. */
  observe(labelsOrValue: Readonly<Record<L, string | number>> | number, value?: number): void {
    if (typeof labelsOrValue === 'number') {
      this.labels({} as Record<L, string | number>).observe(labelsOrValue);
    } else {
      this.labels(labelsOrValue).observe(value ?? Number.NaN);
    }
  }

  /** Every series back to nothing; a series kept by a caller stays valid. */
  reset(): void {
    for (const series of this.series.values()) series.clear();
  }

  /** Samples as prom-client's Histogram gives them to the text format. */
  async getForPromString(): Promise<HistogramData> {
    const values: Sample[] = [];
    const { name } = this;
    const always = this.labelNames.length === 0;
    for (const series of this.series.values()) {
      if (!series.observed && !always) continue;
      const sample = (labels: Labels, value: number, metricName: string): Sample => ({
        labels,
        sharedLabels: series.labels,
        value,
        metricName,
        ...(metricName.endsWith('_bucket') ? { exemplar: null } : {}),
      });
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] ?? 0;
        values.push(sample({ le: bound }, cumulative, `${name}_bucket`));
      });
      values.push(
        sample({ le: '+Inf' }, series.count, `${name}_bucket`),
        sample({}, series.sum, `${name}_sum`),
        sample({}, series.count, `${name}_count`),
      );
    }
    const { help, type, aggregator } = this;
    return { name, help, type, aggregator, values };
  }

  /** Samples as prom-client's Histogram gives them to JSON: each one's labels in one object. */
  async get(): Promise<HistogramData> {
    const data = await this.getForPromString();
    const values = data.values.map(({ sharedLabels, ...sample }) => ({
      ...sample,
      labels: { ...sample.labels, ...sharedLabels },
    }));
    return { ...data, values };
  }
}
