import { describe, expect, it } from 'vitest';
import {
  decodeEnvelopes,
  encodeBatchEnvelope,
  encodeEnvelope,
  encodeEventEnvelope,
  type RawEnvelope,
} from './envelope.js';

const envelope: RawEnvelope = {
  v: 1,
  site: 'shop',
  receivedAt: 1_780_000_000_000,
  sentAt: '2026-06-01T12:00:00Z',
  country: 'DE',
  ipPrefix: '203.0.113.0',
  event: { type: 'track', event: `"quoted" \\ \u0000 🚀`, anonymousId: 'a' },
};
const meta = { site: 'shop', receivedAt: 1_780_000_000_000, country: 'DE', ipPrefix: '' };

describe('envelope', () => {
  it('round-trips one event', () => {
    expect(decodeEnvelopes(Buffer.from(encodeEnvelope(envelope)))).toEqual({
      ok: true,
      value: [envelope],
    });
  });

  it('writes an event given as JSON text exactly as encodeEnvelope writes the event', () => {
    for (const sentAt of ['2026-06-01T12:00:00Z', 'sh"ort', null]) {
      const one = { ...envelope, site: 'sh"op', sentAt, ipPrefix: '' };
      const { v, event, ...rest } = one;
      expect(v).toBe(1);
      expect(encodeEventEnvelope(rest, JSON.stringify(event))).toBe(encodeEnvelope(one));
    }
  });

  it('reads a batch record as its events, the batch context under each event', () => {
    const body = {
      writeKey: 'wk',
      sentAt: '2026-06-01T12:00:00Z',
      context: { locale: 'de-DE', page: { path: '/shared' } },
      batch: [
        { type: 'page', anonymousId: 'a', context: { page: { path: '/own' } } },
        { type: 'track', event: `"quoted" \\ \u0000 🚀`, anonymousId: 'a' },
        'not an event',
      ],
    };
    const value = encodeBatchEnvelope({ ...meta, site: 'sh"op' }, JSON.stringify(body));
    const decoded = decodeEnvelopes(value);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const common = { v: 1, site: 'sh"op', receivedAt: meta.receivedAt, sentAt: body.sentAt };
    expect(decoded.value).toEqual([
      {
        ...common,
        country: 'DE',
        ipPrefix: '',
        event: {
          type: 'page',
          anonymousId: 'a',
          context: { locale: 'de-DE', page: { path: '/own' } },
        },
      },
      {
        ...common,
        country: 'DE',
        ipPrefix: '',
        event: { ...(body.batch[1] as object), context: body.context },
      },
      // Validation refuses it later, as a failed event with the record's source.
      { ...common, country: 'DE', ipPrefix: '', event: 'not an event' },
    ]);
  });

  it.each([
    ['not JSON', '{"v":1,'],
    ['empty', ''],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
    ['an array', '[1,2]'],
    ['a string', '"hello"'],
    ['an unknown version', JSON.stringify({ ...envelope, v: 3 })],
    ['no site', JSON.stringify({ ...envelope, site: '' })],
    ['no receivedAt', JSON.stringify({ ...envelope, receivedAt: 'yesterday' })],
    ['no event', JSON.stringify({ v: 1, site: 's', receivedAt: 1 })],
    ['a batch record without a body', JSON.stringify({ ...meta, v: 2 })],
    ['a batch record whose body is an array', encodeBatchEnvelope(meta, '[]')],
    ['a batch record without a batch', encodeBatchEnvelope(meta, '{"batch":{}}')],
    ['a version 1 record shaped as a batch', JSON.stringify({ ...meta, v: 1, body: {} })],
  ])('calls %s a poison message', (_name, value) => {
    const result = decodeEnvelopes(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe('poison_message');
  });
});
