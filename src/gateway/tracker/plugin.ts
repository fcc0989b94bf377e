import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

/** The tracker's source, read once; it sits beside this file in src/ and in dist/. */
export const TRACKER_SOURCE: string = readFileSync(new URL('./t.js', import.meta.url), 'utf8');
const TRACKER_GZIP = gzipSync(TRACKER_SOURCE, { level: 9 });

/** `GET /t.js`: the browser tracker, cacheable for five minutes, gzip when accepted. */
export async function trackerPlugin(app: FastifyInstance): Promise<void> {
  app.get('/t.js', async (request, reply) => {
    reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('vary', 'Accept-Encoding');
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
      return reply.header('content-encoding', 'gzip').send(TRACKER_GZIP);
    }
    return reply.send(TRACKER_SOURCE);
  });
}
