/**
 * Real third-party clients as peers (issue 3, item 8): Segment's `@segment/analytics-node` and
 * RudderStack's `@rudderstack/rudder-sdk-node` send a few hundred mixed events each to a
 * listening collector, backed by the real Kafka broker and by the in-memory log. Every event the
 * client reports as delivered is in the log exactly once, matched by messageId, with its type
 * intact; nothing else is there.
 *
 * The two clients differ in what they exercise: Segment sends plain JSON with HTTP Basic auth and
 * generates the messageIds itself (captured from its delivery callback); RudderStack gzips the
 * body and labels it `application/x-www-form-urlencoded`, and takes our messageIds.
 */
import { Analytics, type Context } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from './polling.js';
import { testServices } from './services.js';
import {
  duplicates,
  eventOf,
  messageIdOf,
  startCollector,
  testSite,
  uniqueName,
  type CollectorHarness,
  type HarnessLog,
} from './support/collector-harness.js';

/** Events per client; not a multiple of the batch size, so a partial last batch is sent too. */
const EVENTS = 330;
const BATCH = 25;
const TYPES = ['track', 'page', 'screen', 'identify', 'alias', 'group'] as const;
type EventType = (typeof TYPES)[number];

interface Sent {
  readonly messageId: string;
  readonly type: EventType;
}

/** One call of the client API per event, spread over 40 visitors (some identified). */
function planned(i: number): { type: EventType; anonymousId: string; userId: string } {
  const type = TYPES[i % TYPES.length] as EventType;
  return { type, anonymousId: `anon-${i % 40}`, userId: `user-${i % 40}` };
}

async function sendWithSegment(url: string, writeKey: string): Promise<Sent[]> {
  const analytics = new Analytics({
    writeKey,
    host: url,
    path: '/v1/batch',
    flushAt: BATCH,
    flushInterval: 200,
    maxRetries: 3,
  });
  const delivered: Sent[] = [];
  const failures: unknown[] = [];
  const statuses: number[] = [];
  analytics.on('http_response', (response) => statuses.push(response.status));
  const done = (err: unknown, ctx: Context | undefined): void => {
    if (err !== undefined || ctx === undefined) {
      failures.push(err ?? 'no context');
      return;
    }
    delivered.push({
      messageId: ctx.event.messageId ?? '',
      type: ctx.event.type as EventType,
    });
  };
  for (let i = 0; i < EVENTS; i++) {
    const { type, anonymousId, userId } = planned(i);
    const properties = { i, sku: `sku-${i % 17}`, price: (i % 50) + 0.99 };
    switch (type) {
      case 'track':
        analytics.track({ anonymousId, event: 'Product Viewed', properties }, done);
        break;
      case 'page':
        analytics.page({ anonymousId, name: 'Product', properties }, done);
        break;
      case 'screen':
        analytics.screen({ userId, name: 'Home', properties }, done);
        break;
      case 'identify':
        analytics.identify({ anonymousId, userId, traits: { plan: 'pro', i } }, done);
        break;
      case 'alias':
        analytics.alias({ userId, previousId: anonymousId }, done);
        break;
      case 'group':
        analytics.group({ userId, groupId: `org-${i % 5}`, traits: { seats: i } }, done);
        break;
    }
  }
  await analytics.closeAndFlush({ timeout: 60_000 });
  // Callbacks run after the flush settles; wait for all of them rather than for time.
  await pollUntil(
    'every Segment callback',
    () => (delivered.length + failures.length === EVENTS ? true : undefined),
    { timeoutMs: 10_000, describe: () => `${delivered.length} + ${failures.length} failed` },
  );
  expect(failures).toEqual([]);
  expect(statuses.length).toBeGreaterThanOrEqual(Math.ceil(EVENTS / BATCH));
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  return delivered;
}

