import { sqlInt } from '../sql.js';
import { checkInt, type SegmentFilter } from './filters.js';
import { latestSessions } from './latest-sessions.js';
import { read, selectRows, type QueryTarget } from './run-query.js';

/** A node of the Sankey: a page type at some step, or how the session ended. */
export type FlowNode =
  | { readonly kind: 'page'; readonly pageType: string }
  | { readonly kind: 'conversion' }
  | { readonly kind: 'exit' };

export interface FlowLink {
  /** 1-based position of `from` in the session's path. */
  readonly step: number;
  readonly from: FlowNode;
  readonly to: FlowNode;
  readonly sessions: number;
}

export interface PageFlowQuery extends SegmentFilter {
  /** Pages of each path kept, 1 to 20. Default 5. */
  readonly maxSteps?: number;
  /** Most links kept per step (the biggest), 1 to 1000. Default 50. */
  readonly linksPerStep?: number;
}

/**
 * Node labels inside SQL: page types get the prefix 'p:' and the terminals are 't:...', so a
 * page type spelled like a terminal ('$conversion', 't:exit') can never be mistaken for one.
 */
const PAGE = 'p:';
const CONVERSION = 't:conversion';
const EXIT = 't:exit';

/**
 * Pairs of consecutive page types over the first `maxSteps` pages of each closed session, then
 * one link from the last kept page to the session's outcome (converted or not, eventually). The
 * step index makes the graph acyclic, as a Sankey needs, even when paths loop. Sessions still
 * open are left out, as in the aggregates: their outcome is not known yet.
 */
export function buildPageFlow(database: string, query: PageFlowQuery): string {
  const maxSteps = checkInt(query.maxSteps ?? 5, 'maxSteps', 1, 20);
  const perStep = checkInt(query.linksPerStep ?? 50, 'linksPerStep', 1, 1000);
  return `SELECT step, nodes[step] AS source, nodes[step + 1] AS target, count() AS sessions
FROM (
  SELECT arrayConcat(
      arrayMap(p -> concat('${PAGE}', p), arraySlice(path, 1, ${sqlInt(maxSteps)})),
      [if(converted = 1, '${CONVERSION}', '${EXIT}')]
    ) AS nodes
  FROM (
    ${latestSessions(database, query, [], { closedOnly: true })}
  )
  WHERE length(path) > 0
)
ARRAY JOIN arrayEnumerate(arrayPopBack(nodes)) AS step
GROUP BY step, source, target
ORDER BY step, sessions DESC, source, target
LIMIT ${sqlInt(perStep)} BY step`;
}

export function parseFlowNode(label: string): FlowNode {
  if (label === CONVERSION) return { kind: 'conversion' };
  if (label === EXIT) return { kind: 'exit' };
  return { kind: 'page', pageType: label.startsWith(PAGE) ? label.slice(PAGE.length) : label };
}

export async function pageFlow(target: QueryTarget, query: PageFlowQuery): Promise<FlowLink[]> {
  const rows = await selectRows(target, buildPageFlow(target.database, query));
  return rows.map((row) => ({
    step: read.number(row, 'step'),
    from: parseFlowNode(read.string(row, 'source')),
    to: parseFlowNode(read.string(row, 'target')),
    sessions: read.number(row, 'sessions'),
  }));
}
