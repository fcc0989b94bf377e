import { gunzipSync } from 'node:zlib';
import { fail, ok, type Result } from '../../core/index.js';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export type BodyProblem = 'invalid_json' | 'batch_too_large' | 'unsupported_encoding';

/**
 * Turns a request body into JSON, whatever the sender labelled it: JSON, gzip-compressed JSON
 * (by Content-Encoding, or by the gzip magic bytes, which is how RudderStack's Node SDK sends a
 * gzip body labelled `application/x-www-form-urlencoded`), or `text/plain` from sendBeacon.
 * The decompressed size is bounded, so a small zip bomb cannot take memory. The JSON text comes
 * back too, for a batch the collector logs as it came (encodeBatchEnvelope).
 */
export function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Result<{ json: unknown; text: string; bytes: number }, BodyProblem> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip') {
    return fail('unsupported_encoding', `Content-Encoding "${encoding}" is not supported`);
  }
  let text: Buffer = raw;
  if (encoding === 'gzip' || (raw[0] === GZIP_MAGIC_0 && raw[1] === GZIP_MAGIC_1)) {
    try {
      text = gunzipSync(raw, { maxOutputLength: maxBytes + 1 });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        return fail('batch_too_large', `the body is over ${maxBytes} bytes once decompressed`);
      }
      return fail('invalid_json', `the body is not valid gzip: ${(error as Error).message}`);
    }
    if (text.length > maxBytes) {
      return fail('batch_too_large', `the body is over ${maxBytes} bytes once decompressed`);
    }
  }
  if (text.length === 0) return fail('invalid_json', 'the body is empty');
  const json = text.toString('utf8');
  try {
    return ok({ json: JSON.parse(json) as unknown, text: json, bytes: text.length });
  } catch (error) {
    return fail('invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
}
