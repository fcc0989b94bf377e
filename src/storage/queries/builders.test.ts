import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, label } from '../testing/hostile-strings.js';
import { buildChannelPaths } from './attribution.js';
import { encodeCursor } from './cursor.js';
import { buildFailedEventSearch, buildFailureCounts } from './failed-events.js';
import type { SegmentFilter } from './filters.js';
import { buildFunnel, funnelTimeUnit } from './funnel.js';
import { buildIdentities } from './identities.js';
import { buildModels } from './models.js';
import { buildOverview } from './overview.js';
import { buildPageFlow, parseFlowNode } from './page-flow.js';
import { buildProfiles } from './profiles.js';
import { buildSessionSearch } from './session-search.js';
import { buildTimeSeries } from './time-series.js';
import { buildScoreTimeline } from './score-timeline.js';
import { buildVisitorEvents } from './visitor-events.js';

/**
 * The query with every string literal replaced by `?`: what is left is the query's shape. A value
 * that could escape its literal would change it.
 */
function skeleton(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] as string;
    if (ch !== "'") {
      out += ch;
      continue;
    }
    for (i++; i < sql.length && sql[i] !== "'"; i++) if (sql[i] === '\\') i++;
    if (i >= sql.length) throw new Error('unterminated literal');
    out += '?';
  }
  return out;
}

const DB = 'pathcast';
const RANGE = { from: 1_700_000_000_000, to: 1_700_086_400_000 };

/**
 * Every builder, with one string value `v` in every string slot it has. (An empty text search
 * means "no text filter", a shape change by design, so that slot gets 'x' instead of ''.)
 */
const text = (v: string): string => (v === '' ? 'x' : v);

const BUILDERS: Record<string, (v: string) => string> = {
  overview: (v) => buildOverview(DB, segment(v)),
  'time series': (v) => buildTimeSeries(DB, { ...segment(v), bucket: 'hour' }),
  funnel: (v) =>
    buildFunnel(DB, {
      ...segment(v),
      steps: [{ kind: 'page', pageType: v }, { kind: 'event', name: v }, { kind: 'conversion' }],
      windowMs: 60_000,
    }),
  'page flow': (v) => buildPageFlow(DB, segment(v)),
  'channel paths': (v) => buildChannelPaths(DB, segment(v)),
  'session search': (v) =>
    buildSessionSearch(DB, {
      ...segment(v),
      text: text(v),
      converted: true,
      minPropensity: 0.5,
      cursor: encodeCursor([RANGE.from, v]),
    }),
  'failed events': (v) =>
    buildFailedEventSearch(DB, {
      ...RANGE,
      site: v,
      reasons: ['late'],
      text: text(v),
      cursor: encodeCursor([RANGE.from, v, v, v]),
    }),
  'failure counts': (v) => buildFailureCounts(DB, { ...RANGE, site: v }),
  'visitor events': (v) => buildVisitorEvents(DB, { ...RANGE, site: v, visitor: v }),
  'score timeline': (v) => buildScoreTimeline(DB, { site: v, sessionId: v }),
  profiles: (v) => buildProfiles(DB, [v, v]),
  identities: (v) => buildIdentities(DB, { site: v, anonymousId: v, userId: v }),
  models: (v) => buildModels(DB, v, 3),
};

function segment(v: string): SegmentFilter {
  return { ...RANGE, site: v, channels: [v, v], countries: [v], devices: ['mobile'] };
}

describe.each(Object.entries(BUILDERS))('%s', (_name, build) => {
  const shape = skeleton(build('plain'));

  it.each(HOSTILE_STRINGS.map((h) => [label(h), h]))('keeps its shape with %s', (_l, h) => {
    const sql = build(h);
    expect(skeleton(sql)).toBe(shape);
    // And the value is in there, once escaped (a 10k string is not truncated).
    expect(sql.length).toBeGreaterThanOrEqual(shape.length + h.length);
  });

  it('has no raw control characters', () => {
    // eslint-disable-next-line no-control-regex
    expect(build('a\u0000b\nc')).not.toMatch(/[\u0000\u0001-\u0009\u000b-\u001f]/);
  });
});

