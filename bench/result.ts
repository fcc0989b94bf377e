import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** One measured figure, beside its target. */
export interface Metric {
  readonly value: number;
  readonly unit: string;
  readonly target?: number;
  readonly better: 'higher' | 'lower';
  /** Anything that helps read the figure: a peer measured in the same run, a ratio, samples. */
  readonly note?: string;
}

/** The shape every benchmark writes (QUALITY.md). */
export interface BenchResult {
  readonly name: string;
  readonly when: string;
  readonly node: string;
  readonly cores: number;
  readonly metrics: Readonly<Record<string, Metric>>;
  readonly details?: Readonly<Record<string, unknown>>;
}

export function benchResult(
  name: string,
  metrics: Readonly<Record<string, Metric>>,
  details?: Readonly<Record<string, unknown>>,
): BenchResult {
  return {
    name,
    when: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    metrics,
    ...(details === undefined ? {} : { details }),
  };
}

/** Writes bench/results/NAME.json and returns its path. */
export function writeResult(result: BenchResult): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${result.name}.json`, dir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file.pathname;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
