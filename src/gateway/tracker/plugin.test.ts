import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { TRACKER_SOURCE, trackerPlugin } from './plugin.js';

describe('GET /t.js', () => {
  it('serves the tracker, gzipped under 5 KB', async () => {
    const app = Fastify();
    await app.register(trackerPlugin);
    const plain = await app.inject({ method: 'GET', url: '/t.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toContain('application/javascript');
    expect(plain.body).toBe(TRACKER_SOURCE);
    const zipped = await app.inject({
      method: 'GET',
      url: '/t.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(5 * 1024);
    expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(TRACKER_SOURCE);
    await app.close();
  });

  it('is a self-contained script with the public API', () => {
    expect(TRACKER_SOURCE).not.toMatch(/\bimport\b|\brequire\(/);
    for (const name of [
      'track',
      'identify',
      'page',
      'sendBeacon',
      'pushState',
      'visibilitychange',
    ]) {
      expect(TRACKER_SOURCE).toContain(name);
    }
  });
});
