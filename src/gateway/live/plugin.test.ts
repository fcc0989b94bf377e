import Fastify, { type FastifyInstance } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalScoreFeed, systemClock, silentLogger, type Score } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import { livePlugin } from './plugin.js';
import { issueLiveToken } from './token.js';

// The plugin over real loopback sockets (ws clients), fed through a LocalScoreFeed as the runtime
// feeds it. The real pipeline in front of it is exercised in test/live-runtime.integration.test.ts.

const shop: SiteConfig = {
  id: 'shop',
  writeKey: 'wk_shop_live_1',
  secretKey: 'sk_shop_live_1',
  allowedOrigins: ['https://shop.example'],
  respectDoNotTrack: false,
};
const blog: SiteConfig = {
  id: 'blog',
  writeKey: 'wk_blog_live_1',
  secretKey: 'sk_blog_live_1',
  allowedOrigins: [],
  respectDoNotTrack: false,
};

interface Frame {
  readonly type: string;
  readonly visitor: string;
  readonly at: number;
  readonly propensity: number;
}

interface Client {
  readonly socket: WebSocket;
  readonly frames: Frame[];
}

interface Refusal {
  readonly status: number;
  readonly body: { code: string };
  readonly opened: boolean;
}

let app: FastifyInstance;
let base: string;
const feed = new LocalScoreFeed();

beforeAll(async () => {
  app = Fastify();
  await app.register(fastifyWebsocket);
  await app.register(livePlugin, {
    sites: [shop, blog],
    scores: feed,
    clock: systemClock,
    logger: silentLogger,
    tickMs: 5,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  base = `127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app.close();
});

function token(site: SiteConfig, visitor: string, ttlSeconds = 300, nowMs = Date.now()): string {
  return issueLiveToken({ site: site.id, secretKey: site.secretKey, visitor, ttlSeconds, nowMs });
}

/** Opens a socket and resolves once the server confirmed the subscription. */
function connect(query: string, origin?: string): Promise<Client> {
  const socket = new WebSocket(
    `ws://${base}/v1/live?${query}`,
    origin === undefined ? {} : { origin },
  );
  const frames: Frame[] = [];
  return new Promise((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as Frame;
      if (frame.type === 'subscribed') resolve({ socket, frames });
      else frames.push(frame);
    });
    socket.on('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    socket.on('error', reject);
  });
}

/** Attempts an upgrade that must be refused; reports the HTTP answer. */
function refused(query: string, origin?: string): Promise<Refusal> {
  const socket = new WebSocket(
    `ws://${base}/v1/live?${query}`,
    origin === undefined ? {} : { origin },
  );
  let opened = false;
  socket.on('open', () => {
    opened = true;
  });
  return new Promise((resolve, reject) => {
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code: string },
          opened,
        }),
      );
    });
    socket.on('message', () => reject(new Error('a refused socket received a frame')));
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
  });
}

