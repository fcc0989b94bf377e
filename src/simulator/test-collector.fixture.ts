import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a tiny collector double saw of one request. */
export interface SeenRequest {
  readonly path: string;
  readonly authorization: string;
  readonly status: number;
  readonly messageIds: string[];
  readonly batchSize: number;
  /** Per event, Segment's corrected time: timestamp + (receivedAt - sentAt). */
  readonly correctedTimes: number[];
}

export interface TestCollector {
  readonly url: string;
  readonly requests: SeenRequest[];
  readonly maxInFlight: () => number;
  close(): Promise<void>;
}

/**
 * A Segment-ish collector for tests: 400 for bodies that are not JSON or hold an event with no
 * ids, a wrong-typed field or over 32 KB; optionally 503 for the first try of every n-th
 * request, or 429 with `Retry-After: 1` for every n-th; a small delay so concurrency shows.
 */
export async function startTestCollector(
  options: { failEvery?: number; limitEvery?: number; delayMs?: number } = {},
): Promise<TestCollector> {
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let count = 0;
  const read = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    void (async () => {
      const text = await read(req);
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 2));
      count++;
      let status = 200;
      let ids: string[] = [];
      let size = 0;
      let corrected: number[] = [];
      const receivedAt = Date.now();
      if (options.failEvery !== undefined && count % options.failEvery === 0) status = 503;
      else if (options.limitEvery !== undefined && count % options.limitEvery === 0) status = 429;
      else {
        try {
          const body = JSON.parse(text) as { batch: Record<string, unknown>[] };
          size = body.batch.length;
          ids = body.batch.map((e) => String(e['messageId']));
          corrected = body.batch.map(
            (e) =>
              Date.parse(String(e['timestamp'])) + receivedAt - Date.parse(String(e['sentAt'])),
          );
          const bad = body.batch.some(
            (e) =>
              (e['anonymousId'] === undefined && e['userId'] === undefined) ||
              typeof e['timestamp'] !== 'string' ||
              JSON.stringify(e).length > 32 * 1024,
          );
          if (bad) status = 400;
        } catch {
          status = 400;
        }
      }
      requests.push({
        path: req.url ?? '',
        authorization: req.headers.authorization ?? '',
        status,
        messageIds: ids,
        batchSize: size,
        correctedTimes: corrected,
      });
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 429 ? { 'retry-after': '1' } : {}),
      });
      res.end(status === 200 ? '{"success":true}' : '{"error":"nope"}');
      inFlight--;
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
