/**
 * Test support, not part of the module's API: reference answers to the queries, computed from a
 * fixture History in plain TypeScript, for the integration tests to compare both engines with.
 */
import type { SessionSummary } from '../../core/index.js';
import type { FailedEvent } from '../../ingest/index.js';
import type { ChannelPath } from '../queries/attribution.js';
import type { FailedEventSearch } from '../queries/failed-events.js';
import type { SegmentFilter } from '../queries/filters.js';
import type { FunnelQuery, FunnelStep } from '../queries/funnel.js';
import type { Kpis } from '../queries/kpis.js';
import type { FlowLink, FlowNode, PageFlowQuery } from '../queries/page-flow.js';
import type { StoredSession } from '../queries/session-search.js';
import { BUCKETS, type TimeSeriesPoint, type TimeSeriesQuery } from '../queries/time-series.js';
import type { ScoreRecord } from '../rows/score-row.js';
import { MINUTE, byBytes, type History, type TruthSession } from './fixtures.js';

const minuteOf = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;

const inList = (values: readonly string[] | undefined, value: string): boolean =>
  values === undefined || values.length === 0 || values.includes(value);

function dimsMatch(
  filter: SegmentFilter,
  site: string,
  channel: string,
  country: string,
  device: string,
): boolean {
  return (
    site === filter.site &&
    inList(filter.channels, channel) &&
    inList(filter.countries, country) &&
    inList(filter.devices as readonly string[] | undefined, device)
  );
}

/** Sessions in the segment by exact start time (the raw-session queries). */
export function sessionsIn(history: History, filter: SegmentFilter): TruthSession[] {
  return history.sessions.filter(
    ({ summary: s }) =>
      s.startedAt >= filter.from &&
      s.startedAt < filter.to &&
      dimsMatch(filter, s.site, s.entryChannel, s.country, s.deviceType),
  );
}

function kpis(sessions: readonly SessionSummary[], scores: readonly ScoreRecord[]): Kpis {
  const converted = sessions.filter((s) => s.converted);
  return {
    sessions: sessions.length,
    visitors: new Set(sessions.map((s) => s.visitor)).size,
    convertedSessions: converted.length,
    conversions: converted.reduce((n, s) => n + s.conversions, 0),
    revenue: converted.reduce((n, s) => n + s.revenue, 0),
    conversionRate: sessions.length === 0 ? 0 : converted.length / sessions.length,
    scores: scores.length,
    averagePropensity:
      scores.length === 0 ? null : scores.reduce((n, s) => n + s.propensity, 0) / scores.length,
  };
}

/** Aggregates count closed sessions by start minute, and scores by minute. */
function aggregated(history: History, filter: SegmentFilter) {
  const sessions = history.sessions
    .filter((t) => t.closed)
    .map((t) => t.summary)
    .filter(
      (s) =>
        minuteOf(s.startedAt) >= filter.from &&
        minuteOf(s.startedAt) < filter.to &&
        dimsMatch(filter, s.site, s.entryChannel, s.country, s.deviceType),
    );
  const scores = history.scores.filter(
    (s) =>
      minuteOf(s.at) >= filter.from &&
      minuteOf(s.at) < filter.to &&
      dimsMatch(filter, s.site, s.channel ?? '', s.country ?? '', s.deviceType ?? ''),
  );
  return { sessions, scores };
}

export function expectedOverview(history: History, filter: SegmentFilter): Kpis {
  const { sessions, scores } = aggregated(history, filter);
  return kpis(sessions, scores);
}

export function expectedTimeSeries(history: History, query: TimeSeriesQuery): TimeSeriesPoint[] {
  const width = BUCKETS[query.bucket];
  const { sessions, scores } = aggregated(history, query);
  const points: TimeSeriesPoint[] = [];
  for (let at = Math.floor(query.from / width) * width; at < query.to; at += width) {
    const inBucket = (ms: number): boolean => Math.floor(minuteOf(ms) / width) * width === at;
    points.push({
      at,
      ...kpis(
        sessions.filter((s) => inBucket(s.startedAt)),
        scores.filter((s) => inBucket(s.at)),
      ),
    });
  }
  return points;
}

function stepMatches(step: FunnelStep, e: History['events'][number]): boolean {
  if (step.kind === 'page') return e.type === 'page' && e.pageType === step.pageType;
  if (step.kind === 'event') return e.type === 'track' && e.name === step.name;
  return e.isConversion;
}

/** windowFunnel's rule: each step after the first within `window` of the chain's first event. */
export function expectedFunnel(history: History, query: FunnelQuery): number[] {
  const byVisitor = new Map<string, History['events'][number][]>();
  for (const e of history.events) {
    if (e.timestamp < query.from || e.timestamp >= query.to) continue;
    if (!dimsMatch(query, e.site, e.channel, e.country, e.deviceType)) continue;
    const list = byVisitor.get(e.visitor) ?? [];
    list.push(e);
    byVisitor.set(e.visitor, list);
  }
  const reached = query.steps.map(() => 0);
  for (const list of byVisitor.values()) {
    list.sort((a, b) => a.timestamp - b.timestamp);
    const starts: (number | undefined)[] = query.steps.map(() => undefined);
    for (const e of list) {
      for (let i = query.steps.length - 1; i >= 0; i--) {
        if (!stepMatches(query.steps[i] as FunnelStep, e)) continue;
        if (i === 0) starts[0] = e.timestamp;
        else {
          const start = starts[i - 1];
          if (start !== undefined && e.timestamp - start <= query.windowMs) starts[i] = start;
        }
      }
    }
    const level = starts.reduce<number>((lv, s, i) => (s !== undefined ? i + 1 : lv), 0);
    for (let i = 0; i < level; i++) reached[i] = (reached[i] ?? 0) + 1;
  }
  return reached;
}

