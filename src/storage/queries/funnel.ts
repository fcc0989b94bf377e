import { qualifiedTable, sqlInt, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import {
  checkInt,
  checkString,
  invalid,
  segmentConditions,
  type SegmentFilter,
} from './filters.js';
import { read, selectRows, type QueryTarget } from './run-query.js';

/** One step of a funnel: a page type viewed, a track event, or any conversion. */
export type FunnelStep =
  | { readonly kind: 'page'; readonly pageType: string }
  | { readonly kind: 'event'; readonly name: string }
  | { readonly kind: 'conversion' };

export interface FunnelQuery extends SegmentFilter {
  /** 2 to 16 steps, in order. */
  readonly steps: readonly FunnelStep[];
  /** How long a visitor has from the first step to the last, ms. */
  readonly windowMs: number;
}

export interface FunnelStepResult {
  readonly step: FunnelStep;
  /** Visitors who reached this step (and all before it, in order, within the window). */
  readonly visitors: number;
  /** visitors / visitors of the first step; 1 for the first step, 0 when nobody started. */
  readonly rateFromStart: number;
  /** visitors / visitors of the previous step. */
  readonly rateFromPrevious: number;
}

export const MAX_FUNNEL_STEPS = 16;
const UINT32_MAX = 4_294_967_295;

function condition(step: FunnelStep): string {
  switch (step.kind) {
    case 'page':
      return `type = 'page' AND page_type = ${sqlString(checkString(step.pageType, 'pageType'))}`;
    case 'event':
      return `type = 'track' AND name = ${sqlString(checkString(step.name, 'name'))}`;
    case 'conversion':
      return 'is_conversion = 1';
    default:
      throw invalid(`unknown funnel step kind ${JSON.stringify((step as { kind: unknown }).kind)}`);
  }
}

/**
 * Time unit for windowFunnel. TRICKY (18.16): windowFunnel takes only DateTime or UInt32 times,
 * not our UInt64 ms; so times are made relative to `from` in ms when the range fits in UInt32
 * (about 49 days), else in seconds, and the window is expressed in the same unit.
 */
export function funnelTimeUnit(from: number, to: number): 1 | 1000 {
  return to - from <= UINT32_MAX ? 1 : 1000;
}

export function buildFunnel(database: string, query: FunnelQuery): string {
  if (!Array.isArray(query.steps) || query.steps.length < 2) {
    throw invalid('a funnel needs at least 2 steps');
  }
  if (query.steps.length > MAX_FUNNEL_STEPS) {
    throw invalid(`a funnel takes at most ${MAX_FUNNEL_STEPS} steps`);
  }
  const windowMs = checkInt(query.windowMs, 'windowMs', 1, 366 * 86_400_000);
  const conditions = query.steps.map(condition);
  const where = segmentConditions(query, {
    site: 'site',
    time: 'timestamp',
    channel: 'channel',
    country: 'country',
    device: 'device_type',
  });
  const unit = funnelTimeUnit(query.from, query.to);
  const window = Math.max(1, Math.ceil(windowMs / unit));
  // Duplicated events (replays) change nothing: windowFunnel only looks for a chain.
  return `SELECT level, count() AS visitors
FROM (
  SELECT visitor, windowFunnel(${sqlInt(window)})(
      toUInt32(intDiv(timestamp - ${sqlInt(query.from)}, ${unit})),
      ${conditions.map((c) => `(${c})`).join(',\n      ')}
    ) AS level
  FROM ${qualifiedTable(database, TABLES.events)}
  WHERE ${where.join(' AND ')}
    AND (${conditions.map((c) => `(${c})`).join(' OR ')})
  GROUP BY visitor
)
GROUP BY level
ORDER BY level`;
}

/** Visitors reaching each step of the funnel, in order, within the window. */
export async function funnel(target: QueryTarget, query: FunnelQuery): Promise<FunnelStepResult[]> {
  const rows = await selectRows(target, buildFunnel(target.database, query));
  const atLevel = new Map(rows.map((r) => [read.number(r, 'level'), read.number(r, 'visitors')]));
  // windowFunnel gives the furthest step reached; a step's visitors are those at it or beyond.
  const reached = query.steps.map((_, i) => {
    let n = 0;
    for (const [level, visitors] of atLevel) if (level >= i + 1) n += visitors;
    return n;
  });
  return query.steps.map((step, i) => {
    const visitors = reached[i] ?? 0;
    const first = reached[0] ?? 0;
    const previous = i === 0 ? visitors : (reached[i - 1] ?? 0);
    return {
      step,
      visitors,
      rateFromStart: first === 0 ? 0 : visitors / first,
      rateFromPrevious: previous === 0 ? 0 : visitors / previous,
    };
  });
}
