import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody } from './body.js';

const LIMIT = 500 * 1024;
const json = { batch: [{ type: 'track', event: 'x', anonymousId: 'a' }] };

describe('decodeBody', () => {
  it.each([
    ['plain JSON', Buffer.from(JSON.stringify(json)), undefined],
    ['gzip by header', gzipSync(JSON.stringify(json)), 'gzip'],
    [
      'gzip by magic bytes (RudderStack labels it form-urlencoded)',
      gzipSync(JSON.stringify(json)),
      undefined,
    ],
    ['identity encoding', Buffer.from(JSON.stringify(json)), 'identity'],
  ])('reads %s', (_name, body, encoding) => {
    expect(decodeBody(body, encoding, LIMIT)).toEqual({
      ok: true,
      value: { json, text: JSON.stringify(json), bytes: JSON.stringify(json).length },
    });
  });

  it.each([
    ['empty body', Buffer.alloc(0), undefined, 'invalid_json'],
    ['broken JSON', Buffer.from('{"batch": ['), undefined, 'invalid_json'],
    ['NUL bytes', Buffer.from([0, 0, 0]), undefined, 'invalid_json'],
    ['broken gzip', Buffer.from([0x1f, 0x8b, 1, 2, 3]), undefined, 'invalid_json'],
    ['brotli', Buffer.from('x'), 'br', 'unsupported_encoding'],
    ['a zip bomb', gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20)), 'gzip', 'batch_too_large'],
  ])('rejects %s', (_name, body, encoding, code) => {
    const result = decodeBody(body, encoding, LIMIT);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(code);
  });
});
