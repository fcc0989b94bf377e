/**
 * The marketer dashboard end to end (issue 7, items 3 and 5): a real Runtime on embedded chdb,
 * fed by the simulator through the collector (a day of historical traffic delivered as fast as
 * the collector takes it, then live traffic), the gateway serving the built web app, and Debian's
 * Chromium driven by playwright-core.
 *
 * - the API refuses missing, wrong and write keys, other sites and bad filters with stable codes;
 * - after logging in through the form, every chart holds series data and has drawn its canvas;
 * - the live counters move;
 * - a page carrying /t.js shows up in the live sessions table with a propensity.
 *
 * Screenshots go to artifacts/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MemoryLogger, silentLogger } from '../src/core/index.js';
import { loadConfig } from '../src/config/index.js';
import { Runtime } from '../src/runtime/index.js';
import { createHttpSink, runSimulation, type RunSummary } from '../src/simulator/index.js';
import { pollUntil } from './polling.js';
import { launchChromium } from './support/chromium.js';
import { startPageServer, trackerPage, type PageServer } from './support/page-server.js';
import { gatewayFor } from './support/gateway.js';

const ROOT = new URL('../', import.meta.url);
const WEB_INDEX = new URL('dist/web/index.html', ROOT);
const SCREENSHOTS = new URL('artifacts/screenshots/', ROOT);

const SITE = { id: 'shop', writeKey: 'wk_dash_shop_1', secretKey: 'sk_dash_shop_1' };
const OTHER = { id: 'other', writeKey: 'wk_dash_other_1', secretKey: 'sk_dash_other_1' };
/** A desktop Chrome: HeadlessChrome is (rightly) classed as a bot, and bots are not scored. */
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const CHARTS = ['timeline', 'funnel', 'sankey', 'attribution', 'map', 'calibration', 'failures'];

let runtime: Runtime;
let url: string;
let browser: Browser;
let website: PageServer;
let historical: RunSummary;
const liveTraffic = new AbortController();
let live: Promise<RunSummary> | undefined;

async function api(
  path: string,
  init: { key?: string; cookie?: string; method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (init.key !== undefined) headers['authorization'] = `Bearer ${init.key}`;
  if (init.cookie !== undefined) headers['cookie'] = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    redirect: 'manual',
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as never) };
}

/** The gateway's log: a 500 in a test names the error it logged. */
const gatewayLogger = new MemoryLogger();

const get = async (path: string): Promise<Record<string, unknown>> => {
  const answer = await api(path, { key: SITE.secretKey });
  if (answer.status !== 200) {
    const logged = gatewayLogger.lines.filter((line) => line.level === 'error');
    throw new Error(
      `${path}: ${answer.status} ${JSON.stringify(answer.body)} ${JSON.stringify(logged)}`,
    );
  }
  return answer.body;
};

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({
    path: fileURLToPath(new URL(`${name}.png`, SCREENSHOTS)),
    fullPage: true,
  });
}

