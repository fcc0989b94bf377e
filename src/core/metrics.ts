import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process-wide Prometheus registry. Metrics are module-level constants declared beside the
 * code they measure, through the helpers below, so every metric has a `pathcast_` name and
 * help text; the gateway serves `registry.metrics()` at /metrics.
 */
export const registry = new Registry();

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
    new Counter({ name, help, labelNames: [...labelNames], registers: [registry] })
  );
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

export function histogram<L extends string = never>(
  name: string,
  help: string,
  buckets: readonly number[],
  labelNames: readonly L[] = [],
): Histogram<L> {
  return (
    existing<Histogram<L>>(name) ??
    new Histogram({
      name,
      help,
      buckets: [...buckets],
      labelNames: [...labelNames],
      registers: [registry],
    })
  );
}