async function sendWithRudderStack(url: string, writeKey: string): Promise<Sent[]> {
  const errors: unknown[] = [];
  const client = new RudderAnalytics(writeKey, {
    dataPlaneUrl: url,
    flushAt: BATCH,
    flushInterval: 200,
    retryCount: 3,
    logLevel: 'error',
    errorHandler: (error: unknown) => errors.push(error),
  });
  const sent: Sent[] = [];
  const acknowledged = new Set<string>();
  const failures: unknown[] = [];
  const run = uniqueName('rs');
  for (let i = 0; i < EVENTS; i++) {
    const { type, anonymousId, userId } = planned(i);
    const messageId = `${run}-${i}`;
    sent.push({ messageId, type });
    // The SDK calls back with (error, batch) once the request settled; its typings say () => void.
    const callback = (...args: unknown[]): void => {
      if (args[0] !== undefined && args[0] !== null) failures.push(args[0]);
      else acknowledged.add(messageId);
    };
    const properties = { i, sku: `sku-${i % 17}` };
    // NOTE: messageId is accepted at run time (the SDK keeps one it is given) but missing from
    // its typings; a non-literal message object passes without a cast.
    switch (type) {
      case 'track': {
        const message = { messageId, anonymousId, event: 'Product Viewed', properties };
        client.track(message, callback);
        break;
      }
      case 'page': {
        const message = { messageId, anonymousId, name: 'Product', properties };
        client.page(message, callback);
        break;
      }
      case 'screen': {
        const message = { messageId, userId, name: 'Home', properties };
        client.screen(message, callback);
        break;
      }
      case 'identify': {
        const message = { messageId, anonymousId, userId, traits: { plan: 'pro', i } };
        client.identify(message, callback);
        break;
      }
      case 'alias': {
        const message = { messageId, userId, previousId: anonymousId };
        client.alias(message, callback);
        break;
      }
      case 'group': {
        const message = { messageId, userId, groupId: `org-${i % 5}`, traits: { seats: i } };
        client.group(message, callback);
        break;
      }
    }
  }
  // flush() sends at most one batch, and the SDK calls back from setImmediate: call it until
  // every event has been answered, yielding to the event loop in between.
  await pollUntil(
    'every RudderStack callback',
    async () => {
      if (acknowledged.size + failures.length === EVENTS) return true;
      await client.flush();
      return undefined;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 20,
      describe: () => `${acknowledged.size} + ${failures.length} failed of ${EVENTS}`,
    },
  );
  expect(errors).toEqual([]);
  expect(failures).toEqual([]);
  return sent;
}

/** The log holds exactly the sent events of `site`: same ids, once each, same types. */
async function expectExactlyInLog(
  harness: CollectorHarness,
  site: string,
  sent: readonly Sent[],
): Promise<void> {
  expect(sent).toHaveLength(EVENTS);
  expect(duplicates(sent.map((s) => s.messageId))).toEqual([]);
  expect(sent.every((s) => s.messageId !== '')).toBe(true);

  const envelopes = (await harness.readEvents()).filter((e) => e.site === site);
  const logged = envelopes.map(messageIdOf);
  expect(duplicates(logged)).toEqual([]);
  expect([...logged].sort()).toEqual(sent.map((s) => s.messageId).sort());
  const typeById = new Map(envelopes.map((e) => [messageIdOf(e), eventOf(e)['type']]));
  expect(sent.filter((s) => typeById.get(s.messageId) !== s.type)).toEqual([]);
  // Every type of the spec went through, not just the easy ones.
  expect(new Set(typeById.values())).toEqual(new Set(TYPES));

  const failed = (await harness.readFailed()).filter((f) => f.site === site);
  expect(failed).toEqual([]);
}

const LOGS: ReadonlyArray<[string, () => HarnessLog]> = [
  ['Kafka', () => ({ kind: 'kafka', brokers: testServices().kafkaBrokers })],
  ['the in-memory log', () => ({ kind: 'memory' })],
];

describe.each(LOGS)('third-party clients against the collector on %s', (_name, log) => {
  let harness: CollectorHarness;

  beforeAll(async () => {
    harness = await startCollector({
      log: log(),
      sites: [testSite('segment'), testSite('rudderstack')],
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('Segment analytics-node: every event arrives once, by its generated messageId', async () => {
    const sent = await sendWithSegment(harness.url, harness.site('segment').writeKey);
    await expectExactlyInLog(harness, 'segment', sent);
  });

  it('RudderStack rudder-sdk-node (gzip labelled form-urlencoded): every event arrives once', async () => {
    const sent = await sendWithRudderStack(harness.url, harness.site('rudderstack').writeKey);
    const auth = `Basic ${Buffer.from(`${harness.site('rudderstack').writeKey}:`).toString('base64')}`;
    const batches = harness
      .requests()
      .filter((r) => r.url === '/v1/batch' && r.headers['authorization'] === auth);
    // What this test is about: the SDK's real wire format, not a JSON body.
    expect(batches.length).toBeGreaterThan(0);
    for (const request of batches) {
      expect(request.headers['content-encoding']).toBe('gzip');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request.status).toBe(200);
    }
    await expectExactlyInLog(harness, 'rudderstack', sent);
  });
});
