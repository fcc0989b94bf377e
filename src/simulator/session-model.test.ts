import { describe, expect, it } from 'vitest';
import { absorptionFromStart } from './absorbing-chain.js';
import { CHANNEL_MODEL, CHANNELS, PAGE_TYPES, VISITOR_TYPES } from './generative-model.js';
import {
  CONVERT,
  EXIT,
  baseRow,
  compileModel,
  landingDistribution,
  pageChain,
  tiltRow,
} from './session-model.js';

const sum = (values: ArrayLike<number>): number => Array.from(values).reduce((a, b) => a + b, 0);

describe('generative model tables', () => {
  it('are probability distributions', () => {
    expect(sum(CHANNELS.map((c) => CHANNEL_MODEL[c].firstTouch))).toBeCloseTo(1, 12);
    expect(sum(CHANNELS.map((c) => CHANNEL_MODEL[c].returnMix))).toBeCloseTo(1, 12);
    expect(sum(VISITOR_TYPES.map((t) => t.share))).toBeCloseTo(1, 12);
    for (const c of CHANNELS) expect(sum(landingDistribution(c))).toBeCloseTo(1, 12);
    for (const type of PAGE_TYPES) {
      const row = baseRow(type);
      expect(sum(row)).toBeCloseTo(1, 12);
      expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
    }
  });

  it('converts only where a conversion event exists', () => {
    const converting = PAGE_TYPES.filter((t) => (baseRow(t)[CONVERT] ?? 0) > 0);
    expect(converting.sort()).toEqual(['checkout', 'signup']);
  });
});

describe('odds multiplier tilt', () => {
  it('leaves the base row unchanged at m = 1', () => {
    const row = baseRow('checkout');
    const tilted = tiltRow(row, 1);
    row.forEach((p, i) => expect(tilted[i]).toBeCloseTo(p, 12));
  });

  it('multiplies convert-vs-page odds by m and divides exit-vs-page odds by sqrt(m)', () => {
    const row = baseRow('checkout');
    const tilted = tiltRow(row, 4);
    const page = PAGE_TYPES.indexOf('cart');
    expect((tilted[CONVERT] ?? 0) / (tilted[page] ?? 1)).toBeCloseTo(
      (4 * (row[CONVERT] ?? 0)) / (row[page] ?? 1),
      12,
    );
    expect((tilted[EXIT] ?? 0) / (tilted[page] ?? 1)).toBeCloseTo(
      (row[EXIT] ?? 0) / 2 / (row[page] ?? 1),
      12,
    );
    expect(sum(tilted)).toBeCloseTo(1, 12);
  });

  it('raises conversion from every landing page as m grows', () => {
    const landing = landingDistribution('Organic Search');
    const rates = [0.25, 0.5, 1, 2, 4, 8].map((m) => absorptionFromStart(pageChain(m), landing, 0));
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThan(rates[i - 1] ?? 1);
  });
});

describe('compiled model', () => {
  const model = compileModel();

  it('has one component per visitor type and channel, with the product multiplier', () => {
    expect(model.components).toHaveLength(VISITOR_TYPES.length * CHANNELS.length);
    const vipEmail =
      model.components[
        VISITOR_TYPES.findIndex((t) => t.id === 'vip') * CHANNELS.length + CHANNELS.indexOf('Email')
      ];
    expect(vipEmail?.multiplier).toBeCloseTo(4 * 1.9, 12);
  });

  it('builds journey chains whose rows are distributions', () => {
    for (const journey of model.journeys)
      for (const row of journey.rows) expect(sum(row)).toBeCloseTo(1, 12);
  });
});