function score(site: string, visitor: string, n: number): Score {
  return {
    site,
    visitor,
    sessionId: `session-${visitor}`,
    at: n,
    propensity: (n % 100) / 100,
    markovProbability: 0.1,
    nextPages: [],
    modelVersion: 'm1',
  };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('/v1/live', () => {
  it('never sends a frame about one visitor to another, and each gets its own', async () => {
    const alice = await connect(`token=${token(shop, 'alice')}`, 'https://shop.example');
    const bob = await connect(`token=${token(shop, 'bob')}&visitor=bob&site=shop`);
    // Same visitor id on another site: a different visitor.
    const otherAlice = await connect(`token=${token(blog, 'alice')}`);
    const last = 3_000;
    for (let n = 1; n <= last; n++) {
      feed.publish(score('shop', n % 2 === 0 ? 'alice' : 'bob', n));
      feed.publish(score('shop', `stranger-${n % 7}`, n));
      // Spread over several ticks so frames are coalesced, not only one per visitor.
      if (n % 300 === 0) await new Promise((resolve) => setTimeout(resolve, 7));
    }
    await until(
      () => alice.frames.at(-1)?.at === last && bob.frames.at(-1)?.at === last - 1,
      'the last score of both visitors',
    );
    expect(alice.frames.length).toBeGreaterThan(1);
    expect(bob.frames.length).toBeGreaterThan(1);
    expect(alice.frames.every((f) => f.visitor === 'alice' && f.at % 2 === 0)).toBe(true);
    expect(bob.frames.every((f) => f.visitor === 'bob' && f.at % 2 === 1)).toBe(true);
    // Coalesced: far fewer frames than scores, in order.
    expect(alice.frames.length).toBeLessThan(last / 2);
    const ats = alice.frames.map((f) => f.at);
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
    expect(otherAlice.frames).toEqual([]);
    for (const client of [alice, bob, otherAlice]) client.socket.close();
  });

  it('refuses foreign origins, expired, forged and mismatched tokens with stable codes', async () => {
    // A listener for each visitor named below: any frame reaching a refused socket fails the
    // test (see refused()), and these scores are published while the attempts are made.
    const timer = setInterval(() => {
      for (const visitor of ['alice', 'bob', 'mallory']) feed.publish(score('shop', visitor, 1));
    }, 2);
    try {
      const valid = token(shop, 'alice');
      const [, payload] = valid.split('.');
      const cases: Array<[string, string, string | undefined, number, string]> = [
        ['no token', '', undefined, 401, 'missing_token'],
        ['foreign origin', `token=${valid}`, 'https://evil.example', 403, 'origin_not_allowed'],
        [
          'expired token',
          `token=${token(shop, 'alice', 60, Date.now() - 61_000)}`,
          undefined,
          401,
          'token_expired',
        ],
        [
          'forged signature',
          `token=pcl1.${payload}.${'A'.repeat(43)}`,
          undefined,
          401,
          'invalid_token',
        ],
        [
          'signed with the wrong site secret',
          `token=${issueLiveToken({ site: 'shop', secretKey: blog.secretKey, visitor: 'alice', ttlSeconds: 60, nowMs: Date.now() })}`,
          undefined,
          401,
          'invalid_token',
        ],
        ["another visitor's id", `token=${valid}&visitor=bob`, undefined, 403, 'token_mismatch'],
        ['another site', `token=${valid}&site=blog`, undefined, 403, 'token_mismatch'],
      ];
      for (const [name, query, origin, status, code] of cases) {
        const refusal = await refused(query, origin);
        expect({
          name,
          status: refusal.status,
          code: refusal.body.code,
          opened: refusal.opened,
        }).toEqual({
          name,
          status,
          code,
          opened: false,
        });
      }
    } finally {
      clearInterval(timer);
    }
  });

  it('issues tokens to the site backend by secret key', async () => {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/live/token',
      headers: { authorization: `Bearer ${shop.secretKey}` },
      payload: { visitor: 'carol', ttlSeconds: 120 },
    });
    expect(answer.statusCode).toBe(200);
    const body = answer.json<{ token: string; visitor: string; site: string }>();
    expect(body).toMatchObject({ success: true, site: 'shop', visitor: 'carol' });
    const carol = await connect(`token=${body.token}`);
    feed.publish(score('shop', 'carol', 42));
    await until(() => carol.frames.length === 1, 'carol’s frame');
    expect(carol.frames[0]).toMatchObject({ visitor: 'carol', at: 42 });
    carol.socket.close();

    const refusals = await Promise.all([
      app.inject({ method: 'POST', url: '/v1/live/token', payload: { visitor: 'x' } }),
      app.inject({
        method: 'POST',
        url: '/v1/live/token',
        headers: { authorization: `Bearer ${shop.writeKey}` },
        payload: { visitor: 'x' },
      }),
      app.inject({
        method: 'POST',
        url: '/v1/live/token',
        headers: { authorization: `Bearer ${shop.secretKey}` },
        payload: { visitor: 'x', ttlSeconds: 999_999 },
      }),
    ]);
    expect(refusals.map((r) => [r.statusCode, r.json<{ code: string }>().code])).toEqual([
      [401, 'missing_secret_key'],
      [401, 'invalid_secret_key'],
      [400, 'invalid_body'],
    ]);
  });

  it('issues a browser its own token by write key, from an allowed origin only', async () => {
    const ask = (origin: string, writeKey: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/live/visitor-token',
        headers: { origin, 'content-type': 'application/json' },
        payload: { writeKey, anonymousId: 'dave' },
      });
    const ok = await ask('https://shop.example', shop.writeKey);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example');
    const dave = await connect(
      `token=${ok.json<{ token: string }>().token}`,
      'https://shop.example',
    );
    feed.publish(score('shop', 'dave', 7));
    await until(() => dave.frames.length === 1, 'dave’s frame');
    dave.socket.close();

    const foreign = await ask('https://evil.example', shop.writeKey);
    expect([foreign.statusCode, foreign.json<{ code: string }>().code]).toEqual([
      403,
      'origin_not_allowed',
    ]);
    const unknown = await ask('https://shop.example', 'wk_nope_12345');
    expect([unknown.statusCode, unknown.json<{ code: string }>().code]).toEqual([
      401,
      'invalid_write_key',
    ]);
  });
});
