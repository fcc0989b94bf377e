import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type RawEnvelope } from './envelope.js';

const envelope: RawEnvelope = {
  v: 1,
  site: 'shop',
  receivedAt: 1_780_000_000_000,
  sentAt: '2026-06-01T12:00:00Z',
  country: 'DE',
  ipPrefix: '203.0.113.0',
  event: { type: 'track', event: `"quoted" \\ \u0000 🚀`, anonymousId: 'a' },
};

describe('envelope', () => {
  it('round-trips', () => {
    expect(decodeEnvelope(Buffer.from(encodeEnvelope(envelope)))).toEqual({
      ok: true,
      value: envelope,
    });
  });

  it.each([
    ['not JSON', '{"v":1,'],
    ['empty', ''],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
    ['an array', '[1,2]'],
    ['a string', '"hello"'],
    ['wrong version', JSON.stringify({ ...envelope, v: 2 })],
    ['no site', JSON.stringify({ ...envelope, site: '' })],
    ['no receivedAt', JSON.stringify({ ...envelope, receivedAt: 'yesterday' })],
    ['no event', JSON.stringify({ v: 1, site: 's', receivedAt: 1 })],
  ])('calls %s a poison message', (_name, value) => {
    const result = decodeEnvelope(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe('poison_message');
  });
});
