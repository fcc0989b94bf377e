import { describe, expect, it } from 'vitest';
import type { SessionOutput, SessionSummary } from '../../core/index.js';
import { sqlString } from '../sql.js';
import { BASE, makeEvent } from '../testing/fixtures.js';
import { readTsv } from '../testing/tsv-reader.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';
import { EVENTS_SPEC } from './event-row.js';
import { FAILED_EVENTS_SPEC } from './failed-event-row.js';
import { IDENTITIES_SPEC } from './identity-row.js';
import { MODELS_SPEC, modelRow } from './model-row.js';
import { PROFILES_SPEC } from './profile-row.js';
import { SCORES_SPEC } from './score-row.js';
import { SESSIONS_SPEC, sessionRow } from './session-row.js';
import type { Row, TableSpec } from './table-spec.js';
import { TsvBuffer } from './tsv-buffer.js';
import { float, int, uint, utcMonth } from './values.js';

const summary: SessionSummary = {
  id: 's1',
  site: 'site',
  visitor: 'v',
  userId: null,
  startedAt: BASE,
  endedAt: BASE + 1000,
  eventCount: 2,
  pageviewCount: 2,
  path: ['/', '/cart'],
  entryChannel: 'Email',
  entrySource: '',
  entryMedium: '',
  entryCampaign: '',
  landingPage: '/',
  exitPage: '/cart',
  deviceType: 'mobile',
  country: 'DE',
  isBot: false,
  converted: false,
  conversions: 0,
  revenue: 0,
  currency: '',
  version: 7,
};

const SAMPLES: [TableSpec<never>, unknown][] = [
  [EVENTS_SPEC as TableSpec<never>, makeEvent({ id: 'e' })],
  [
    SESSIONS_SPEC as TableSpec<never>,
    { kind: 'update', session: summary, event: makeEvent({ id: 'e' }) },
  ],
  [
    SCORES_SPEC as TableSpec<never>,
    {
      site: 's',
      visitor: 'v',
      sessionId: 's1',
      at: BASE,
      propensity: 0.5,
      markovProbability: 0.2,
      nextPages: [],
      modelVersion: 'm',
    },
  ],
  [
    FAILED_EVENTS_SPEC as TableSpec<never>,
    {
      id: 'f',
      site: 's',
      reason: 'late',
      message: '',
      stage: 'sessionizer',
      processorVersion: '',
      size: 1,
      payload: '',
      failedAt: BASE,
      topic: '',
      partition: -1,
      offset: -1,
    },
  ],
  [
    PROFILES_SPEC as TableSpec<never>,
    {
      userId: 'u',
      emailHash: '',
      segment: '',
      lifetimeValue: 0,
      orders: 0,
      firstOrderAt: null,
      lastOrderAt: null,
      tenureDays: 0,
      churned: false,
      attributes: { a: 'b' },
      updatedAt: BASE,
    },
  ],
  [IDENTITIES_SPEC as TableSpec<never>, { site: 's', anonymousId: 'a', userId: 'u', at: BASE }],
  [
    MODELS_SPEC as TableSpec<never>,
    { kind: 'k', version: '1', createdAt: BASE, metrics: {}, snapshot: new Uint8Array([1]) },
  ],
];

describe.each(SAMPLES.map(([spec, item]) => [spec.table, spec, item] as const))(
  '%s rows',
  (_table, spec, item) => {
    it('have exactly the columns the insert names, in order', () => {
      expect(Object.keys(spec.toRow(item as never))).toEqual([...spec.columns]);
    });

    it('serialise to JSON without loss (no undefined, NaN or bigint)', () => {
      const row: Row = spec.toRow(item as never);
      expect(JSON.parse(JSON.stringify(row))).toEqual(row);
    });

    it('encode as one TSV line holding exactly the row', () => {
      expect(encoded(spec, item)).toEqual(expectedCells(spec.toRow(item as never), spec.columns));
    });
  },
);

/** The row `spec.encode` writes for `item`, read back. */
function encoded(spec: TableSpec<never>, item: unknown): (string | null)[] {
  const out = new TsvBuffer();
  spec.encode(item as never, out);
  const row = spec.toRow(item as never);
  const arrays = spec.columns.flatMap((column, i) => (Array.isArray(row[column]) ? [i] : []));
  const rows = readTsv(out.toBuffer(), new Set(arrays));
  expect(rows).toHaveLength(1);
  return rows[0] as (string | null)[];
}

/**
 * What a row object's cells look like in TSV, spelled independently of the encoder: text as it
 * is, numbers in JavaScript's spelling, null as NULL, arrays as SQL literals.
 */
function expectedCells(row: Row, columns: readonly string[]): (string | null)[] {
  return columns.map((column) => {
    const value = row[column];
    if (value === null) return null;
    if (Array.isArray(value)) {
      const elements = value.map((v: unknown) =>
        typeof v === 'string' ? sqlString(v) : String(v),
      );
      return `[${elements.join(',')}]`;
    }
    return String(value);
  });
}

