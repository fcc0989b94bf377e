/**
 * QUALITY.md's bad-input rows and the broker fault, against a listening collector on real Kafka.
 *
 * - Every bad input gets its status and stable code (and the limit, where one is broken), while
 *   valid requests sent at the same time are all accepted; nothing of a refused request reaches
 *   the events topic, and per-event refusals are kept on the failed-events topic with a reason.
 * - One flooding source gets 429 with Retry-After; another source, meanwhile, gets 200s.
 * - A broker killed with SIGKILL during load and restarted: the collector answers 503 (never a
 *   2xx) while the log cannot take writes, and afterwards every acknowledged event is in the log.
 *   That broker is this file's own (test/support/private-kafka.ts): killing the shared one would
 *   break every other test running against it.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from './polling.js';
import { testServices } from './services.js';
import {
  duplicates,
  messageIdOf,
  startCollector,
  testSite,
  uniqueName,
  type CollectorHarness,
} from './support/collector-harness.js';
import { startLoad, type Attempt } from './support/collector-load.js';
import { basicAuth, field, post, type PostAnswer } from './support/http-client.js';
import { startPrivateKafka, type PrivateKafka } from './support/private-kafka.js';

/** A valid track event whose messageId is `${prefix}-${i}`. */
const track = (prefix: string, i: number, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Clicked',
  messageId: `${prefix}-${i}`,
  anonymousId: `visitor-${prefix}`,
  properties: { i },
  ...extra,
});

interface BadRow {
  readonly name: string;
  /** Every messageId this row sends starts with `${key}-`. */
  readonly key: string;
  readonly send: (h: CollectorHarness, key: string) => Promise<PostAnswer>;
  readonly status: number;
  readonly code: string;
  /** The message must name what broke: the field, the limit. */
  readonly message?: RegExp;
  /** Details the answer body must carry besides code and message. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** messageIds of the row that must be on the events topic (valid events of a mixed batch). */
  readonly logged?: readonly string[];
  /** Reasons stored on the failed-events topic for the row's events, in order. */
  readonly failed?: readonly string[];
}

const shopKey = (h: CollectorHarness) => ({ authorization: basicAuth(h.site('shop').writeKey) });
const batchTo = (h: CollectorHarness, body: unknown, headers: Record<string, string> = {}) =>
  post(`${h.url}/v1/batch`, body, { headers: { ...shopKey(h), ...headers } });

