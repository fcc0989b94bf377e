import { describe, expect, it } from 'vitest';
import type { PageFlowResponse } from './api-types.js';
import { channelAttribution, derivedFunnelSteps, flowTotals } from './reports.js';

type Link = PageFlowResponse['links'][number];
const page = (pageType: string) => ({ kind: 'page' as const, pageType });
const link = (step: number, from: string, to: string, sessions: number): Link => ({
  step,
  from: page(from),
  to: to === '$conv' ? { kind: 'conversion' } : to === '$exit' ? { kind: 'exit' } : page(to),
  sessions,
});

describe('dashboard reports', () => {
  it('derives a funnel along the biggest flows, then conversion', () => {
    const links = [
      link(1, '/', '/product', 5),
      link(1, '/', '$exit', 10),
      link(1, '/product', '/cart', 8),
      link(1, '/product', '$exit', 4),
      link(2, '/product', '/', 3),
      link(2, '/product', '/cart', 2),
      link(2, '/cart', '/checkout', 6),
      link(3, '/checkout', '$conv', 5),
    ];
    // Starts: '/' 15, '/product' 12; from '/' at step 1 only '/product'; then '/cart'.
    expect(derivedFunnelSteps(links)).toEqual([
      page('/'),
      page('/product'),
      page('/cart'),
      { kind: 'conversion' },
    ]);
    expect(derivedFunnelSteps([])).toEqual([{ kind: 'conversion' }]);
  });

  it('counts how the shown flows end', () => {
    const links = [link(1, '/', '/a', 4), link(1, '/', '$exit', 3), link(2, '/a', '$conv', 4)];
    expect(flowTotals(links)).toEqual({ sessions: 7, converted: 4, exited: 3 });
  });

  it('attributes conversions by Markov removal effects and the three heuristics', () => {
    const figures = channelAttribution(
      [
        { channels: ['Email', 'Direct'], conversions: 2, value: 20, nulls: 1 },
        { channels: ['Direct'], conversions: 1, value: 5, nulls: 4 },
        { channels: [''], conversions: 0, value: 0, nulls: 2 },
      ],
      { order: 1, withNull: false },
    );
    expect(figures).toMatchObject({ paths: 3, journeys: 10, conversions: 3, value: 25 });
    const row = (channel: string) => figures.channels.find((c) => c.channel === channel);
    // Every conversion passes Direct: removing it loses them all; Email only two of three.
    expect(row('Direct')?.markov.removalEffect).toBeCloseTo(1, 9);
    expect(row('Email')?.markov.removalEffect).toBeCloseTo(2 / 3, 9);
    expect(row('Direct')?.markov.conversions).toBeCloseTo(3 / (5 / 3), 9);
    expect(row('Email')?.first.conversions).toBe(2);
    expect(row('Direct')?.last.conversions).toBe(3);
    expect(row('Direct')?.linear.conversions).toBeCloseTo(2, 9);
    expect(row('(none)')?.markov.conversions).toBe(0);
    expect(channelAttribution([], { order: 1, withNull: false }).channels).toEqual([]);
  });
});
