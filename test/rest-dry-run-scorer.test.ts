import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/core/index.js';
import { createEnricher, createEventProcessor } from '../src/ingest/index.js';
import {
  createFeatureHasher,
  type FeatureHasher,
  type ModelSnapshot,
} from '../src/scoring/index.js';
import { sessionId } from '../src/sessionizer/index.js';
import { dryRunScore, type DryRunDeps, type DryRunRequest } from '../src/gateway/rest/index.js';
import { trainSmallModel } from '../src/scoring/testing/trained-model.js';

const NOW = Date.UTC(2025, 4, 1, 12, 0, 0);
const SITE = {
  id: 'shop',
  writeKey: 'wk_shop',
  secretKey: 'sk_shop',
  allowedOrigins: [],
  respectDoNotTrack: false,
};

let hasher: FeatureHasher;
let model: ModelSnapshot;
const geoCalls: string[] = [];
let deps: DryRunDeps;

beforeAll(async () => {
  hasher = await createFeatureHasher();
  model = trainSmallModel(hasher);
  const clock = new ManualClock(NOW);
  deps = {
    processor: createEventProcessor({ enricher: createEnricher(), clock }),
    hasher,
    geo: (ip) => {
      geoCalls.push(ip);
      return { country: 'DE', ipPrefix: '192.0.2.0' };
    },
    clock,
  };
});

const page = (
  id: string,
  path: string,
  at: number,
  visitor = 'visitor-1',
): Record<string, unknown> => ({
  type: 'page',
  messageId: id,
  anonymousId: visitor,
  timestamp: new Date(at).toISOString(),
  properties: { url: `https://shop.example${path}` },
});

function request(events: unknown[], fields: Partial<DryRunRequest> = {}): DryRunRequest {
  // Each call gets its own copies: the scorer may rewrite an event's context.
  return {
    site: SITE,
    events: structuredClone(events),
    sentAt: undefined,
    context: undefined,
    clientIp: '203.0.113.9',
    model,
    ...fields,
  };
}

const START = NOW - 10 * 60_000;
const JOURNEY = [
  page('e1', '/', START),
  page('e2', '/product/17', START + 30_000),
  page('e3', '/cart', START + 60_000),
];

describe('dryRunScore', () => {
  it('scores the last state with the model: Markov figures of the path, a calibrated propensity', () => {
    const outcome = dryRunScore(request(JOURNEY), deps);
    if (!outcome.ok) throw new Error(`rejected: ${JSON.stringify(outcome)}`);
    const { last, events, isBot } = outcome.value;
    const path = ['/', '/product/:id', '/cart'];
    expect(last).toMatchObject({
      site: 'shop',
      visitor: 'visitor-1',
      sessionId: sessionId('shop', 'visitor-1', START),
      at: START + 60_000,
      markovProbability: model.markovProbability(path),
      nextPages: model.nextPages(path),
      modelVersion: model.id,
    });
    expect(last.propensity).toBeGreaterThan(0);
    expect(last.propensity).toBeLessThan(1);
    expect(isBot).toBe(false);
    expect(events.map((e) => [e.index, e.messageId])).toEqual([
      [0, 'e1'],
      [1, 'e2'],
      [2, 'e3'],
    ]);
    expect(events[0]?.markovProbability).toBe(model.markovProbability(['/']));
    expect(events[2]).toMatchObject(last);
  });

  it('gives the in-order answer for shuffled events, and the same answer every time', () => {
    const inOrder = dryRunScore(request(JOURNEY), deps);
    const shuffled = dryRunScore(request([JOURNEY[2], JOURNEY[0], JOURNEY[1]]), deps);
    if (!inOrder.ok || !shuffled.ok) throw new Error('rejected');
    expect(shuffled.value.last).toEqual(inOrder.value.last);
    // Per-event scores come in event-time order, each with its index in the request.
    expect(shuffled.value.events.map((e) => e.index)).toEqual([1, 2, 0]);
    const again = dryRunScore(request(JOURNEY), deps);
    expect(again).toEqual(inOrder);
  });

  it('learns nothing: the model is unchanged after scoring', () => {
    const before = { updates: model.parts.updates, version: model.version };
    const propensityBefore = dryRunScore(request(JOURNEY), deps);
    for (let i = 0; i < 20; i++) dryRunScore(request(JOURNEY), deps);
    expect({ updates: model.parts.updates, version: model.version }).toEqual(before);
    expect(dryRunScore(request(JOURNEY), deps)).toEqual(propensityBefore);
  });

  it('scores a resent messageId once, and cuts sessions at the inactivity gap', () => {
    const later = START + 45 * 60_000;
    const outcome = dryRunScore(
      request([...JOURNEY, JOURNEY[1], page('e4', '/', later), page('e5', '/cart', later + 1_000)]),
      deps,
    );
    if (!outcome.ok) throw new Error('rejected');
    const ids = outcome.value.events.map((e) => e.messageId);
    expect(ids).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(new Set(outcome.value.events.map((e) => e.sessionId))).toEqual(
      new Set([sessionId('shop', 'visitor-1', START), sessionId('shop', 'visitor-1', later)]),
    );
    expect(outcome.value.last.sessionId).toBe(sessionId('shop', 'visitor-1', later));
    expect(outcome.value.last.markovProbability).toBe(model.markovProbability(['/', '/cart']));
  });

  it('looks up the event IP (else the client IP) and drops it', () => {
    geoCalls.length = 0;
    const withIp = { ...page('ip1', '/', START), context: { ip: '198.51.100.7' } };
    const events = [withIp, page('ip2', '/cart', START + 1_000)];
    const req = request(events);
    expect(dryRunScore(req, deps).ok).toBe(true);
    expect(geoCalls).toEqual(['198.51.100.7', '203.0.113.9']);
    // Gone from the event: undefined, which no JSON written from it holds.
    expect((req.events[0] as { context: Record<string, unknown> }).context['ip']).toBeUndefined();
    expect(JSON.stringify(req.events)).not.toContain('198.51.100.7');
  });

  it.each([
    ['no identity', { type: 'page', messageId: 'x' }, 'missing_identity'],
    ['not an object', 'page', 'schema_violation'],
    ['wrong type', { type: 'purchase', anonymousId: 'a' }, 'schema_violation'],
    [
      'absurd time',
      { type: 'track', event: 'x', anonymousId: 'a', timestamp: '1970-01-01T00:00:00Z' },
      'invalid_timestamp',
    ],
    [
      'over 32 KB',
      { type: 'track', event: 'x', anonymousId: 'a', properties: { blob: 'x'.repeat(40_000) } },
      'event_too_large',
    ],
  ])('rejects %s with the collector code, scoring nothing', (_name, bad, code) => {
    const outcome = dryRunScore(request([JOURNEY[0], bad, JOURNEY[1]]), deps);
    expect(outcome).toMatchObject({ ok: false, code: 'rejected', rejected: [{ index: 1, code }] });
    if (outcome.ok || outcome.code !== 'rejected') return;
    expect(outcome.rejected).toHaveLength(1);
    expect(outcome.rejected[0]?.reason).not.toBe('');
  });

  it('refuses events of more than one visitor', () => {
    const outcome = dryRunScore(request([JOURNEY[0], page('o1', '/', START, 'visitor-2')]), deps);
    expect(outcome).toEqual({ ok: false, code: 'multiple_visitors', visitors: 2 });
  });

  it('takes batch-level context under each event', () => {
    const outcome = dryRunScore(
      request(JOURNEY, {
        context: { userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' },
      }),
      deps,
    );
    expect(outcome.ok && outcome.value.isBot).toBe(true);
  });
});
