import { describe, expect, it } from 'vitest';
import { ManualClock, mulberry32 } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import { acceptEvents, bodyRecord, eventRecords } from './accept.js';
import { decodeBody } from './body.js';
import { readCompactBatch } from './compact-batch.js';

const site: SiteConfig = {
  id: 'shop',
  writeKey: 'wk_shop_123456',
  secretKey: 'sk_shop_123456',
  allowedOrigins: [],
  respectDoNotTrack: false,
};
const RECEIVED = Date.parse('2026-06-01T12:00:00.000Z');
const clock = new ManualClock(RECEIVED);
const geo = (ip: string) => ({ country: 'NL', ipPrefix: `${ip}/24` });
const CLIENT_IP = '203.0.113.9';

type Json = Record<string, unknown>;

/**
 * What the general path makes of a body (JSON.parse, then acceptEvents), in the terms the
 * reader answers in; undefined when it would not log the body as one record of all its events.
 */
function generalReading(raw: Buffer) {
  const decoded = decodeBody(raw, undefined, 500 * 1024);
  if (!decoded.ok) return undefined;
  const body = decoded.value.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const fields = body as Json;
  const events = fields['batch'];
  if (!Array.isArray(events) || events.length === 0) return undefined;
  const batch = acceptEvents(events, {
    site,
    clientIp: CLIENT_IP,
    sentAt: fields['sentAt'],
    context:
      typeof fields['context'] === 'object' && fields['context'] !== null
        ? (fields['context'] as Json)
        : undefined,
    forcedType: undefined,
    body: { text: decoded.value.text, bytes: decoded.value.bytes },
    geo,
    clock,
  });
  const keyOf = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const first = events[0] as Json | undefined;
  return {
    batch,
    events: events.length,
    writeKey: keyOf(fields['writeKey']) ?? keyOf(first?.['writeKey']),
  };
}

/**
 * The reader may only answer where the general path accepts every event of the body, and must
 * then agree with it on everything the collector uses: the same records, byte for byte.
 */
