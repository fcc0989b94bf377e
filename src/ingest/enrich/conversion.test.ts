import { describe, expect, it } from 'vitest';
import { ConfigError, type EventType } from '../../core/index.js';
import { type ConversionOptions, createConversionStep } from './conversion.js';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';

describe('createConversionStep', () => {
  const step = createConversionStep();

  it.each<[string, EventType, string, Record<string, unknown>, boolean, number, string]>([
    [
      'order with revenue',
      'track',
      'Order Completed',
      { revenue: 49.9, currency: 'eur' },
      true,
      49.9,
      'EUR',
    ],
    ['sign-up without money', 'track', 'Signed Up', {}, true, 0, 'USD'],
    ['snake_case name', 'track', 'order_completed', { total: 10 }, true, 10, 'USD'],
    ['odd spacing and case', 'track', '  ORDER   completed ', { value: 3 }, true, 3, 'USD'],
    ['kebab-case name', 'track', 'signed-up', {}, true, 0, 'USD'],
    [
      'revenue beats total and value',
      'track',
      'Order Completed',
      { revenue: 1, total: 2, value: 3 },
      true,
      1,
      'USD',
    ],
    ['total beats value', 'track', 'Order Completed', { total: 2, value: 3 }, true, 2, 'USD'],
    ['numeric string', 'track', 'Order Completed', { revenue: ' 12.50 ' }, true, 12.5, 'USD'],
    ['exponent string', 'track', 'Order Completed', { revenue: '1e3' }, true, 1000, 'USD'],
    [
      'non-numeric revenue falls through to total',
      'track',
      'Order Completed',
      { revenue: 'n/a', total: 7 },
      true,
      7,
      'USD',
    ],
    [
      'null revenue falls through',
      'track',
      'Order Completed',
      { revenue: null, value: '4' },
      true,
      4,
      'USD',
    ],
    [
      'negative revenue is 0 (no fall-through)',
      'track',
      'Order Completed',
      { revenue: -5, total: 7 },
      true,
      0,
      'USD',
    ],
    [
      'NaN revenue is 0',
      'track',
      'Order Completed',
      { revenue: Number.NaN, total: 7 },
      true,
      0,
      'USD',
    ],
    [
      'Infinity revenue is 0',
      'track',
      'Order Completed',
      { revenue: Number.POSITIVE_INFINITY },
      true,
      0,
      'USD',
    ],
    ['huge numeric string is 0', 'track', 'Order Completed', { revenue: '1e309' }, true, 0, 'USD'],
    ['negative zero is 0', 'track', 'Order Completed', { revenue: -0 }, true, 0, 'USD'],
    ['hex string is not a number', 'track', 'Order Completed', { revenue: '0x1F' }, true, 0, 'USD'],
    [
      '"Infinity" string is not a number',
      'track',
      'Order Completed',
      { revenue: 'Infinity' },
      true,
      0,
      'USD',
    ],
    [
      'thousands separator is not a number',
      'track',
      'Order Completed',
      { revenue: '1,234.50' },
      true,
      0,
      'USD',
    ],
    ['boolean is not a number', 'track', 'Order Completed', { revenue: true }, true, 0, 'USD'],
    [
      'object is not a number',
      'track',
      'Order Completed',
      { revenue: { amount: 5 } },
      true,
      0,
      'USD',
    ],
    [
      'currency trimmed and upper-cased',
      'track',
      'Order Completed',
      { revenue: 1, currency: ' gbp ' },
      true,
      1,
      'GBP',
    ],
    [
      'bad currency falls back',
      'track',
      'Order Completed',
      { revenue: 1, currency: 'euro' },
      true,
      1,
      'USD',
    ],
    [
      'numeric currency falls back',
      'track',
      'Order Completed',
      { revenue: 1, currency: 978 },
      true,
      1,
      'USD',
    ],
    ['other track event', 'track', 'Product Viewed', { revenue: 10 }, false, 0, ''],
    ['page named like a conversion', 'page', 'Order Completed', { revenue: 10 }, false, 0, ''],
    ['identify', 'identify', '', { revenue: 10 }, false, 0, ''],
  ])('%s', (_name, type, name, properties, isConversion, revenue, currency) => {
    expect(step.evaluate(type, name, properties)).toEqual({ isConversion, revenue, currency });
  });

  it('uses the configured events and default currency', () => {
    const custom = createConversionStep({ events: ['Demo Booked'], defaultCurrency: 'eur' });
    expect(custom.evaluate('track', 'demo_booked', { value: '250' })).toEqual({
      isConversion: true,
      revenue: 250,
      currency: 'EUR',
    });
    expect(custom.evaluate('track', 'Order Completed', { revenue: 1 }).isConversion).toBe(false);
  });

  it.each<[string, ConversionOptions, RegExp]>([
    ['an empty event name', { events: ['Order Completed', ' '] }, /conversion\.events\[1\]/],
    ['a non-string event name', { events: [42 as unknown as string] }, /conversion\.events\[0\]/],
    [
      'events not an array',
      { events: 'Order Completed' as unknown as string[] },
      /conversion\.events/,
    ],
    ['a 2-letter currency', { defaultCurrency: 'US' }, /conversion\.defaultCurrency/],
    ['a symbol for a currency', { defaultCurrency: '$$$' }, /conversion\.defaultCurrency/],
  ])('rejects %s at construction', (_name, options, message) => {
    expect(() => createConversionStep(options)).toThrow(ConfigError);
    expect(() => createConversionStep(options)).toThrow(message);
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'survives hostile name and property values %s',
    (_label, text) => {
      const info = step.evaluate('track', text, { revenue: text, total: text, currency: text });
      expect(info.isConversion).toBe(false);
      const order = step.evaluate('track', 'Order Completed', { revenue: text, currency: text });
      expect(Number.isFinite(order.revenue) && order.revenue >= 0).toBe(true);
      expect(order.currency).toMatch(/^[A-Z]{3}$/);
    },
  );
});