beforeAll(async () => {
  // test/global-setup.ts built dist/web when it was missing or stale.
  expect(existsSync(WEB_INDEX)).toBe(true);
  const config = loadConfig({
    PATHCAST_DATA_DIR: mkdtempSync(join(tmpdir(), 'pathcast-dashboard-')),
    PATHCAST_PORT: '0',
    PATHCAST_PARTITIONS: '2',
    PATHCAST_LOG_LEVEL: 'silent',
    PATHCAST_SITES: JSON.stringify({ sites: [SITE, OTHER] }),
  });
  runtime = new Runtime(config, {
    logger: silentLogger,
    pipeline: { checkpointIntervalMs: 200, tickMs: 100 },
    buildApp: (parts) => gatewayFor(config, parts, gatewayLogger),
  });
  await runtime.start();
  url = runtime.status().url ?? '';

  // History: a day's worth of traffic two days ago (the simulator may run past `days` to make
  // its events), so its sessions close and fill every report.
  const now = Date.now();
  historical = await runSimulation(
    {
      events: 3000,
      seed: 11,
      sites: 1,
      writeKeys: [SITE.writeKey],
      timing: 'historical',
      start: now - 2 * 86_400_000,
      days: 1,
      faults: { malformed: 0.03, late: 0, clockSkew: 0 },
    },
    createHttpSink({ url, batchSize: 100, concurrency: 2, logger: silentLogger }),
  );
  // Then live traffic for as long as the tests run.
  live = runSimulation(
    {
      events: 1_000_000,
      seed: 12,
      sites: 1,
      writeKeys: [SITE.writeKey],
      timing: 'live',
      rate: 1,
      faults: { malformed: 0, late: 0, clockSkew: 0, outOfOrder: 0, duplicate: 0 },
    },
    createHttpSink({ url, batchSize: 5, concurrency: 1, lingerMs: 100, logger: silentLogger }),
    { signal: liveTraffic.signal },
  );

  // Every report has something to show once sessions closed and were stored.
  await pollUntil(
    'stored sessions, conversions, channel paths and failures',
    async () => {
      const overview = (await get('/api/overview')) as {
        kpis: { sessions: number; conversions: number };
      };
      const attribution = (await get('/api/attribution')) as { channels: unknown[] };
      const failures = (await get('/api/failures')) as { total: number };
      const countries = (await get('/api/countries')) as { countries: unknown[] };
      return overview.kpis.sessions > 50 &&
        overview.kpis.conversions > 0 &&
        attribution.channels.length > 0 &&
        failures.total > 0 &&
        countries.countries.length > 0
        ? true
        : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
  browser = await launchChromium();
  website = await startPageServer(() => trackerPage(url, SITE.writeKey, 'Dashboard test shop'));
}, 300_000);

afterAll(async () => {
  liveTraffic.abort();
  await live?.catch(() => undefined);
  await browser?.close();
  await website?.close();
  await runtime?.close();
}, 60_000);

describe('dashboard API', () => {
  it('refuses requests without the site secret key, with stable codes', async () => {
    expect(historical.events).toBe(3000);
    expect(await api('/api/overview')).toMatchObject({
      status: 401,
      body: { code: 'unauthorized' },
    });
    expect(await api('/api/overview', { key: 'sk_nope' })).toMatchObject({
      status: 401,
      body: { code: 'invalid_secret_key' },
    });
    expect(await api('/api/overview', { key: SITE.writeKey })).toMatchObject({
      status: 403,
      body: { code: 'write_key_forbidden' },
    });
    expect(await api('/api/overview?site=other', { key: SITE.secretKey })).toMatchObject({
      status: 403,
      body: { code: 'site_forbidden' },
    });
    expect(await api('/api/timeline?bucket=week', { key: SITE.secretKey })).toMatchObject({
      status: 400,
      body: { code: 'invalid_query' },
    });
    expect(await api('/api/overview?from=20&to=10', { key: SITE.secretKey })).toMatchObject({
      status: 400,
      body: { code: 'invalid_filter' },
    });
    // The page sends browsers without a session to the login form, which is public.
    const page = await fetch(`${url}/`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login');
    expect((await fetch(`${url}/login`)).status).toBe(200);
  });

  it('logs in with site id and secret key to a signed HttpOnly session cookie, and out', async () => {
    expect(
      await api('/api/login', {
        method: 'POST',
        body: { site: SITE.id, secretKey: OTHER.secretKey },
      }),
    ).toMatchObject({ status: 401, body: { code: 'invalid_login' } });
    const response = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: SITE.id, secretKey: SITE.secretKey }),
    });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^pathcast_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/,
    );
    const cookie = setCookie.split(';')[0] ?? '';
    expect(await api('/api/me', { cookie })).toMatchObject({
      status: 200,
      body: { site: SITE.id, via: 'session', geoAttribution: expect.stringContaining('DB-IP') },
    });
    // A tampered cookie is refused.
    expect(await api('/api/me', { cookie: `${cookie.slice(0, -2)}xx` })).toMatchObject({
      status: 401,
      body: { code: 'session_expired' },
    });
    expect((await api('/api/logout', { method: 'POST', cookie })).status).toBe(204);
    expect(await api('/api/me', { cookie })).toMatchObject({
      status: 401,
      body: { code: 'session_expired' },
    });
  });

  it('streams live frames of the caller\u2019s own site over /api/live, and refuses write keys', async () => {
    const socketUrl = `${url.replace(/^http/, 'ws')}/api/live`;
    const firstFrame = (target: string, headers: Record<string, string> = {}) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const socket = new WebSocket(target, { headers });
        socket.once('message', (data) => {
          socket.close();
          resolve(JSON.parse(String(data)) as Record<string, unknown>);
        });
        socket.once('unexpected-response', (_request, response) => {
          socket.terminate();
          reject(new Error(`HTTP ${response.statusCode}`));
        });
        socket.once('error', reject);
      });
    const own = await firstFrame(`${socketUrl}?token=${SITE.secretKey}`);
    expect(own).toMatchObject({ type: 'live', site: SITE.id, windowMs: 300_000 });
    expect(own['kpis']).toMatchObject({ liveVisitors: expect.any(Number) });
    const other = await firstFrame(socketUrl, { authorization: `Bearer ${OTHER.secretKey}` });
    // The other site has no traffic: its frames carry none of the shop's visitors.
    expect(other).toMatchObject({ site: OTHER.id, sessions: [], kpis: { liveVisitors: 0 } });
    await expect(firstFrame(`${socketUrl}?token=${SITE.writeKey}`)).rejects.toThrow('HTTP 403');
    await expect(firstFrame(socketUrl)).rejects.toThrow('HTTP 401');
  });

  it('answers every report for the site with data', async () => {
    const flow = (await get('/api/page-flow')) as {
      links: Array<{ to: { kind: string } }>;
      sessions: number;
      converted: number;
      exited: number;
    };
    expect(flow.converted).toBeGreaterThan(0);
    expect(flow.exited).toBeGreaterThan(flow.converted);
    expect(flow.converted + flow.exited).toBe(flow.sessions);
    expect(flow.links.some((l) => l.to.kind === 'conversion')).toBe(true);
    const attribution = (await get('/api/attribution')) as {
      conversions: number;
      channels: Array<{ markov: { conversions: number }; first: { conversions: number } }>;
    };
    const sum = (pick: (row: (typeof attribution.channels)[number]) => number): number =>
      attribution.channels.reduce((n, row) => n + pick(row), 0);
    // Markov and first touch each hand out every conversion once.
    expect(sum((r) => r.markov.conversions)).toBeCloseTo(attribution.conversions, 6);
    expect(sum((r) => r.first.conversions)).toBeCloseTo(attribution.conversions, 6);
    const funnel = (await get('/api/funnel')) as {
      steps: Array<{ visitors: number; step: { kind: string } }>;
    };
    expect(funnel.steps.length).toBeGreaterThanOrEqual(2);
    expect(funnel.steps.at(-1)?.step.kind).toBe('conversion');
    const visitors = funnel.steps.map((s) => s.visitors);
    expect(visitors[0]).toBeGreaterThan(0);
    expect([...visitors].sort((a, b) => b - a)).toEqual(visitors);
    const model = (await get('/api/model')) as { examples: number; calibration: unknown[] };
    expect(model.examples).toBeGreaterThan(0);
    expect(model.calibration.length).toBeGreaterThan(0);
  });
});

