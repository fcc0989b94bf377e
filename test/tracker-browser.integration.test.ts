/**
 * The browser tracker (`GET /t.js`, issue 3 item 6) in real Chromium: a page served from another
 * origin loads the script asynchronously, records its page view, a track, an identify and two
 * single-page-app navigations, and hands what is queued to sendBeacon when the page goes away.
 * The log then holds exactly those five events, with one anonymousId throughout and the userId
 * from the identify on. A site whose allowedOrigins exclude the page gets 403s and nothing in
 * the log.
 *
 * NOTE: the page's clock is paused (Playwright's fake timers), so the tracker's 2-second flush
 * timer and its retry timer never fire during a test: the landing page view leaves at once
 * (the tracker sends it on load), everything after it is still queued when the page is hidden,
 * and the unload path (sendBeacon, text/plain, no CORS preflight) is what carries it, every run.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from './polling.js';
import { launchChromium } from './support/chromium.js';
import {
  drainTopic,
  eventOf,
  startCollector,
  testSite,
  type CollectorHarness,
  type SeenRequest,
} from './support/collector-harness.js';
import { startPageServer, trackerPage, type PageServer } from './support/page-server.js';

const SCREENSHOT = new URL('../test-results/tracker.png', import.meta.url);

let harness: CollectorHarness;
let website: PageServer;
let browser: Browser;

beforeAll(async () => {
  harness = await startCollector({
    log: { kind: 'memory' },
    sites: [
      testSite('shop'),
      // The page's origin (a loopback port) is not among these.
      testSite('locked', { allowedOrigins: ['https://shop.example'] }),
    ],
  });
  website = await startPageServer((path) => {
    const siteId = path.startsWith('/locked') ? 'locked' : 'shop';
    return trackerPage(harness.url, harness.site(siteId).writeKey, `Test ${siteId}`);
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await website?.close();
  await harness?.close();
});

/** The tracker's batch requests from `origin`, from the `since`-th request the collector saw. */
const batchesFrom = (origin: string, since: number): SeenRequest[] =>
  harness
    .requests()
    .slice(since)
    .filter((r) => r.method === 'POST' && r.url === '/v1/batch' && r.headers['origin'] === origin);

interface OpenedPage {
  readonly page: Page;
  /** The collector's view of the landing page view's request. */
  readonly landing: SeenRequest;
  /** What the browser made of it: a readable response, or a failure (e.g. CORS). */
  readonly outcome: { readonly response: Response } | { readonly failure: string };
  /** Index of the first collector request made for this page. */
  readonly since: number;
}

/** Opens `path` with a paused clock and waits for the tracker and its landing page view. */
async function openTrackedPage(path: string): Promise<OpenedPage> {
  const since = harness.requests().length;
  const page = await (await browser.newContext()).newPage();
  const outcomes: OpenedPage['outcome'][] = [];
  const isBatch = (url: string): boolean => url === `${harness.url}/v1/batch`;
  page.on('response', (response) => {
    if (isBatch(response.url())) outcomes.push({ response });
  });
  page.on('requestfailed', (request) => {
    if (isBatch(request.url())) outcomes.push({ failure: request.failure()?.errorText ?? '' });
  });
  await page.clock.install();
  await page.clock.pauseAt(Date.now() + 1_000);
  await page.goto(`${website.origin}${path}`);
  await page.waitForFunction('window.pathcast !== undefined && window.pathcast.loaded === true');
  const [landing, outcome] = await pollUntil(
    'the landing page view',
    () => {
      const seen = batchesFrom(website.origin, since);
      return seen[0] !== undefined && outcomes[0] !== undefined
        ? ([seen[0], outcomes[0]] as const)
        : undefined;
    },
    { timeoutMs: 15_000, describe: () => JSON.stringify(harness.requests().slice(since)) },
  );
  return { page, landing, outcome, since };
}

/** SPA navigation; the tracker records the page view from a zero-delay timer, so run it. */
async function navigate(page: Page, path: string): Promise<void> {
  await page.evaluate(`history.pushState({}, '', ${JSON.stringify(path)})`);
  await page.clock.runFor(10);
}

