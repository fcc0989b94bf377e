import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { BOT_USER_AGENTS } from './devices.js';
import { recordText } from './event-sink.js';
import { CHANNELS } from './generative-model.js';
import { OVERSIZE_BYTES } from './malformed.js';
import { withoutDeliveryFaults, type SimulationOptions } from './options.js';
import { createSimulation } from './simulation.js';
import type { SimulatedEvent } from './simulated-event.js';

type Payload = Record<string, unknown> & {
  messageId: string;
  anonymousId?: string;
  userId?: string;
  type: string;
  event?: string;
  properties: { seq: number } & Record<string, unknown>;
  context: {
    page: { url: string; referrer: string; path: string };
    userAgent: string;
    ip: string;
    library: { name: string };
    campaign?: { medium?: string };
  };
  timestamp: string;
  sentAt: string;
  receivedAt?: string;
};

function run(options: SimulationOptions) {
  const simulation = createSimulation(options);
  const records = [...simulation.events];
  return { records, truth: simulation.truth(), simulation };
}

function events(
  records: readonly SimulatedEvent[],
): { record: SimulatedEvent; payload: Payload }[] {
  return records
    .filter((r) => r.kind === 'event')
    .map((record) => ({ record, payload: record.payload as Payload }));
}

/** Segment's correction: timestamp + (receivedAt - sentAt) is the true event time. */
function trueTime(p: Payload): number {
  return Date.parse(p.timestamp) + Date.parse(p.receivedAt ?? p.sentAt) - Date.parse(p.sentAt);
}

const HEAVY_FAULTS = {
  outOfOrder: 0.05,
  late: 0.02,
  duplicate: 0.03,
  malformed: 0.02,
  bot: 0.05,
  clockSkew: 0.1,
};

describe('simulate: reproducibility', { timeout: 30_000 }, () => {
  it('gives byte-identical records and truth for the same seed', () => {
    const a = run({ events: 3000, seed: 42 });
    const b = run({ events: 3000, seed: 42 });
    expect(a.records.map(recordText).join('\n')).toBe(b.records.map(recordText).join('\n'));
    expect(JSON.stringify(a.truth)).toBe(JSON.stringify(b.truth));
    expect(a.simulation.crmProfiles()).toEqual(b.simulation.crmProfiles());
  });

  it.each([['historical'], ['live']] as const)(
    'makes record text equal to JSON.stringify of the payload (%s)',
    (timing) => {
      const simulation = createSimulation(
        { events: 5000, seed: 21, timing, faults: HEAVY_FAULTS },
        new ManualClock(Date.UTC(2030, 0, 1)),
      );
      const mismatched: string[] = [];
      const kinds = new Set<string>();
      for (const record of simulation.events) {
        const expected =
          typeof record.payload === 'string' ? record.payload : JSON.stringify(record.payload);
        if (record.text !== expected) mismatched.push(record.messageId);
        kinds.add(
          typeof record.payload === 'string'
            ? 'raw'
            : `${record.kind}:${String(record.payload['type'])}`,
        );
      }
      expect(mismatched).toEqual([]);
      for (const kind of [
        'raw',
        'event:page',
        'event:track',
        'event:identify',
        'event:alias',
        'duplicate:page',
      ]) {
        expect(kinds).toContain(kind);
      }
    },
  );

  it('gives different records for a different seed', () => {
    const a = run({ events: 500, seed: 1 });
    const b = run({ events: 500, seed: 2 });
    expect(a.records.map(recordText).join('\n')).not.toBe(b.records.map(recordText).join('\n'));
  });

  it('keeps the traffic when delivery faults are switched off', () => {
    const noisy = run({ events: 4000, seed: 9, faults: HEAVY_FAULTS });
    const clean = run({
      events: 4000,
      seed: 9,
      faults: withoutDeliveryFaults({ ...noisy.simulation.config.faults }),
    });
    const byId = (rs: readonly SimulatedEvent[]) =>
      new Map(events(rs).map(({ payload }) => [payload.messageId, trueTime(payload)]));
    expect(byId(noisy.records)).toEqual(byId(clean.records));
    expect(JSON.stringify(noisy.truth.sessions)).toBe(JSON.stringify(clean.truth.sessions));
    expect(clean.truth.faults.duplicates.count + clean.truth.faults.malformed.count).toBe(0);
  });
});