describe('filter validation', () => {
  const base: SegmentFilter = { ...RANGE, site: 's' };
  it.each([
    ['from after to', { ...base, from: 2, to: 1 }],
    ['a negative time', { ...base, from: -1 }],
    ['a fractional time', { ...base, to: 1.5 }],
    ['a time as text', { ...base, from: '0 OR 1=1' as unknown as number }],
    ['a device not in the list', { ...base, devices: ["mobile' OR 1=1 --"] as never }],
    ['a channel that is not a string', { ...base, channels: [1] as unknown as string[] }],
    ['too many channels', { ...base, channels: Array.from({ length: 101 }, (_, i) => `c${i}`) }],
    ['a site too long', { ...base, site: 'x'.repeat(20_001) }],
    ['a site that is not a string', { ...base, site: null as unknown as string }],
  ])('refuses %s', (_name, filter) => {
    expect(() => buildOverview(DB, filter)).toThrow(
      expect.objectContaining({ code: 'invalid_filter' }),
    );
  });

  it('refuses buckets, step kinds, limits and cursors that are not ours', () => {
    const bad = [
      () => buildTimeSeries(DB, { ...base, bucket: 'week' as never }),
      () => buildTimeSeries(DB, { ...base, bucket: 'toString' as never }),
      () => buildFunnel(DB, { ...base, steps: [{ kind: 'conversion' }], windowMs: 1 }),
      () =>
        buildFunnel(DB, {
          ...base,
          steps: [{ kind: 'conversion' }, { kind: 'sql' as never }],
          windowMs: 1,
        }),
      () =>
        buildFunnel(DB, {
          ...base,
          steps: [{ kind: 'conversion' }, { kind: 'conversion' }],
          windowMs: 0,
        }),
      () => buildPageFlow(DB, { ...base, maxSteps: 21 }),
      () => buildSessionSearch(DB, { ...base, limit: 0 }),
      () => buildSessionSearch(DB, { ...base, limit: 1001 }),
      () => buildSessionSearch(DB, { ...base, minPropensity: 2 }),
      () => buildSessionSearch(DB, { ...base, converted: 'yes' as never }),
      () => buildSessionSearch(DB, { ...base, cursor: 'not base64 json' }),
      () => buildSessionSearch(DB, { ...base, cursor: encodeCursor(['1 OR 1=1', 'x']) }),
      () => buildSessionSearch(DB, { ...base, cursor: encodeCursor([1, 'x', 'extra']) }),
      () => buildFailedEventSearch(DB, { ...RANGE, reasons: ['nope' as never] }),
      () => buildFailedEventSearch(DB, { ...RANGE, stages: ['nope' as never] }),
      () => buildModels(DB, 'k', 0),
    ];
    for (const build of bad) {
      expect(build).toThrow(expect.objectContaining({ code: 'invalid_filter' }));
    }
  });
});

describe('funnel time unit', () => {
  it('uses ms relative to `from` while the range fits in UInt32, else seconds', () => {
    expect(funnelTimeUnit(0, 4_294_967_295)).toBe(1);
    expect(funnelTimeUnit(0, 4_294_967_296)).toBe(1000);
    expect(
      buildFunnel(DB, {
        ...RANGE,
        site: 's',
        steps: [{ kind: 'conversion' }, { kind: 'conversion' }],
        windowMs: 1500,
      }),
    ).toContain(`windowFunnel(1500)(\n      toUInt32(intDiv(timestamp - ${RANGE.from}, 1))`);
  });
});

describe('flow nodes', () => {
  it.each([
    ['p:/cart', { kind: 'page', pageType: '/cart' }],
    ['p:t:conversion', { kind: 'page', pageType: 't:conversion' }],
    ['p:', { kind: 'page', pageType: '' }],
    ['t:conversion', { kind: 'conversion' }],
    ['t:exit', { kind: 'exit' }],
  ])('reads %j', (labelText, node) => {
    expect(parseFlowNode(labelText)).toEqual(node);
  });
});
