import { fromAllowList, sqlInt } from '../sql.js';
import { invalid, type SegmentFilter } from './filters.js';
import { KPI_COLUMNS, minuteAggregates } from './aggregates.js';
import { readKpis, type Kpis } from './kpis.js';
import { read, selectRows, type QueryTarget } from './run-query.js';

/** Bucket widths, ms. Buckets are aligned to UTC (days start at 00:00 UTC). */
export const BUCKETS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type Bucket = keyof typeof BUCKETS;

/** Most points one series may have: the range is refused beyond this, not truncated. */
export const MAX_POINTS = 10_000;

export interface TimeSeriesQuery extends SegmentFilter {
  readonly bucket: Bucket;
}

export interface TimeSeriesPoint extends Kpis {
  /** Start of the bucket, ms. */
  readonly at: number;
}

export function buildTimeSeries(database: string, query: TimeSeriesQuery): string {
  const width = fromAllowList(BUCKETS, query.bucket, 'bucket');
  return `SELECT intDiv(minute, ${sqlInt(width)}) * ${sqlInt(width)} AS at, ${KPI_COLUMNS}
FROM (
  ${minuteAggregates(database, query)}
)
GROUP BY at
ORDER BY at`;
}

/** KPIs per bucket over [from, to); buckets without data are filled with zeros. */
export async function timeSeries(
  target: QueryTarget,
  query: TimeSeriesQuery,
): Promise<TimeSeriesPoint[]> {
  const width = fromAllowList(BUCKETS, query.bucket, 'bucket');
  const first = Math.floor(query.from / width) * width;
  if ((query.to - first) / width > MAX_POINTS) {
    throw invalid(`the range holds more than ${MAX_POINTS} ${query.bucket}s; pick a wider bucket`);
  }
  const rows = await selectRows(target, buildTimeSeries(target.database, query));
  const byBucket = new Map(rows.map((row) => [read.number(row, 'at'), row]));
  const points: TimeSeriesPoint[] = [];
  for (let at = first; at < query.to; at += width) {
    points.push({ at, ...readKpis(byBucket.get(at)) });
  }
  return points;
}