const BAD_ROWS: readonly BadRow[] = [
  {
    name: 'invalid JSON',
    key: 'bad-json',
    send: (h) => batchTo(h, '{"batch": [{"type": "track", "messageId": "bad-json-0"'),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'gzip that is not gzip',
    key: 'bad-gzip',
    send: (h) => batchTo(h, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]), { 'content-encoding': 'gzip' }),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'a body that is not an object',
    key: 'bad-array',
    send: (h) => batchTo(h, [track('bad-array', 0)]),
    status: 400,
    code: 'invalid_body',
  },
  {
    name: '"batch" not an array',
    key: 'bad-batch',
    send: (h) => batchTo(h, { batch: track('bad-batch', 0) }),
    status: 400,
    code: 'invalid_body',
  },
  {
    name: 'a wrong type (event name a number)',
    key: 'bad-type',
    send: (h, key) => batchTo(h, { batch: [track(key, 0, { event: 42 })] }),
    status: 400,
    code: 'schema_violation',
    message: /^\/event: /,
    failed: ['schema_violation'],
  },
  {
    name: 'an unknown event type',
    key: 'bad-kind',
    send: (h, key) => batchTo(h, { batch: [track(key, 0, { type: 'purchase' })] }),
    status: 400,
    code: 'schema_violation',
    message: /"type" must be one of track, page/,
    failed: ['schema_violation'],
  },
  {
    name: 'a wrong type on a single-event route (/v1/identify traits a string)',
    key: 'bad-single',
    send: (h, key) =>
      post(
        `${h.url}/v1/identify`,
        { messageId: `${key}-0`, userId: 'u', traits: 'pro' },
        { headers: shopKey(h) },
      ),
    status: 400,
    code: 'schema_violation',
    message: /^\/traits: /,
    failed: ['schema_violation'],
  },
  {
    name: 'missing ids (no anonymousId, no userId)',
    key: 'bad-ids',
    send: (h, key) => batchTo(h, { batch: [track(key, 0, { anonymousId: undefined })] }),
    status: 400,
    code: 'missing_identity',
    message: /anonymousId or a userId/,
    failed: ['missing_identity'],
  },
  {
    name: 'an empty batch',
    key: 'bad-empty',
    send: (h) => batchTo(h, { batch: [] }),
    status: 400,
    code: 'empty_batch',
  },
  {
    name: 'an event over 32 KB',
    key: 'big-event',
    send: (h, key) =>
      batchTo(h, { batch: [track(key, 0, { properties: { pad: 'x'.repeat(40 * 1024) } })] }),
    status: 400,
    code: 'event_too_large',
    message: /limit is 32768/,
    failed: ['event_too_large'],
  },
  {
    name: 'a batch mixing valid and invalid events',
    key: 'mixed',
    send: (h, key) =>
      batchTo(h, {
        batch: [
          track(key, 0),
          track(key, 1, { anonymousId: undefined }),
          track(key, 2, { properties: { pad: 'y'.repeat(33 * 1024) } }),
          track(key, 3),
        ],
      }),
    status: 400,
    code: 'event_rejected',
    details: {
      accepted: 2,
      rejected: [
        { index: 1, messageId: 'mixed-1', code: 'missing_identity' },
        { index: 2, messageId: 'mixed-2', code: 'event_too_large' },
      ],
    },
    logged: ['mixed-0', 'mixed-3'],
    failed: ['missing_identity', 'event_too_large'],
  },
  {
    name: 'a batch over 500 KB',
    key: 'big-batch',
    send: (h, key) =>
      batchTo(h, {
        batch: Array.from({ length: 30 }, (_, i) =>
          track(key, i, { properties: { pad: 'z'.repeat(20 * 1024) } }),
        ),
      }),
    status: 413,
    code: 'batch_too_large',
    message: /500 KB/,
  },
  {
    name: 'a gzip body over 500 KB once decompressed',
    key: 'big-gzip',
    send: (h, key) =>
      batchTo(
        h,
        gzipSync(
          JSON.stringify({
            batch: Array.from({ length: 30 }, (_, i) =>
              track(key, i, { properties: { pad: ' '.repeat(20 * 1024) } }),
            ),
          }),
        ),
        { 'content-encoding': 'gzip' },
      ),
    status: 413,
    code: 'batch_too_large',
    message: /500 KB/,
  },
  {
    name: 'a batch of 2,501 events',
    key: 'many',
    send: (h, key) => batchTo(h, { batch: Array.from({ length: 2501 }, (_, i) => track(key, i)) }),
    status: 400,
    code: 'too_many_events',
    message: /2500/,
    details: { limit: 2500, received: 2501 },
  },
  {
    name: 'no write key',
    key: 'no-key',
    send: (h, key) => post(`${h.url}/v1/batch`, { batch: [track(key, 0)] }),
    status: 401,
    code: 'missing_write_key',
  },
  {
    name: 'an unknown write key',
    key: 'wrong-key',
    send: (h, key) =>
      post(
        `${h.url}/v1/batch`,
        { batch: [track(key, 0)] },
        { headers: { authorization: basicAuth('wk_nobody_0000') } },
      ),
    status: 401,
    code: 'invalid_write_key',
  },
  {
    name: 'an unknown write key in the body (sendBeacon style)',
    key: 'wrong-body-key',
    send: (h, key) =>
      post(
        `${h.url}/v1/batch`,
        JSON.stringify({ writeKey: 'wk_nobody_0001', batch: [track(key, 0)] }),
        { headers: { 'content-type': 'text/plain' } },
      ),
    status: 401,
    code: 'invalid_write_key',
  },
  {
    name: 'a write key used from an origin the site does not allow',
    key: 'foreign',
    send: (h, key) =>
      post(
        `${h.url}/v1/batch`,
        { batch: [track(key, 0)] },
        {
          headers: {
            authorization: basicAuth(h.site('strict').writeKey),
            origin: 'https://evil.example',
          },
        },
      ),
    status: 403,
    code: 'origin_not_allowed',
    details: { origin: 'https://evil.example' },
  },
  {
    name: 'an unsupported Content-Encoding',
    key: 'brotli',
    send: (h, key) => batchTo(h, { batch: [track(key, 0)] }, { 'content-encoding': 'br' }),
    status: 415,
    code: 'unsupported_encoding',
  },
];