function expectAgreement(raw: Buffer): boolean {
  const read = readCompactBatch(raw, undefined, RECEIVED);
  if (read === undefined) return false;
  const general = generalReading(raw);
  expect(general, raw.toString()).toBeDefined();
  if (general === undefined) return false;
  expect(general.batch.rejected, raw.toString()).toEqual([]);
  expect(read.events).toBe(general.events);
  expect(general.batch.accepted).toBe(read.events);
  expect(read.writeKey).toBe(general.writeKey);
  expect(read.bytes).toBe(raw.length);
  const ctx = { site, clientIp: CLIENT_IP, geo };
  const records =
    read.perEvent === undefined
      ? [bodyRecord(ctx, read.visitor, RECEIVED, read.text)]
      : eventRecords(ctx, RECEIVED, read.sentAt, read.perEvent);
  expect(records, raw.toString()).toEqual(general.batch.records);
  return true;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A tracker's event; an ASCII body's strings are cut out by offset and a non-ASCII body's are
 * decoded, so the generated bodies are of both kinds (`ascii`).
 */
function trackerEvent(random: () => number, n: number, visitor: string, ascii: boolean): Json {
  const paths = ['/', '/products/123', '/cart', '/checkout', ascii ? '/p/e-u' : '/p/é-ü'];
  const path = paths[n % 5] ?? '/';
  const event: Json = {
    messageId: `m-${n}`,
    anonymousId: visitor,
    timestamp: iso(RECEIVED - Math.floor(random() * 60_000)),
    context: {
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0.0.0',
      page: {
        url: `https://shop.example${path}?utm_source=news`,
        path,
        title: ascii ? 'Shop' : 'Shop — 商店',
      },
      library: { name: 'pathcast.js', version: '1' },
      screen: { width: 1280, height: 720, density: 1.5, top: 0, zoom: 0.25, dpi: -0, e: 1e-7 },
      consent: [true, false, null],
    },
  };
  switch (n % 6) {
    case 0:
      return { ...event, type: 'track', event: 'Product Viewed', properties: { price: -12.5e2 } };
    case 1:
      return { ...event, type: 'identify', userId: 'user-1', traits: { plan: 'pro' } };
    case 2:
      return { ...event, type: 'screen', name: null, properties: {} };
    case 3:
      return { ...event, type: 'alias', userId: 'user-1', previousId: visitor };
    case 4:
      return { ...event, type: 'group', groupId: 'g-1', traits: { size: 10 } };
    default:
      return { ...event, type: 'page', name: 'Shop', category: null, properties: { path } };
  }
}

function trackerBody(random: () => number, events: number): Json {
  const visitor = `anon-${Math.floor(random() * 1e6).toString(36)}`;
  const ascii = random() < 0.5;
  const batch = Array.from({ length: events }, (_, n) => trackerEvent(random, n, visitor, ascii));
  const body: Json = { batch, sentAt: iso(RECEIVED + 2 * 86_400_000) };
  return random() < 0.5 ? { sentAt: body['sentAt'], batch, writeKey: site.writeKey } : body;
}

/**
 * A server-side SDK's batch: a few visitors' events, most with the visitor's `context.ip`
 * somewhere among the context's members (or alone in it), logged event by event.
 */
function serverBody(random: () => number, events: number): Json {
  const ascii = random() < 0.5;
  const batch = Array.from({ length: events }, (_, n) => {
    const visitor = `anon-${Math.floor(random() * 3)}`;
    const event = trackerEvent(random, n, visitor, ascii);
    const context = event['context'] as Json;
    const ip = `203.0.113.${Math.floor(random() * 256)}`;
    const where = Math.floor(random() * 5);
    if (where === 0) event['context'] = { ip };
    else if (where === 1) event['context'] = { ip, ...context };
    else if (where === 2) event['context'] = { ...context, ip };
    else if (where === 3) event['context'] = { userAgent: context['userAgent'], ip, ...context };
    return event;
  });
  return { batch, sentAt: iso(RECEIVED - 1_000) };
}

/** A tracker's or a server's batch, at random. */
function anyBody(random: () => number, events: number): Json {
  return random() < 0.5 ? trackerBody(random, events) : serverBody(random, events);
}

/** Changes that keep the JSON valid but may break an event's checks or the batch's shape. */
const EDITS: Array<(body: Json, event: Json) => void> = [
  (_b, e) => (e['anonymousId'] = 42),
  (_b, e) => (e['anonymousId'] = ''),
  (_b, e) => (e['anonymousId'] = null),
  (_b, e) => {
    e['anonymousId'] = null;
    e['userId'] = 'user-9';
  },
  (_b, e) => (e['userId'] = 'x'.repeat(257)),
  (_b, e) => (e['messageId'] = 'x'.repeat(256)),
  (_b, e) => (e['messageId'] = 'x'.repeat(257)),
  (_b, e) => (e['messageId'] = ''),
  (_b, e) => (e['messageId'] = 7),
  (_b, e) => (e['type'] = 'Track'),
  (_b, e) => (e['type'] = ['track']),
  (_b, e) => delete e['type'],
  (_b, e) => (e['event'] = ''),
  (_b, e) => (e['event'] = 'x'.repeat(1025)),
  (_b, e) => (e['name'] = 'x'.repeat(1024)),
  (_b, e) => (e['name'] = 3),
  (_b, e) => (e['category'] = {}),
  (_b, e) => (e['properties'] = []),
  (_b, e) => (e['properties'] = null),
  (_b, e) => (e['traits'] = 'plan'),
  (_b, e) => (e['integrations'] = { All: true }),
  (_b, e) => (e['integrations'] = false),
  (_b, e) => (e['context'] = []),
  (_b, e) => (e['context'] = null),
  (_b, e) => ((e['context'] as Json)['ip'] = '198.51.100.7'),
  (_b, e) => ((e['context'] as Json)['page'] = { ip: 'nested, not the field' }),
  (_b, e) => (e['writeKey'] = 5),
  (_b, e) => (e['writeKey'] = site.writeKey),
  (_b, e) => (e['groupId'] = null),
  (_b, e) => delete e['previousId'],
  (_b, e) => (e['timestamp'] = 'yesterday'),
  (_b, e) => (e['timestamp'] = '1999-12-31T23:59:59.999Z'),
  (_b, e) => (e['timestamp'] = iso(RECEIVED + 400 * 86_400_000)),
  (_b, e) => (e['timestamp'] = '2026-06-01T12:00:00+02:00'),
  (_b, e) => (e['timestamp'] = ''),
  (_b, e) => (e['timestamp'] = null),
  (_b, e) => {
    e['timestamp'] = null;
    e['originalTimestamp'] = iso(RECEIVED - 5_000);
  },
  (_b, e) => (e['originalTimestamp'] = 12),
  (_b, e) => (e['sentAt'] = iso(RECEIVED)),
  (_b, e) => (e['sentAt'] = 'soon'),
  (_b, e) => (e['receivedAt'] = 'x'.repeat(65)),
  (_b, e) => (e['__proto__'] = { type: 'alias' }),
  (b) => (b['context'] = { ip: '198.51.100.7' }),
  (b) => (b['sentAt'] = 17),
  (b) => (b['sentAt'] = null),
  (b) => (b['sentAt'] = 'garbage'),
  (b) => (b['writeKey'] = ''),
  (b) => (b['writeKey'] = ['wk']),
  (b) => (b['batch'] = []),
  (b) => (b['batch'] = {}),
  (b) => (b['batch'] as unknown[]).push(7),
  (b) => (b['batch'] as unknown[]).push({ ...(b['batch'] as Json[])[0], anonymousId: 'other' }),
  (b) => (b['extra'] = { deep: [[[{ a: [1, 2, { b: 'c' }] }]]], n: 0.5e-3, t: true }),
];

/** A one-character edit of the text: most break the JSON somewhere. */
function mutateText(random: () => number, text: string): string {
  const alphabet = '{}[]":,0123456789-+.eEtrufalsn x\\\u0001é';
  const at = Math.floor(random() * text.length);
  const ch = alphabet[Math.floor(random() * alphabet.length)] ?? 'x';
  switch (Math.floor(random() * 3)) {
    case 0:
      return text.slice(0, at) + ch + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + ch + text.slice(at);
    default:
      return text.slice(0, at) + text.slice(at + 1);
  }
}

describe('readCompactBatch', () => {
  it("reads a tracker's compact batch: every event, its visitor and the write key", () => {
    const random = mulberry32(1);
    const body = trackerBody(random, 12);
    const raw = Buffer.from(JSON.stringify(body));
    const read = readCompactBatch(raw, undefined, RECEIVED);
    expect(read?.events).toBe(12);
    expect(read?.visitor).toBe((body['batch'] as Json[])[0]?.['anonymousId']);
    expect(read?.writeKey).toBe(body['writeKey']);
    expect(expectAgreement(raw)).toBe(true);
  });

  it('agrees with the general path on generated batches and on each schema-level edit', () => {
    const random = mulberry32(2);
    let read = 0;
    let cases = 0;
    for (let round = 0; round < 40; round++) {
      const plain = anyBody(random, 1 + Math.floor(random() * 20));
      expect(expectAgreement(Buffer.from(JSON.stringify(plain)))).toBe(true);
      for (const edit of EDITS) {
        const body = JSON.parse(JSON.stringify(plain)) as Json;
        const events = body['batch'] as Json[];
        edit(body, events[Math.floor(random() * events.length)] ?? {});
        cases++;
        if (expectAgreement(Buffer.from(JSON.stringify(body)))) read++;
      }
    }
    // Some edits keep every event valid (a 256-character id, an empty messageId, ...): the
    // reader takes those; the rest it leaves to the general path.
    expect(read).toBeGreaterThan(cases / 10);
    expect(read).toBeLessThan(cases);
  });

  it('never takes a body JSON.parse refuses, nor answers otherwise than the general path, under one-character edits', () => {
    const random = mulberry32(3);
    let read = 0;
    for (let i = 0; i < 6_000; i++) {
      const text = JSON.stringify(anyBody(random, 1 + Math.floor(random() * 5)));
      const edited = mutateText(random, text);
      let valid = true;
      try {
        JSON.parse(edited);
      } catch {
        valid = false;
      }
      const raw = Buffer.from(edited);
      if (!valid) expect(readCompactBatch(raw, undefined, RECEIVED), edited).toBeUndefined();
      else if (expectAgreement(raw)) read++;
    }
    expect(read).toBeGreaterThan(100);
  });

  it('leaves pretty-printed, escaped, compressed, empty and oversized bodies to the general path', () => {
    const random = mulberry32(4);
    const body = trackerBody(random, 3);
    const compact = JSON.stringify(body);
    expect(readCompactBatch(Buffer.from(compact), undefined, RECEIVED)).toBeDefined();
    const events = body['batch'] as Json[];
    const quoted = { ...body, batch: events.map((e) => ({ ...e, event: 'Said "hi"' })) };
    for (const [raw, encoding] of [
      [Buffer.from(JSON.stringify(body, null, 2)), undefined],
      [Buffer.from(compact.replace('"batch":', '"batch": ')), undefined],
      [Buffer.from(JSON.stringify(quoted)), undefined],
      [Buffer.from(compact), 'gzip'],
      [Buffer.from(compact), 'identity'],
      [Buffer.alloc(0), undefined],
      [Buffer.from(`\ufeff${compact}`), undefined],
      [Buffer.from(`${compact} `), undefined],
      [Buffer.from(JSON.stringify({ ...body, pad: 'x'.repeat(501 * 1024) })), undefined],
      // A repeated field (JSON.parse keeps the last one): left to the general path to judge.
      [Buffer.from(compact.replace('"type":', '"type":"alias","type":')), undefined],
    ] as const) {
      expect(readCompactBatch(raw, encoding, RECEIVED)).toBeUndefined();
    }
  });

  it("reads a server's batch event by event: each event's JSON without its IP, and the IP", () => {
    const random = mulberry32(9);
    let perEvent = 0;
    for (let round = 0; round < 60; round++) {
      const body = serverBody(random, 1 + Math.floor(random() * 20));
      const raw = Buffer.from(JSON.stringify(body));
      expect(expectAgreement(raw)).toBe(true);
      const read = readCompactBatch(raw, undefined, RECEIVED);
      if (read?.perEvent === undefined) continue;
      perEvent++;
      const events = body['batch'] as Json[];
      expect(read.perEvent.map((e) => e.ip)).toEqual(
        events.map((e) => (e['context'] as Json)['ip'] ?? ''),
      );
      for (const event of read.perEvent) expect(event.json).not.toContain('"ip"');
    }
    expect(perEvent).toBeGreaterThan(50);
    // A tracker's batch over 32 KB is logged event by event too (acceptEvents' size rule).
    const big = trackerBody(mulberry32(10), 3);
    const padded = Buffer.from(JSON.stringify({ ...big, pad: 'x'.repeat(33 * 1024) }));
    expect(readCompactBatch(padded, undefined, RECEIVED)?.perEvent).toHaveLength(3);
    expect(expectAgreement(padded)).toBe(true);
  });

  it('leaves an IP that is not a string, or comes twice, to the general path', () => {
    const body = serverBody(mulberry32(12), 2);
    const text = JSON.stringify(body);
    expect(readCompactBatch(Buffer.from(text), undefined, RECEIVED)).toBeDefined();
    const event = (ip: string) =>
      `{"type":"track","event":"x","anonymousId":"a","context":${ip},"timestamp":"${iso(RECEIVED)}"}`;
    for (const context of ['{"ip":7}', '{"ip":null}', '{"ip":"1.2.3.4","ip":"5.6.7.8"}']) {
      const raw = Buffer.from(`{"batch":[${event(context)}]}`);
      expect(readCompactBatch(raw, undefined, RECEIVED), context).toBeUndefined();
      expect(generalReading(raw)?.batch.accepted).toBe(1);
    }
  });

  it('reads a number as written for one record, and per event only as JSON.stringify writes it', () => {
    const event = (anonymousId: string, n: string) =>
      `{"type":"track","event":"x","anonymousId":"${anonymousId}","properties":{"n":${n}},` +
      `"timestamp":"${iso(RECEIVED)}"}`;
    const canonical = ['0', '-7', '1234567890123456', '1.5', '-0.25', '1e+21', '1.5e-7'];
    const rewritten = ['1.50', '1E3', '1e3', '-0', '0.0', '12345678901234567890', '2.5e+0'];
    for (const n of [...canonical, ...rewritten]) {
      expect(String(Number(n)) === n).toBe(canonical.includes(n));
      const one = Buffer.from(`{"batch":[${event('a', n)},${event('a', '1')}]}`);
      const two = Buffer.from(`{"batch":[${event('a', n)},${event('b', '1')}]}`);
      // One visitor: the body is logged as it came, whatever the number's spelling.
      expect(readCompactBatch(one, undefined, RECEIVED)?.perEvent, n).toBeUndefined();
      expect(expectAgreement(one)).toBe(true);
      // Two: each event is written again, so only a number written as JSON.stringify would.
      expect(expectAgreement(two), n).toBe(canonical.includes(n));
    }
  });

  it('reads ASCII and non-ASCII bodies alike, and checks string lengths in bytes', () => {
    const random = mulberry32(6);
    const bodies = Array.from({ length: 40 }, () => trackerBody(random, 4));
    const texts = bodies.map((body) => JSON.stringify(body));
    expect(texts.some((text) => /^[\x20-\x7e]*$/.test(text))).toBe(true);
    expect(texts.some((text) => /[^\x20-\x7e]/.test(text))).toBe(true);
    for (const text of texts) expect(expectAgreement(Buffer.from(text))).toBe(true);

    // Ids of 256 characters (the limit): in ASCII also 256 bytes, read here; 'é' is two bytes,
    // so 256 of them are left to the general path, which takes them.
    const withId = (id: string) => {
      const body = trackerBody(mulberry32(7), 3);
      const events = (body['batch'] as Json[]).map((e) => ({ ...e, anonymousId: id }));
      return Buffer.from(JSON.stringify({ ...body, batch: events }));
    };
    expect(readCompactBatch(withId('e'.repeat(256)), undefined, RECEIVED)?.visitor).toBe(
      'e'.repeat(256),
    );
    const wide = withId('é'.repeat(256));
    expect(readCompactBatch(wide, undefined, RECEIVED)).toBeUndefined();
    expect(generalReading(wide)?.batch.accepted).toBe(3);
    // A non-ASCII id within the limit in bytes is read, and decoded.
    expect(readCompactBatch(withId('é'.repeat(128)), undefined, RECEIVED)?.visitor).toBe(
      'é'.repeat(128),
    );
  });

  it('never reads past the end of a body into what a longer one left behind', () => {
    const long = Buffer.from(JSON.stringify(trackerBody(mulberry32(8), 6)));
    expect(expectAgreement(long)).toBe(true);
    for (let cut = 1; cut <= 48; cut++) {
      // The same bytes, cut short; read right after the whole body was.
      expect(readCompactBatch(long, undefined, RECEIVED)).toBeDefined();
      const short = long.subarray(0, long.length - cut);
      expect(readCompactBatch(short, undefined, RECEIVED), short.toString()).toBeUndefined();
    }
  });

  it('checks the times once the batch sentAt is known, wherever it comes in the body', () => {
    const random = mulberry32(5);
    const batch = (trackerBody(random, 2)['batch'] as Json[]).map((e) => ({
      ...e,
      timestamp: iso(RECEIVED - 2 * 366 * 86_400_000),
    }));
    // Two years back is before 2000 for no one, but with a sentAt two years back it is now.
    const behind = iso(RECEIVED - 2 * 366 * 86_400_000 + 1_000);
    for (const body of [
      { batch, sentAt: behind },
      { sentAt: behind, batch },
    ]) {
      expect(expectAgreement(Buffer.from(JSON.stringify(body)))).toBe(true);
    }
    const absurd = { batch, sentAt: iso(RECEIVED - 30 * 366 * 86_400_000) };
    expect(readCompactBatch(Buffer.from(JSON.stringify(absurd)), undefined, RECEIVED)).toBe(
      undefined,
    );
  });
});
