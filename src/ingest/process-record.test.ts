import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { createEnricher } from './enrich/index.js';
import { encodeBatchEnvelope, encodeEnvelope, type RawEnvelope } from './envelope.js';
import { createEventProcessor } from './process-record.js';

const clock = new ManualClock(Date.parse('2026-06-01T12:00:05Z'));
const processAll = createEventProcessor({ enricher: createEnricher(), clock });
/** The one outcome of a one-event record. */
const process = (source: Parameters<typeof processAll>[0]) => {
  const outcomes = processAll(source);
  expect(outcomes).toHaveLength(1);
  const [outcome] = outcomes;
  if (outcome === undefined) throw new Error('no outcome');
  return outcome;
};
const receivedAt = Date.parse('2026-06-01T12:00:00Z');

const envelope = (event: unknown, extra: Partial<RawEnvelope> = {}): RawEnvelope => ({
  v: 1,
  site: 'shop',
  receivedAt,
  sentAt: null,
  country: 'FR',
  ipPrefix: '198.51.100.0',
  event,
  ...extra,
});
const record = (value: string | Buffer, offset = 7) => ({
  topic: 'pathcast.events',
  partition: 2,
  offset,
  value,
});

const order = {
  type: 'track',
  event: 'Order Completed',
  messageId: 'm-42',
  anonymousId: 'anon-1',
  timestamp: '2026-06-01T11:59:00Z',
  properties: { revenue: 99.5, currency: 'eur' },
  context: {
    page: {
      url: 'https://shop.example/checkout/12345?utm_source=newsletter&utm_medium=email',
      referrer: '',
    },
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  },
};

describe('createEventProcessor', () => {
  it('turns an envelope into an enriched ClickEvent', () => {
    const outcome = process(record(encodeEnvelope(envelope(order))));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.value).toMatchObject({
      id: 'm-42',
      site: 'shop',
      visitor: 'anon-1',
      timestamp: Date.parse('2026-06-01T11:59:00Z'),
      receivedAt,
      pageType: '/checkout/:id',
      channel: 'Email',
      source: 'newsletter',
      isConversion: true,
      revenue: 99.5,
      currency: 'EUR',
      deviceType: 'desktop',
      isBot: false,
      country: 'FR',
      ipPrefix: '198.51.100.0',
    });
    expect(outcome.value.processorVersion).toMatch(/^\d/);
  });

  it('resolves and truncates an IP that a direct producer left in the event', () => {
    const event = { ...order, context: { ...order.context, ip: '8.8.8.8' } };
    const outcome = process(record(encodeEnvelope(envelope(event, { country: '', ipPrefix: '' }))));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.value.ipPrefix).toBe('8.8.8.0/24');
    expect(JSON.stringify(outcome.value)).not.toContain('8.8.8.8');
  });

  it.each([
    ['garbage bytes', Buffer.from([0xde, 0xad, 0xbe, 0xef]), 'poison_message', ''],
    ['JSON that is no envelope', '{"hello":"world"}', 'poison_message', ''],
    [
      'a batch record without a batch',
      encodeBatchEnvelope({ site: 'shop', receivedAt, country: '', ipPrefix: '' }, '{}'),
      'poison_message',
      '',
    ],
    [
      'an invalid event',
      encodeEnvelope(envelope({ type: 'track', anonymousId: 'a' })),
      'schema_violation',
      'shop',
    ],
    [
      'an event without ids',
      encodeEnvelope(envelope({ type: 'page' })),
      'missing_identity',
      'shop',
    ],
    [
      'an absurd time',
      encodeEnvelope(envelope({ ...order, timestamp: '1901-01-01T00:00:00Z' })),
      'invalid_timestamp',
      'shop',
    ],
  ])('stores %s as a failed event with its source', (_name, value, reason, site) => {
    const outcome = process(record(value, 99));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failed).toMatchObject({
      reason,
      site,
      stage: 'processor',
      topic: 'pathcast.events',
      partition: 2,
      offset: 99,
      failedAt: clock.now(),
    });
    expect(outcome.failed.size).toBeGreaterThan(0);
    expect(outcome.failed.message.length).toBeGreaterThan(0);
  });

  it('reads every event of a batch record, with the batch context and sentAt, in order', () => {
    const body = {
      sentAt: '2026-06-01T12:00:00Z',
      context: { locale: 'fr-FR', userAgent: order.context.userAgent },
      batch: [
        { ...order, messageId: 'm-1', context: { page: order.context.page } },
        { type: 'track', anonymousId: 'anon-1', messageId: 'm-2' },
        {
          type: 'page',
          messageId: 'm-3',
          anonymousId: 'anon-1',
          timestamp: '2026-06-01T11:59:30Z',
          context: { userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' },
        },
      ],
    };
    const meta = { site: 'shop', receivedAt, country: 'FR', ipPrefix: '198.51.100.0' };
    const outcomes = processAll(record(encodeBatchEnvelope(meta, JSON.stringify(body)), 11));
    expect(outcomes.map((o) => (o.ok ? o.value.id : o.failed.reason))).toEqual([
      'm-1',
      'schema_violation',
      'm-3',
    ]);
    const [first, second, third] = outcomes;
    // The batch context is under each event's own: the bot's user agent wins for m-3.
    expect(first?.ok && first.value).toMatchObject({
      site: 'shop',
      deviceType: 'desktop',
      isBot: false,
      country: 'FR',
      ipPrefix: '198.51.100.0',
      sentAt: Date.parse('2026-06-01T12:00:00Z'),
      pageType: '/checkout/:id',
    });
    expect(third?.ok && third.value).toMatchObject({ isBot: true, country: 'FR' });
    expect(second?.ok === false && second.failed).toMatchObject({
      id: 'm-2',
      site: 'shop',
      partition: 2,
      offset: 11,
    });
  });
});
