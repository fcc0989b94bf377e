/**
 * A plain node:http client for collector tests: raw bodies (bytes, gzip, garbage), any headers,
 * and a chosen local address, so one test process can be several "sources" on loopback
 * (127.0.0.1, 127.0.0.2, ...) as the collector's per-source rate limit sees them.
 */
import { request, type Agent } from 'node:http';

export interface PostOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Source address of the connection, e.g. '127.0.0.2'. */
  readonly localAddress?: string;
  readonly agent?: Agent;
  readonly timeoutMs?: number;
}

export interface PostAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body parsed as JSON, or the text when it is not JSON. */
  readonly body: unknown;
}

/** Basic auth the way Segment's clients send the write key. */
export const basicAuth = (writeKey: string): string =>
  `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

/**
 * POSTs `body` (an object is sent as JSON) and resolves with the answer. A connection the
 * server closes before answering rejects: tests must see that, not a made-up status.
 */
export function post(url: string, body: unknown, options: PostOptions = {}): Promise<PostAnswer> {
  const payload = Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(bytes.length),
          ...options.headers,
        },
        localAddress: options.localAddress,
        agent: options.agent,
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text) as unknown;
          } catch {
            // Not JSON (e.g. an empty body): the text is the answer.
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url}: no answer in time`)));
    req.on('error', reject);
    req.end(bytes);
  });
}

/** A field of a JSON answer body, for assertions. */
export function field(answer: PostAnswer, name: string): unknown {
  const body = answer.body;
  return typeof body === 'object' && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined;
}