const nodeLabel = (node: FlowNode): string =>
  node.kind === 'page'
    ? `p:${node.pageType}`
    : node.kind === 'conversion'
      ? 't:conversion'
      : 't:exit';

export function expectedPageFlow(history: History, query: PageFlowQuery): FlowLink[] {
  const maxSteps = query.maxSteps ?? 5;
  const counts = new Map<string, FlowLink>();
  for (const { summary: s } of sessionsIn(history, query).filter((t) => t.closed)) {
    if (s.path.length === 0) continue;
    const nodes: FlowNode[] = [
      ...s.path.slice(0, maxSteps).map((pageType): FlowNode => ({ kind: 'page', pageType })),
      s.converted ? { kind: 'conversion' } : { kind: 'exit' },
    ];
    for (let i = 0; i + 1 < nodes.length; i++) {
      const from = nodes[i] as FlowNode;
      const to = nodes[i + 1] as FlowNode;
      const key = JSON.stringify([i + 1, nodeLabel(from), nodeLabel(to)]);
      const link = counts.get(key);
      counts.set(key, { step: i + 1, from, to, sessions: (link?.sessions ?? 0) + 1 });
    }
  }
  const sorted = [...counts.values()].sort(
    (a, b) =>
      a.step - b.step ||
      b.sessions - a.sessions ||
      byBytes(nodeLabel(a.from), nodeLabel(b.from)) ||
      byBytes(nodeLabel(a.to), nodeLabel(b.to)),
  );
  const perStep = query.linksPerStep ?? 50;
  const kept = new Map<number, number>();
  return sorted.filter((link) => {
    const n = kept.get(link.step) ?? 0;
    kept.set(link.step, n + 1);
    return n < perStep;
  });
}

function compareArrays(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = byBytes(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function expectedChannelPaths(history: History, filter: SegmentFilter): ChannelPath[] {
  const byVisitor = new Map<string, SessionSummary[]>();
  for (const { summary: s } of sessionsIn(history, filter).filter((t) => t.closed)) {
    byVisitor.set(s.visitor, [...(byVisitor.get(s.visitor) ?? []), s]);
  }
  const paths = new Map<string, ChannelPath>();
  const add = (journey: SessionSummary[]): void => {
    const channels = journey.map((s) => s.entryChannel);
    const last = journey[journey.length - 1] as SessionSummary;
    const key = JSON.stringify(channels);
    const p = paths.get(key) ?? { channels, conversions: 0, value: 0, nulls: 0 };
    paths.set(key, {
      channels,
      conversions: p.conversions + journey.reduce((n, s) => n + s.conversions, 0),
      value: p.value + journey.reduce((n, s) => n + s.revenue, 0),
      nulls: p.nulls + (last.converted ? 0 : 1),
    });
  };
  for (const sessions of byVisitor.values()) {
    sessions.sort(
      (a, b) =>
        a.startedAt - b.startedAt || byBytes(a.id, b.id) || byBytes(a.entryChannel, b.entryChannel),
    );
    let journey: SessionSummary[] = [];
    for (const s of sessions) {
      journey.push(s);
      if (s.converted) {
        add(journey);
        journey = [];
      }
    }
    if (journey.length > 0) add(journey);
  }
  return [...paths.values()].sort(
    (a, b) =>
      b.conversions - a.conversions || b.nulls - a.nulls || compareArrays(a.channels, b.channels),
  );
}

export function storedSession(t: TruthSession): StoredSession {
  return { ...t.summary, closed: t.closed, closeReason: t.closed ? 'gap' : '' };
}

/** All sessions of the search, newest first, ids ascending on ties. */
export function expectedSessions(
  history: History,
  filter: SegmentFilter,
  extra: (t: TruthSession) => boolean = () => true,
): StoredSession[] {
  return sessionsIn(history, filter)
    .filter(extra)
    .sort(
      (a, b) => b.summary.startedAt - a.summary.startedAt || byBytes(a.summary.id, b.summary.id),
    )
    .map(storedSession);
}

export function expectedFailures(
  history: History,
  search: FailedEventSearch,
  extra: (f: FailedEvent) => boolean = () => true,
): FailedEvent[] {
  const first = new Map<string, FailedEvent>();
  for (const f of history.failures) {
    if (f.failedAt < search.from || f.failedAt >= search.to) continue;
    if (search.site !== undefined && f.site !== search.site) continue;
    if (
      search.reasons !== undefined &&
      search.reasons.length > 0 &&
      !search.reasons.includes(f.reason)
    )
      continue;
    if (search.stages !== undefined && search.stages.length > 0 && !search.stages.includes(f.stage))
      continue;
    const key = JSON.stringify([f.site, f.reason, f.id]);
    const seen = first.get(key);
    if (seen === undefined || f.failedAt > seen.failedAt) first.set(key, f);
  }
  return [...first.values()]
    .filter(extra)
    .sort(
      (a, b) =>
        b.failedAt - a.failedAt ||
        byBytes(a.site, b.site) ||
        byBytes(a.reason, b.reason) ||
        byBytes(a.id, b.id),
    );
}