/** Valid traffic sent at the same time as the bad rows. */
const VALID_BATCHES = 12;
const VALID_PER_BATCH = 20;

describe('bad input against a listening collector on Kafka', () => {
  let harness: CollectorHarness;
  const answers = new Map<string, PostAnswer>();
  let validAnswers: PostAnswer[] = [];
  let logged: string[] = [];
  let failed: Array<{ id: string; reason: string; site: string; size: number; payload: string }> =
    [];

  beforeAll(async () => {
    harness = await startCollector({
      log: { kind: 'kafka', brokers: testServices().kafkaBrokers },
      sites: [testSite('shop'), testSite('strict', { allowedOrigins: ['https://shop.example'] })],
    });
    const valid = Array.from({ length: VALID_BATCHES }, (_, b) =>
      batchTo(harness, {
        batch: Array.from({ length: VALID_PER_BATCH }, (_, i) =>
          track('valid', b * VALID_PER_BATCH + i),
        ),
      }),
    );
    // Bad and valid requests interleaved on the wire, as they would be in production.
    const bad = BAD_ROWS.map(async (row) => answers.set(row.key, await row.send(harness, row.key)));
    [validAnswers] = await Promise.all([Promise.all(valid), Promise.all(bad)]);
    logged = (await harness.readEvents()).map(messageIdOf);
    failed = await harness.readFailed();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it.each(BAD_ROWS)('$name: $status $code, the log untouched', (row) => {
    const answer = answers.get(row.key);
    expect(answer, 'answered').toBeDefined();
    if (answer === undefined) return;
    expect({ status: answer.status, code: field(answer, 'code') }).toEqual({
      status: row.status,
      code: row.code,
    });
    expect(field(answer, 'success')).toBe(false);
    expect(String(field(answer, 'message'))).toMatch(row.message ?? /\w{3}/);
    if (row.details !== undefined) expect(answer.body).toMatchObject(row.details);

    const mine = (id: string): boolean => id.startsWith(`${row.key}-`);
    expect(logged.filter(mine)).toEqual(row.logged ?? []);
    const rowFailed = failed.filter((f) => mine(f.id));
    expect(rowFailed.map((f) => f.reason)).toEqual(row.failed ?? []);
    for (const f of rowFailed) {
      expect(f.site).toBe('shop');
      expect(f.size).toBeGreaterThan(0);
      expect(f.payload).toContain(f.id);
    }
  });

  it('takes every valid event sent alongside, exactly once', () => {
    expect(validAnswers.map((a) => a.status)).toEqual(validAnswers.map(() => 200));
    expect(validAnswers.map((a) => field(a, 'accepted'))).toEqual(
      validAnswers.map(() => VALID_PER_BATCH),
    );
    const valid = logged.filter((id) => id.startsWith('valid-'));
    expect(duplicates(valid)).toEqual([]);
    expect(valid).toHaveLength(VALID_BATCHES * VALID_PER_BATCH);
    expect(failed.filter((f) => f.id.startsWith('valid-'))).toEqual([]);
  });
});

describe('one source flooding', () => {
  let harness: CollectorHarness;

  beforeAll(async () => {
    harness = await startCollector({
      log: { kind: 'kafka', brokers: testServices().kafkaBrokers },
      sites: [testSite('shop')],
      // A slow refill (one batch a second) keeps the count of 200s stable on a busy machine.
      rateLimit: { eventsPerSecond: 20, burst: 200 },
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('gets 429 with Retry-After while another source is still served', async () => {
    const send = (prefix: string, n: number, localAddress: string) =>
      post(
        `${harness.url}/v1/batch`,
        { batch: Array.from({ length: 20 }, (_, i) => track(prefix, n * 20 + i)) },
        { headers: shopKey(harness), localAddress },
      ).then((answer) => ({ prefix, n, answer }));
    // 30 batches of 20 at once from one address: far over a burst of 200 and 20 events/s.
    const flood = Array.from({ length: 30 }, (_, n) => send('flood', n, '127.0.0.1'));
    // Another visitor (another address on loopback) sends at the same time, within its budget.
    const other = Array.from({ length: 5 }, (_, n) => send('other', n, '127.0.0.2'));
    const [flooded, served] = await Promise.all([Promise.all(flood), Promise.all(other)]);

    expect(served.map((s) => s.answer.status)).toEqual([200, 200, 200, 200, 200]);
    const limited = flooded.filter((f) => f.answer.status === 429);
    const accepted = flooded.filter((f) => f.answer.status === 200);
    expect(accepted.length + limited.length).toBe(flooded.length);
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    expect(limited.length).toBeGreaterThanOrEqual(10);
    for (const { answer } of limited) {
      expect(field(answer, 'code')).toBe('rate_limited');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }

    const ids = (await harness.readEvents()).map(messageIdOf);
    const expected = [...accepted, ...served].flatMap(({ prefix, n }) =>
      Array.from({ length: 20 }, (_, i) => `${prefix}-${n * 20 + i}`),
    );
    expect(duplicates(ids)).toEqual([]);
    expect([...ids].sort()).toEqual(expected.sort());
    expect(await harness.readFailed()).toEqual([]);
  });
});

describe('Kafka broker killed and restarted during load', () => {
  let kafka: PrivateKafka;
  let harness: CollectorHarness;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    await kafka.waitHealthy();
    harness = await startCollector({
      log: {
        kind: 'kafka',
        brokers: kafka.brokers,
        // Short timeouts: 503s within 2 s of the broker going, and quick reconnects after.
        options: { produceTimeoutMs: 2_000, connectionTimeoutMs: 500, requestTimeoutMs: 2_000 },
      },
      sites: [testSite('shop')],
      partitions: 3,
    });
  }, 150_000);

  afterAll(async () => {
    await harness?.close();
    await kafka?.close();
  });

  it('answers 503, never 2xx, while the log cannot take writes; every 2xx is stored', async () => {
    const load = startLoad({
      url: harness.url,
      writeKey: harness.site('shop').writeKey,
      prefix: uniqueName('load'),
      workers: 4,
      batchSize: 10,
    });
    const count = (from: number, status: number): number =>
      load.attempts.slice(from).filter((a) => a.status === status).length;
    const describeLoad = (): string => {
      const tally = new Map<string, number>();
      for (const a of load.attempts) {
        const key = `${a.status} ${String(a.code ?? a.error)}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      return JSON.stringify([...tally]);
    };
    try {
      await pollUntil('20 accepted batches', () => (count(0, 200) >= 20 ? true : undefined), {
        timeoutMs: 30_000,
        describe: describeLoad,
      });

      await kafka.kill();
      const killedAt = performance.now();
      const afterKill = load.attempts.length;
      await pollUntil(
        '503s with the broker gone',
        () => (count(afterKill, 503) >= 12 ? true : undefined),
        {
          timeoutMs: 30_000,
          describe: describeLoad,
        },
      );

      const restartedAt = performance.now();
      await kafka.restart();
      await kafka.waitHealthy();
      const afterRestart = load.attempts.length;
      await pollUntil(
        '20 accepted batches after the restart',
        () => (count(afterRestart, 200) >= 20 ? true : undefined),
        { timeoutMs: 60_000, describe: () => `${describeLoad()}\n${kafka.logTail(10)}` },
      );
      await load.stop();

      const attempts: readonly Attempt[] = load.attempts;
      // Only 200 and 503: no 500, no dropped connection, whatever the broker was doing.
      expect(attempts.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
      for (const a of attempts.filter((a) => a.status === 503)) {
        expect(a.code).toBe('log_unavailable');
        expect(a.retryAfter).toBe('1');
      }
      // Sent after the broker was dead and answered before it was started again: never a 2xx.
      const blind = attempts.filter((a) => a.startedAt > killedAt && a.endedAt < restartedAt);
      expect(blind.length).toBeGreaterThan(0);
      expect(blind.filter((a) => a.status !== 503)).toEqual([]);

      // The checker: every acknowledged event is stored (at least once; ids dedupe), and
      // nothing is stored that was never sent.
      const stored = (await harness.readEvents()).map(messageIdOf);
      const storedSet = new Set(stored);
      const acknowledged = attempts.filter((a) => a.status === 200).flatMap((a) => a.ids);
      expect(acknowledged.filter((id) => !storedSet.has(id))).toEqual([]);
      const sent = new Set(load.sent());
      expect(stored.filter((id) => !sent.has(id))).toEqual([]);
      expect(await harness.readFailed()).toEqual([]);
    } finally {
      await load.stop();
    }
  }, 170_000);
});