/** Events the tracker holds (it mirrors its queue into localStorage). */
async function queued(page: Page): Promise<number> {
  const length = await page.evaluate(
    "JSON.parse(localStorage.getItem('pathcast_queue') || '[]').length",
  );
  if (typeof length !== 'number') throw new Error(`queue length is ${String(length)}`);
  return length;
}

/** Hides the page the way a tab closes: pagehide and visibilitychange, then gone. */
async function hide(page: Page): Promise<void> {
  await page.close({ runBeforeUnload: true });
}

describe('the /t.js tracker in Chromium', () => {
  it('sends page views (SPA too), track and identify with sendBeacon when the page is hidden', async () => {
    const { page, landing, outcome, since } = await openTrackedPage('/shop');
    // The landing page view went by fetch, cross-origin, and the browser could read the answer.
    expect(landing.status).toBe(200);
    expect(landing.headers['sec-fetch-mode']).toBe('cors');
    if (!('response' in outcome)) throw new Error(`the landing fetch failed: ${outcome.failure}`);
    expect(await outcome.response.headerValue('access-control-allow-origin')).toBe(website.origin);
    await pollUntil(
      'the landing page view to leave the queue',
      async () => ((await queued(page)) === 0 ? true : undefined),
      { timeoutMs: 10_000 },
    );
    expect(
      harness.requests().some((r) => r.method === 'GET' && r.url === '/t.js' && r.status === 200),
    ).toBe(true);

    const anonymousId = await page.evaluate('pathcast.anonymousId()');
    expect(typeof anonymousId).toBe('string');
    expect(anonymousId).not.toBe('');
    // The page's own button handler calls pathcast.track.
    await page.click('#buy');
    await page.evaluate("pathcast.identify('user-1', { plan: 'pro', email: 'u1@example.com' })");
    await navigate(page, '/products/42');
    await navigate(page, '/checkout');

    // The other four are still in the page: they can only leave by the unload path.
    expect(await queued(page)).toBe(4);
    expect(batchesFrom(website.origin, since)).toEqual([landing]);

    mkdirSync(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: fileURLToPath(SCREENSHOT), fullPage: true });
    await hide(page);

    const beacons = await pollUntil(
      'the beacon with the queued events',
      () => {
        const sent = batchesFrom(website.origin, since).slice(1);
        return sent.length > 0 ? sent : undefined;
      },
      { timeoutMs: 15_000, describe: () => JSON.stringify(harness.requests().slice(since)) },
    );
    for (const request of beacons) {
      expect(request.status).toBe(200);
      // sendBeacon with a text/plain Blob: a no-cors request, no preflight, key in the body.
      expect(request.headers['sec-fetch-mode']).toBe('no-cors');
      expect(String(request.headers['content-type'])).toMatch(/^text\/plain/);
      expect(request.headers['authorization']).toBeUndefined();
    }

    const events = (await harness.readEvents())
      .filter((envelope) => envelope.site === 'shop')
      .map(eventOf);
    expect(events.map((e) => e['type'])).toEqual(['page', 'track', 'identify', 'page', 'page']);
    expect(new Set(events.map((e) => e['anonymousId']))).toEqual(new Set([anonymousId]));
    expect(new Set(events.map((e) => e['messageId'])).size).toBe(5);

    const pages = events.filter((e) => e['type'] === 'page');
    expect(pages.map((e) => (e['properties'] as { path?: unknown }).path)).toEqual([
      '/shop',
      '/products/42',
      '/checkout',
    ]);
    expect(pages.map((e) => e['userId'])).toEqual([undefined, 'user-1', 'user-1']);
    expect(pages[2]?.['properties']).toMatchObject({
      url: `${website.origin}/checkout`,
      title: 'Test shop',
    });

    const [, track, identify] = events;
    expect(track).toMatchObject({ event: 'Clicked', properties: { button: 'buy', price: 12.5 } });
    expect(track?.['userId']).toBeUndefined();
    expect(identify).toMatchObject({
      userId: 'user-1',
      traits: { plan: 'pro', email: 'u1@example.com' },
    });
    expect((await harness.readFailed()).filter((f) => f.site === 'shop')).toEqual([]);

    // Each of the tracker's batches (one visitor's valid events, no IP) is one record, as sent.
    const records = (await drainTopic(harness.log, harness.topics.events))
      .map((record) => JSON.parse(record.value.toString()) as { v: number; site: string })
      .filter((record) => record.site === 'shop');
    expect(records.map((record) => record.v)).toEqual([landing, ...beacons].map(() => 2));
  });

  it('gets 403s for a site whose allowedOrigins exclude the page, and logs nothing', async () => {
    const { page, landing, outcome, since } = await openTrackedPage('/locked');
    expect(landing.status).toBe(403);
    // The 403 carries Access-Control-Allow-Origin, so the tracker can read the refusal and drops
    // the batch instead of retrying it forever.
    expect('response' in outcome && outcome.response.status()).toBe(403);
    await page.click('#buy');
    expect(await queued(page)).toBe(1);
    await hide(page);

    const answered = await pollUntil(
      'the landing page view and the beacon',
      () => {
        const sent = batchesFrom(website.origin, since);
        return sent.length >= 2 ? sent : undefined;
      },
      { timeoutMs: 15_000, describe: () => JSON.stringify(harness.requests().slice(since)) },
    );
    expect(answered.map((r) => [r.headers['sec-fetch-mode'], r.status])).toEqual([
      ['cors', 403],
      ['no-cors', 403],
    ]);
    const events = await harness.readEvents();
    expect(events.filter((e) => e.site === 'locked')).toEqual([]);
    expect((await harness.readFailed()).filter((f) => f.site === 'locked')).toEqual([]);
  });
});

