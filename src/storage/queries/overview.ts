import type { SegmentFilter } from './filters.js';
import { KPI_COLUMNS, minuteAggregates } from './aggregates.js';
import { readKpis, type Kpis } from './kpis.js';
import { selectRows, type QueryTarget } from './run-query.js';

export function buildOverview(database: string, filter: SegmentFilter): string {
  return `SELECT ${KPI_COLUMNS}
FROM (
  ${minuteAggregates(database, filter)}
)`;
}

/** The headline figures of a segment, from the per-minute aggregates. */
export async function overview(target: QueryTarget, filter: SegmentFilter): Promise<Kpis> {
  const [row] = await selectRows(target, buildOverview(target.database, filter));
  return readKpis(row);
}