describe('encoded rows with hostile and odd values', () => {
  const h = "it's \\ a\ttab\nline\r\0 \ud800 😀 '; DROP TABLE x; --";
  const event = makeEvent({
    id: h,
    name: h,
    title: h.repeat(20),
    userId: null,
    anonymousId: '\\N',
    sentAt: null,
    clockSkewMs: -1234.5,
    revenue: 1e-7,
    timestamp: 2 ** 60,
  });
  const score = {
    site: h,
    visitor: h,
    sessionId: h,
    at: NaN,
    propensity: NaN,
    markovProbability: 5e-324,
    nextPages: [
      { pageType: h, probability: 0.75 },
      { pageType: '', probability: Infinity },
    ],
    modelVersion: h,
  };
  const profile = {
    userId: h,
    emailHash: '',
    segment: h,
    lifetimeValue: -0.5,
    orders: 3.7,
    firstOrderAt: null,
    lastOrderAt: BASE,
    tenureDays: 12.25,
    churned: true,
    attributes: { [h]: h, plain: '' },
    updatedAt: BASE,
  };

  it.each([
    ['events', EVENTS_SPEC as TableSpec<never>, event],
    ['scores', SCORES_SPEC as TableSpec<never>, score],
    ['profiles', PROFILES_SPEC as TableSpec<never>, profile],
  ])('%s: the TSV line and the row object agree', (_name, spec, item) => {
    expect(encoded(spec, item)).toEqual(expectedCells(spec.toRow(item as never), spec.columns));
  });

  it('writes the lone surrogate as U+FFFD and clamps numbers like the row does', () => {
    const cells = encoded(EVENTS_SPEC as TableSpec<never>, event);
    const at = (column: string) => cells[EVENTS_SPEC.columns.indexOf(column as never)];
    expect(at('id')).toBe(h.replace('\ud800', '\ufffd'));
    expect(at('anonymous_id')).toBe('\\N');
    expect(at('user_id')).toBeNull();
    expect(at('timestamp')).toBe(String(Number.MAX_SAFE_INTEGER));
    expect(at('clock_skew_ms')).toBe('-1234');
  });
});

describe('defineTable', () => {
  const c = cellsOf<{ readonly a: string; readonly b: number }>();

  it('takes the columns in the order given, and partitions by item', () => {
    const spec = defineTable(
      't',
      { b: c.uint((x) => x.b), a: c.text((x) => x.a) },
      { partitionOf: (x) => x.b % 2 },
    );
    expect(spec.columns).toEqual(['b', 'a']);
    expect(spec.toRow({ a: 'x', b: 3 })).toEqual({ b: 3, a: 'x' });
    expect(encoded(spec as TableSpec<never>, { a: 'x', b: 3 })).toEqual(['3', 'x']);
    expect(spec.partitionOf?.({ a: 'x', b: 3 })).toBe(1);
  });

  it('refuses a cell type it does not know, and a table without columns', () => {
    const bogus = { type: 'toString', get: () => 1 } as never;
    expect(() => defineTable('t', { a: bogus })).toThrow(RangeError);
    expect(() => defineTable('t', {})).toThrow(RangeError);
  });
});

describe('session rows', () => {
  const update: SessionOutput = { kind: 'update', session: summary, event: makeEvent({ id: 'e' }) };
  const closed: SessionOutput = {
    kind: 'closed',
    session: summary,
    reason: 'gap',
    mergedInto: null,
  };
  const merged: SessionOutput = {
    kind: 'closed',
    session: summary,
    reason: 'merged',
    mergedInto: 's0',
  };

  it('ranks a close above the update of the same version, and a merge above both', () => {
    const [u, c, m] = [update, closed, merged].map((o) => sessionRow(o).row_version as number);
    expect(u).toBeLessThan(c as number);
    expect(c).toBeLessThan(m as number);
    // ...and any later version above all three.
    expect(
      sessionRow({ ...update, session: { ...summary, version: 8 } }).row_version,
    ).toBeGreaterThan(m as number);
  });

  it('marks a merged-away session deleted and names the survivor', () => {
    expect(sessionRow(merged)).toMatchObject({
      deleted: 1,
      closed: 1,
      close_reason: 'merged',
      merged_into: 's0',
    });
    expect(sessionRow(closed)).toMatchObject({
      deleted: 0,
      closed: 1,
      close_reason: 'gap',
      merged_into: '',
    });
    expect(sessionRow(update)).toMatchObject({ deleted: 0, closed: 0, close_reason: '' });
  });
});

describe('cell conversions', () => {
  it.each([
    [5.9, 5],
    [-3, 0],
    [NaN, 0],
    [Infinity, 0],
    [2 ** 60, Number.MAX_SAFE_INTEGER],
  ])('uint(%d) = %d', (input, expected) => {
    expect(uint(input)).toBe(expected);
  });

  it('keeps signs for Int columns and zeroes non-finite floats', () => {
    expect(int(-5.5)).toBe(-5);
    expect(int(NaN)).toBe(0);
    expect(float(NaN)).toBe(0);
    expect(float(-0.25)).toBe(-0.25);
  });

  it('puts a time in its UTC month, like the partition key', () => {
    expect(utcMonth(Date.UTC(2024, 0, 31, 23, 59, 59, 999))).toBe(202401);
    expect(utcMonth(Date.UTC(2024, 1, 1))).toBe(202402);
    expect(utcMonth(-5)).toBe(197001);
  });

  it('replaces lone surrogates in strings and stores snapshots as base64', () => {
    const row = EVENTS_SPEC.toRow(makeEvent({ id: 'a\ud800', title: '\udc00' }));
    expect(row['id']).toBe('a\ufffd');
    expect(row['title']).toBe('\ufffd');
    const model = modelRow({
      kind: 'k',
      version: 'v',
      createdAt: 1,
      metrics: { auc: 0.7 },
      snapshot: new Uint8Array([0, 255, 10]),
    });
    expect(model).toMatchObject({ snapshot: 'AP8K', metrics: '{"auc":0.7}' });
  });
});
