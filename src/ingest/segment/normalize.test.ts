import { describe, expect, it } from 'vitest';
import { checkSegmentEvent, deriveMessageId, normalizeSegmentEvent } from './normalize.js';

const meta = { site: 'shop', receivedAt: Date.parse('2026-06-01T12:00:00Z') };
const HOSTILE = [
  `it's "quoted"`,
  'back\\slash',
  'nul\u0000byte',
  "'; DROP TABLE events; --",
  '1 UNION SELECT password FROM users',
  'emoji 🚀 ünïcödé 中文',
  'x'.repeat(10_000),
];

describe('normalizeSegmentEvent', () => {
  it('maps a track event with its context', () => {
    const result = normalizeSegmentEvent(
      {
        type: 'track',
        event: 'Order Completed',
        messageId: 'm-1',
        anonymousId: 'anon-1',
        userId: 'u-1',
        properties: { revenue: 42.5, currency: 'eur' },
        context: {
          page: {
            url: 'https://shop.test/checkout?utm_source=x',
            referrer: 'https://google.com/',
            title: 'Pay',
          },
          userAgent: 'Mozilla/5.0',
          ip: '203.0.113.9',
          campaign: { source: 'newsletter', medium: 'email' },
        },
        timestamp: '2026-06-01T11:59:00Z',
      },
      meta,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.base).toMatchObject({
      id: 'm-1',
      site: 'shop',
      type: 'track',
      name: 'Order Completed',
      visitor: 'anon-1',
      anonymousId: 'anon-1',
      userId: 'u-1',
      timestamp: Date.parse('2026-06-01T11:59:00Z'),
      url: 'https://shop.test/checkout?utm_source=x',
      referrer: 'https://google.com/',
      title: 'Pay',
    });
    expect(JSON.parse(result.value.base.properties)).toEqual({ revenue: 42.5, currency: 'eur' });
    expect(result.value.inputs).toMatchObject({
      userAgent: 'Mozilla/5.0',
      ip: '203.0.113.9',
      campaign: { source: 'newsletter', medium: 'email' },
    });
  });

  it.each([
    [
      {
        type: 'page',
        name: 'Home',
        anonymousId: 'a',
        properties: { url: 'https://x.test/', path: '/' },
      },
      'page',
      'Home',
      'a',
    ],
    [{ type: 'screen', name: 'Settings', userId: 42 }, 'screen', 'Settings', 'user:42'],
    [{ type: 'identify', userId: 'u-9', traits: { plan: 'pro' } }, 'identify', '', 'user:u-9'],
    [{ type: 'alias', previousId: 'anon-7', userId: 'u-7' }, 'alias', '', 'user:u-7'],
    [{ type: 'group', anonymousId: 'a', groupId: 'acme', traits: { seats: 5 } }, 'group', '', 'a'],
  ])('maps a %j', (event, type, name, visitor) => {
    const result = normalizeSegmentEvent(event, meta);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.base.type).toBe(type);
    expect(result.value.base.name).toBe(name);
    expect(result.value.base.visitor).toBe(visitor);
  });

  it('takes page fields from page properties when context has none', () => {
    const result = normalizeSegmentEvent(
      {
        type: 'page',
        anonymousId: 'a',
        properties: { url: 'https://x.test/a', referrer: 'r', title: 't' },
      },
      meta,
    );
    expect(result.ok && result.value.base).toMatchObject({
      url: 'https://x.test/a',
      referrer: 'r',
      title: 't',
    });
  });

  it.each([
    ['not an object', 'hello', 'schema_violation', /JSON object/],
    ['an array', [], 'schema_violation', /JSON object/],
    [
      'unknown type',
      { type: 'purchase', anonymousId: 'a' },
      'schema_violation',
      /"type" must be one of/,
    ],
    ['track without event name', { type: 'track', anonymousId: 'a' }, 'schema_violation', /event/],
    [
      'track with numeric name',
      { type: 'track', event: 5, anonymousId: 'a' },
      'schema_violation',
      /event/,
    ],
    [
      'properties not an object',
      { type: 'track', event: 'x', anonymousId: 'a', properties: 'p' },
      'schema_violation',
      /properties/,
    ],
    [
      'properties an array',
      { type: 'track', event: 'x', anonymousId: 'a', properties: [1] },
      'schema_violation',
      /properties/,
    ],
    [
      'context null',
      { type: 'page', anonymousId: 'a', context: null },
      'schema_violation',
      /context/,
    ],
    [
      'context an array',
      { type: 'page', anonymousId: 'a', context: ['ip'] },
      'schema_violation',
      /context/,
    ],
    ['traits a number', { type: 'identify', userId: 'u', traits: 5 }, 'schema_violation', /traits/],
    ['alias without previousId', { type: 'alias', userId: 'u' }, 'schema_violation', /previousId/],
    ['no ids', { type: 'track', event: 'x' }, 'missing_identity', /anonymousId or a userId/],
    [
      'empty ids',
      { type: 'track', event: 'x', anonymousId: null, userId: null },
      'missing_identity',
      /anonymousId/,
    ],
    [
      'id too long',
      { type: 'track', event: 'x', anonymousId: 'a'.repeat(300) },
      'schema_violation',
      /anonymousId/,
    ],
    [
      'bad time',
      { type: 'track', event: 'x', anonymousId: 'a', timestamp: 'soon' },
      'invalid_timestamp',
      /ISO 8601/,
    ],
  ])('rejects %s, and the collector check refuses it alike', (_name, event, code, reason) => {
    for (const result of [normalizeSegmentEvent(event, meta), checkSegmentEvent(event, meta)]) {
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe(code);
      expect(result.reason).toMatch(reason);
    }
  });

  it.each([
    [
      { type: 'track', event: 'x', anonymousId: 'a', context: { ip: '203.0.113.9' } },
      'a',
      '203.0.113.9',
    ],
    [{ type: 'identify', userId: 'u1' }, 'user:u1', ''],
    [{ type: 'page', userId: 7 }, 'user:7', ''],
  ])('checks %j as the collector needs it: visitor and IP', (event, visitor, ip) => {
    expect(checkSegmentEvent(event, meta)).toEqual({ ok: true, value: { visitor, ip } });
    const full = normalizeSegmentEvent(event, meta);
    expect(full.ok && full.value.base.visitor).toBe(visitor);
  });

  it.each(HOSTILE)('keeps hostile strings verbatim: %#', (text) => {
    const result = normalizeSegmentEvent(
      {
        type: 'track',
        event: text.slice(0, 1024),
        anonymousId: text.slice(0, 256),
        messageId: text.slice(0, 256),
        properties: { note: text },
        context: { page: { url: text, title: text } },
      },
      meta,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.base.name).toBe(text.slice(0, 1024));
    expect(result.value.base.visitor).toBe(text.slice(0, 256));
    expect(result.value.base.url).toBe(text);
    expect(JSON.parse(result.value.base.properties)).toEqual({ note: text });
  });

  it('derives a stable messageId when none is given', () => {
    const event = {
      type: 'track',
      event: 'x',
      anonymousId: 'a',
      timestamp: '2026-06-01T11:00:00Z',
    };
    const first = normalizeSegmentEvent(event, meta);
    const again = normalizeSegmentEvent({ ...event }, meta);
    const other = normalizeSegmentEvent({ ...event, event: 'y' }, meta);
    expect(first.ok && again.ok && first.value.base.id === again.value.base.id).toBe(true);
    expect(first.ok && other.ok && first.value.base.id !== other.value.base.id).toBe(true);
    expect(deriveMessageId('shop', event)).not.toBe(deriveMessageId('blog', event));
  });

  it('uses the batch sentAt to correct client clocks', () => {
    const result = normalizeSegmentEvent(
      { type: 'track', event: 'x', anonymousId: 'a', timestamp: '2026-06-03T11:59:00Z' },
      { ...meta, sentAt: '2026-06-03T12:00:00Z' },
    );
    expect(result.ok && result.value.base.timestamp).toBe(Date.parse('2026-06-01T11:59:00Z'));
  });
});