describe('simulate: records', { timeout: 30_000 }, () => {
  const { records, truth } = run({ events: 6000, seed: 5 });
  const evs = events(records);

  it('generates exactly the asked number of distinct events, in sendAt order', () => {
    expect(evs).toHaveLength(6000);
    expect(new Set(evs.map((e) => e.payload.messageId)).size).toBe(6000);
    expect(truth.counts.events).toBe(6000);
    expect(truth.counts.records).toBe(records.length);
    for (let i = 1; i < records.length; i++) {
      expect(records[i]?.sendAt).toBeGreaterThanOrEqual(records[i - 1]?.sendAt ?? 0);
    }
  });

  it('shapes every event as Segment does, with a per-visitor sequence in time order', () => {
    // Problems are collected and asserted once: thousands of expect() calls are slow.
    const problems: string[] = [];
    const byVisitor = new Map<string, Payload[]>();
    for (const { record, payload } of evs) {
      const context = payload.context;
      if (!['page', 'track', 'identify', 'alias'].includes(payload.type))
        problems.push(`type ${payload.type}`);
      if (payload.anonymousId !== record.visitor) problems.push(`visitor ${payload.messageId}`);
      if (context.library.name !== 'pathcast-simulator') problems.push('library');
      if (context.userAgent.length < 10 || context.ip !== record.ip) problems.push('ua/ip');
      if (!context.page.url.startsWith('https://site-')) problems.push(`url ${context.page.url}`);
      if (payload['writeKey'] !== record.writeKey) problems.push('writeKey');
      if (Date.parse(payload.receivedAt ?? '') !== record.sendAt) problems.push('receivedAt');
      const list = byVisitor.get(record.visitor) ?? [];
      list.push(payload);
      byVisitor.set(record.visitor, list);
    }
    for (const list of byVisitor.values()) {
      list.sort((a, b) => a.properties.seq - b.properties.seq);
      list.forEach((p, i) => {
        if (p.properties.seq !== i + 1) problems.push(`seq ${p.messageId}`);
        const previous = list[i - 1];
        if (previous !== undefined && trueTime(p) < trueTime(previous))
          problems.push(`order ${p.messageId}`);
      });
    }
    expect(problems).toEqual([]);
  });

  it('accounts for every event in exactly one session', () => {
    const ids = truth.sessions.flatMap((s) => s.messageIds);
    expect(ids).toHaveLength(6000);
    expect(new Set(ids)).toEqual(new Set(evs.map((e) => e.payload.messageId)));
    const payloads = new Map(evs.map((e) => [e.payload.messageId, e.payload]));
    const wrong: string[] = [];
    for (const session of truth.sessions) {
      const pages = session.messageIds
        .map((id) => payloads.get(id))
        .filter((p) => p?.type === 'page');
      if (pages.length !== session.pages.length) wrong.push(`pages ${session.id}`);
      if (!session.bot && session.probabilities.length !== session.pages.length + 1) {
        wrong.push(`probabilities ${session.id}`);
      }
      const last = payloads.get(session.messageIds[session.messageIds.length - 1] ?? '');
      const conversion = last?.event === 'Order Completed' || last?.event === 'Signed Up';
      if (session.converted !== conversion) wrong.push(`converted ${session.id}`);
      if (session.converted && last?.event !== session.conversionEvent)
        wrong.push(`event ${session.id}`);
      if (
        last?.event === 'Order Completed' &&
        (last.properties['revenue'] !== session.revenue ||
          last.properties['currency'] !== session.currency)
      ) {
        wrong.push(`revenue ${session.id}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(truth.sessions.some((s) => s.conversionEvent === 'Order Completed')).toBe(true);
  });

  it('expresses each entry channel in real campaign fields', () => {
    const payloads = new Map(evs.map((e) => [e.payload.messageId, e.payload]));
    const seen = new Set<string>();
    for (const session of truth.sessions.filter((s) => !s.bot)) {
      const landing = payloads.get(session.messageIds[0] ?? '');
      if (landing === undefined) continue;
      const url = new URL(landing.context.page.url);
      const medium = url.searchParams.get('utm_medium');
      const referrer = landing.context.page.referrer;
      const campaign = landing.context.campaign;
      seen.add(session.channel);
      switch (session.channel) {
        case 'Direct':
          expect([medium, referrer, campaign]).toEqual([null, '', undefined]);
          break;
        case 'Organic Search':
          expect(medium).toBeNull();
          expect(referrer).toMatch(/google|bing|duckduckgo/);
          break;
        case 'Paid Search':
          expect(medium).toBe('cpc');
          expect(url.searchParams.has('gclid') || url.searchParams.has('msclkid')).toBe(true);
          expect(campaign?.medium).toBe('cpc');
          break;
        case 'Paid Social':
          expect(medium).toBe('paid_social');
          break;
        case 'Organic Social':
          expect(medium).toBeNull();
          expect(referrer).not.toBe('');
          break;
        case 'Email':
          expect(medium).toBe('email');
          break;
        case 'Referral':
          expect(medium).toBeNull();
          expect(referrer).not.toBe('');
          break;
        case 'Display':
          expect(medium).toBe('display');
          break;
        case 'Affiliates':
          expect(medium).toBe('affiliate');
          break;
      }
    }
    expect([...seen].sort()).toEqual([...CHANNELS].sort());
  });

  it('identifies customers with their CRM ids and carries the userId afterwards', () => {
    const simulation = createSimulation({ events: 6000, seed: 5 });
    const all = events([...simulation.events]);
    const crmIds = new Set(simulation.crmProfiles().map((p) => p.userId));
    const identifies = all.filter((e) => e.payload.type === 'identify');
    expect(identifies.length).toBeGreaterThan(0);
    const signups = all.filter((e) => e.payload.event === 'Signed Up');
    for (const { payload } of identifies) {
      expect(payload.userId).toMatch(/^usr_[0-9a-f]{12}$/);
      const traits = payload['traits'] as { email?: string };
      expect(traits.email).toMatch(/@example\.com$/);
    }
    expect(identifies.some((e) => crmIds.has(e.payload.userId ?? ''))).toBe(true);
    expect(signups.length).toBeGreaterThan(0);
    expect(signups.every((e) => e.payload.userId?.startsWith('usr_'))).toBe(true);
    // Prospects get new accounts: some sign-ups are users the CRM has never seen.
    expect(signups.some((e) => !crmIds.has(e.payload.userId ?? ''))).toBe(true);
  });
});

describe('simulate: injected faults', { timeout: 30_000 }, () => {
  const total = 20_000;
  const { records, truth, simulation } = run({ events: total, seed: 13, faults: HEAVY_FAULTS });
  const evs = events(records);
  const byId = new Map(evs.map((e) => [e.payload.messageId, e]));

  it('counts duplicates exactly as sent, near the configured rate', () => {
    const dups = records.filter((r) => r.kind === 'duplicate');
    expect(dups).toHaveLength(truth.faults.duplicates.count);
    expect(new Set(dups.map((d) => d.messageId))).toEqual(
      new Set(truth.faults.duplicates.messageIds),
    );
    for (const d of dups) {
      const original = byId.get(d.messageId);
      expect(original).toBeDefined();
      expect(d.sendAt).toBeGreaterThan(original?.record.sendAt ?? Infinity);
      expect(trueTime(d.payload as Payload)).toBe(trueTime(original?.payload as Payload));
    }
    expectNearRate(truth.faults.duplicates.count, total, HEAVY_FAULTS.duplicate);
  });

  it('sends each malformed record as raw text that breaks the contract', () => {
    const bad = records.filter((r) => r.kind === 'malformed');
    expect(bad).toHaveLength(truth.faults.malformed.count);
    const kinds = new Map(truth.faults.malformed.records.map((r) => [r.messageId, r.kind]));
    for (const record of bad) {
      expect(typeof record.payload).toBe('string');
      const text = record.payload as string;
      expect(text).toContain(record.messageId);
      switch (kinds.get(record.messageId)) {
        case 'invalid_json':
          expect(() => JSON.parse(text) as unknown).toThrow();
          break;
        case 'wrong_types':
          expect(typeof (JSON.parse(text) as { event: unknown }).event).toBe('number');
          break;
        case 'missing_ids': {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          expect(parsed['anonymousId'] ?? parsed['userId']).toBeUndefined();
          break;
        }
        case 'oversize':
          expect(Buffer.byteLength(text)).toBeGreaterThan(OVERSIZE_BYTES);
          break;
        default:
          throw new Error(`no kind for ${record.messageId}`);
      }
    }
    expectNearRate(truth.faults.malformed.count, total, HEAVY_FAULTS.malformed);
  });

  it('delivers late and out-of-order events as late as the truth says', () => {
    const config = simulation.config;
    for (const id of truth.faults.late.messageIds) {
      const e = byId.get(id);
      expect(e).toBeDefined();
      expect((e?.record.sendAt ?? 0) - trueTime(e?.payload as Payload)).toBeGreaterThanOrEqual(
        (config.lateMaxMinutes / 6) * 60_000,
      );
    }
    for (const id of truth.faults.outOfOrder.messageIds) {
      const e = byId.get(id);
      const delay = (e?.record.sendAt ?? 0) - trueTime(e?.payload as Payload);
      expect(delay).toBeGreaterThanOrEqual(5000);
      expect(delay).toBeLessThanOrEqual(config.maxShuffleMinutes * 60_000 + 2000);
    }
    expectNearRate(truth.faults.late.count, total, HEAVY_FAULTS.late);
    expectNearRate(
      truth.faults.outOfOrder.count,
      total,
      (1 - HEAVY_FAULTS.late) * HEAVY_FAULTS.outOfOrder,
    );
    expect(truth.faults.deliveredOutOfSeqOrder).toBeGreaterThan(0);
  });

  it('skews client clocks while keeping timestamp + receivedAt - sentAt true', () => {
    const offsets = new Map(
      truth.faults.clockSkew.skewedVisitors.map((v) => [v.visitor, v.offsetMs]),
    );
    let skewed = 0;
    const wrong: string[] = [];
    for (const { record, payload } of evs) {
      const offset = offsets.get(record.visitor) ?? 0;
      if (Date.parse(payload.timestamp) - trueTime(payload) !== offset)
        wrong.push(payload.messageId);
      if (Date.parse(payload.sentAt) - record.sendAt !== offset) wrong.push(payload.messageId);
      if (offset !== 0) skewed++;
    }
    expect(wrong).toEqual([]);
    expect(skewed).toBe(truth.faults.clockSkew.events);
    expect(truth.faults.clockSkew.visitors).toBe(offsets.size);
    expectNearRate(
      truth.faults.clockSkew.visitors,
      truth.counts.humanVisitors,
      HEAVY_FAULTS.clockSkew,
    );
  });

  it('sends bots with crawler user agents, never converting', () => {
    const botAgents = new Set(BOT_USER_AGENTS);
    const fromBots = evs.filter((e) => botAgents.has(e.payload.context.userAgent));
    expect(fromBots).toHaveLength(truth.faults.bots.events);
    expect(fromBots.every((e) => e.payload.type === 'page')).toBe(true);
    const botSessions = truth.sessions.filter((s) => s.bot);
    expect(botSessions).toHaveLength(truth.faults.bots.sessions);
    expect(botSessions.every((s) => !s.converted)).toBe(true);
    expectNearRate(truth.faults.bots.visitors, truth.counts.visitors, HEAVY_FAULTS.bot);
  });
});

describe('simulate: timing', { timeout: 30_000 }, () => {
  it('runs live from the clock, leaving receivedAt to the collector', () => {
    const clock = new ManualClock(Date.UTC(2030, 5, 1, 12));
    const simulation = createSimulation({ events: 300, timing: 'live', rate: 50 }, clock);
    const records = [...simulation.events];
    const all = events(records);
    const truth = simulation.truth();
    expect(all.every((e) => e.payload.receivedAt === undefined)).toBe(true);
    const first = records[0]?.sendAt ?? 0;
    const last = records[records.length - 1]?.sendAt ?? 0;
    expect(first).toBeGreaterThanOrEqual(clock.now());
    expect(first - clock.now()).toBeLessThan(30_000);
    // 300 events at 50 a second: the run ends within seconds, cutting sessions in progress. (It
    // ramps up from cold for the first minutes: sessions' later pages have not happened yet.)
    expect(all).toHaveLength(300);
    expect(truth.counts.events).toBe(300);
    expect((last - first) / 1000).toBeGreaterThan(2);
    expect((last - first) / 1000).toBeLessThan(120);
    const cut = truth.sessions.filter((s) => s.truncated);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.every((s) => s.next === 'open')).toBe(true);
    const sent = new Set(all.map((e) => e.payload.messageId));
    expect(truth.sessions.flatMap((s) => s.messageIds).every((id) => sent.has(id))).toBe(true);
    expect(truth.sessions.flatMap((s) => s.messageIds)).toHaveLength(300);
    // Client times are the wall clock (plus any device skew), not a fixed historical start.
    for (const { record, payload } of all) {
      const skew = Date.parse(payload.sentAt) - record.sendAt;
      expect(Math.abs(Date.parse(payload.timestamp) - skew - clock.now())).toBeLessThan(3_600_000);
    }
  });

  it('spreads historical traffic over the asked days from the asked start', () => {
    const start = Date.UTC(2024, 2, 1);
    const { truth } = run({ events: 5000, start, days: 3 });
    expect(truth.counts.firstEventAt).toBeGreaterThanOrEqual(start);
    const span = (truth.counts.lastEventAt - start) / 86_400_000;
    expect(span).toBeGreaterThan(2);
    expect(span).toBeLessThan(4.5);
  });
});

/** |observed - n p| within 4 binomial standard errors. */
function expectNearRate(observed: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(4 * sd);
}