describe('the /t.js tracker against a rate-limited collector', () => {
  let limited: CollectorHarness;
  let site: PageServer;

  beforeAll(async () => {
    // One event at once, then one every 10 s: the tracker's second batch gets a 429 asking for
    // several seconds, longer than its own backoff after one failure (at most 2.5 s).
    limited = await startCollector({
      log: { kind: 'memory' },
      sites: [testSite('slow')],
      rateLimit: { eventsPerSecond: 0.1, burst: 1 },
    });
    site = await startPageServer(() =>
      trackerPage(limited.url, limited.site('slow').writeKey, 'Test slow'),
    );
  });

  afterAll(async () => {
    await site?.close();
    await limited?.close();
  });

  it('waits as long as a 429 asks (Retry-After) before sending again', async () => {
    const posts = (): SeenRequest[] =>
      limited.requests().filter((r) => r.method === 'POST' && r.url === '/v1/batch');
    const context = await browser.newContext();
    const page = await context.newPage();
    const retryAfter: string[] = [];
    // Read the header synchronously: an asynchronous read could still be pending when the page
    // closes (a later 429), and would then reject outside the test.
    page.on('response', (response) => {
      if (response.status() === 429) retryAfter.push(response.headers()['retry-after'] ?? '');
    });
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 1_000);
    await page.goto(`${site.origin}/slow`);
    await page.waitForFunction('window.pathcast !== undefined && window.pathcast.loaded === true');
    const [landing] = await pollUntil('the landing page view', () => posts()[0] && posts(), {
      timeoutMs: 15_000,
    });
    expect(landing?.status).toBe(200);

    // A track, sent by the tracker's 2-second flush timer: refused, with a Retry-After the
    // page can read (the collector exposes it to CORS).
    await page.click('#buy');
    await page.clock.runFor(2_000);
    const wait = await pollUntil(
      'the 429 and its Retry-After',
      () => (posts()[1] !== undefined && retryAfter[0] !== undefined ? retryAfter[0] : undefined),
      { timeoutMs: 15_000, describe: () => JSON.stringify(posts()) },
    );
    expect(posts()[1]?.status).toBe(429);
    const seconds = Number(wait);
    expect(seconds).toBeGreaterThanOrEqual(3);

    // Nothing before the time asked for, though the tracker's own backoff is shorter...
    await page.clock.runFor(seconds * 1000 - 300);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(posts()).toHaveLength(2);
    // ...and the retry right after it.
    await page.clock.runFor(400);
    await pollUntil('the retry', () => posts()[2], { timeoutMs: 15_000 });
    await context.close();
  });
});