describe('dashboard in Chromium', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
  });

  it('logs in through the form and draws every chart with data', async () => {
    await page.goto(`${url}/`);
    await page.waitForURL(`${url}/login`);
    await screenshot(page, 'login');
    await page.fill('#site', SITE.id);
    await page.fill('#secret-key', SITE.secretKey);
    await page.click('#login-button');
    await page.waitForURL(`${url}/`);
    await page.waitForFunction(
      'window.pathcastDashboard && window.pathcastDashboard.loads > 0',
      undefined,
      {
        timeout: 60_000,
      },
    );
    expect(await page.evaluate('window.pathcastDashboard.errors')).toEqual([]);

    const sizes = (await page.evaluate('window.pathcastDashboard.seriesSizes()')) as Record<
      string,
      number
    >;
    for (const name of CHARTS) expect(sizes[name], `series data of ${name}`).toBeGreaterThan(0);

    // Each chart has drawn on its canvas: count the pixels that are not blank.
    for (const name of CHARTS) {
      const drawn = await pollUntil(
        `the ${name} chart to be drawn`,
        async () => {
          const n = (await page.evaluate(`(() => {
            const canvas = document.querySelector('#chart-${name} canvas');
            if (!canvas) return 0;
            const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            let inked = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
            return inked;
          })()`)) as number;
          return n > 500 ? n : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      expect(drawn).toBeGreaterThan(500);
    }
    expect(await page.textContent('#geo-credit')).toContain('DB-IP');
    expect(await page.textContent('#model-auc')).toMatch(/^\d\.\d{3}$|^–$/);
    await screenshot(page, 'dashboard');
  });

  it('moves the live counters', async () => {
    const read = async (): Promise<string> =>
      (
        await Promise.all(
          ['#kpi-live-visitors', '#kpi-propensity', '#kpi-sessions'].map((id) =>
            page.textContent(id),
          ),
        )
      ).join(' | ');
    await page.waitForFunction('window.pathcastDashboard.liveFrames() > 0', undefined, {
      timeout: 20_000,
    });
    const first = await read();
    expect(await page.textContent('#live-status')).toBe('live');
    const later = await pollUntil(
      'the live KPIs to change',
      async () => {
        const now = await read();
        return now !== first ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, describe: () => first },
    );
    expect(later).not.toBe(first);
    const liveVisitors = Number((await page.textContent('#kpi-live-visitors'))?.replace(/,/g, ''));
    expect(liveVisitors).toBeGreaterThan(0);
  });

  it('lists a visitor of a page carrying /t.js as a live session with a propensity', async () => {
    const shopper = await browser.newContext({ userAgent: USER_AGENT });
    try {
      const shop = await shopper.newPage();
      await shop.goto(`${website.origin}/product/42`);
      await shop.waitForFunction(
        'window.pathcast !== undefined && window.pathcast.loaded === true',
      );
      const visitor = (await shop.evaluate('pathcast.anonymousId()')) as string;
      expect(visitor).not.toBe('');

      // The API has the visitor first; then the page's next live frame shows it.
      let lastSeen = '';
      await pollUntil(
        'the visitor among the live sessions of the API',
        async () => {
          const listed = (await get('/api/live-sessions?limit=500')) as {
            sessions: Array<{ visitor: string; at: number }>;
          };
          lastSeen = `${listed.sessions.length} live, visitor at ${listed.sessions.findIndex(
            (s) => s.visitor === visitor,
          )}`;
          return listed.sessions.some((s) => s.visitor === visitor) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, describe: () => lastSeen },
      );
      const row = page.locator(`#live-sessions tr[data-visitor="${visitor}"]`);
      try {
        await row.waitFor({ timeout: 15_000 });
      } catch (error) {
        const rows = await page.$$eval('#live-sessions tr', (r) => r.length);
        const frames = await page.evaluate('window.pathcastDashboard.liveFrames()');
        throw new Error(`${lastSeen}; page rows ${rows}, frames ${String(frames)}`, {
          cause: error,
        });
      }
      const propensity = Number(await row.getAttribute('data-propensity'));
      expect(propensity).toBeGreaterThanOrEqual(0);
      expect(propensity).toBeLessThanOrEqual(1);
      expect(await row.locator('td').nth(1).textContent()).toMatch(/\d+\.\d%/);
      // The table is sorted by propensity, highest first.
      const all = (await page.$$eval('#live-sessions tr[data-propensity]', (rows) =>
        rows.map((r) => Number(r.getAttribute('data-propensity'))),
      )) as number[];
      expect([...all].sort((a, b) => b - a)).toEqual(all);
      await screenshot(page, 'dashboard-live-visitor');
    } finally {
      await shopper.close();
    }
  });
});
