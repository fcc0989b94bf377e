import { VERSION, systemClock, type Clock } from '../core/index.js';
import { ArrivalProcess, arrivalRates } from './arrivals.js';
import { writeBotSession } from './bot-session.js';
import { drawProfile, type CrmProfile } from './crm-profiles.js';
import { Delivery, type PendingRecord } from './delivery.js';
import { contextTail } from './event-text.js';
import { BOT_USER_AGENTS, drawBotIp, drawDevice, drawIp } from './devices.js';
import {
  CHANNELS,
  RETURN_GAP_MEAN_MS,
  RETURN_GAP_MIN_MS,
  VISITOR_TYPES,
} from './generative-model.js';
import { buildGroundTruth, type GroundTruth } from './ground-truth.js';
import { HumanSessionWriter, type EmitEvent, type SessionEnv } from './human-session.js';
import { MinHeap } from './min-heap.js';
import {
  resolveSimulationConfig,
  type SimulationConfig,
  type SimulationOptions,
} from './options.js';
import { Random, cumulative } from './prng.js';
import { compileModel, type CompiledModel } from './session-model.js';
import type { SessionRun } from './session-run.js';
import type { SessionTruth } from './session-truth.js';
import { LIBRARY_NAME, type SimulatedEvent } from './simulated-event.js';
import type { Site } from './site-catalog.js';
import { TruthRecorder } from './truth-recorder.js';
import type { Visitor } from './visitor.js';

/** Independent random streams of one seed: changing one concern never shifts another. */
const STREAM = { traffic: 0, bots: 1, faults: 2, crm: 3 } as const;

const DAY = 86_400_000;
/** Device clock offsets of skewed visitors: the QUALITY.md cases and two milder ones. */
export const CLOCK_SKEWS_MS: readonly number[] = [2 * DAY, -30 * DAY, 3 * 3_600_000, -45 * 60_000];
const CURRENCIES: readonly string[] = ['USD', 'EUR', 'GBP'];

export interface Simulation {
  readonly config: SimulationConfig;
  readonly sites: readonly Site[];
  /** Records in delivery (`sendAt`) order. Iterate once; iterating again continues nothing. */
  readonly events: Iterable<SimulatedEvent>;
  /** True once `events` has been consumed to the end. */
  readonly finished: boolean;
  /** The ground truth; complete only when `finished`. */
  truth(): GroundTruth;
  /** CRM profiles of the customers who appeared in the run (as of its start). */
  crmProfiles(): readonly CrmProfile[];
}

type Pending =
  | { readonly kind: 'human' }
  | { readonly kind: 'bot' }
  | { readonly kind: 'return'; readonly visitor: Visitor };

export function buildSites(config: SimulationConfig): Site[] {
  return Array.from({ length: config.sites }, (_, i) => ({
    id: `site-${i + 1}`,
    index: i,
    name: `Site ${i + 1}`,
    origin: `https://site-${i + 1}.example`,
    writeKey: config.writeKeys[i] ?? `sim_wk_site-${i + 1}`,
    currency: CURRENCIES[i % CURRENCIES.length] ?? 'USD',
  }));
}

let compiled: CompiledModel | undefined;
/** The model is the same for every run; compile it once per process. */
function model(): CompiledModel {
  compiled ??= compileModel();
  return compiled;
}

/** A seeded simulation run. Pure in historical timing: the same options give the same records. */
export function createSimulation(
  options: SimulationOptions = {},
  clock: Clock = systemClock,
): Simulation {
  const config = resolveSimulationConfig(options, clock);
  const m = model();
  const sites = buildSites(config);
  const siteWeights = cumulative(sites.map((_, i) => 1 / (i + 1) ** 0.6));
  const traffic = new Random(config.seed, STREAM.traffic);
  const bots = new Random(config.seed, STREAM.bots);
  const faults = new Random(config.seed, STREAM.faults);
  const crm = new Random(config.seed, STREAM.crm);
  const recorder = new TruthRecorder(config.recordSessions);
  const outbox = new MinHeap<PendingRecord>();
  const delivery = new Delivery(config, faults, outbox);
  const profiles: CrmProfile[] = [];
  const library = { name: LIBRARY_NAME, version: VERSION };
  // Historical runs stop generating at `events`; live runs stop once `events` were delivered.
  const live = config.timing === 'live';
  let remaining = live ? Number.POSITIVE_INFINITY : config.events;
  let finished = false;

  // Sessions are written one at a time, synchronously: `current` is the one being written.
  let current: SessionRun | undefined;
  const emit: EmitEvent = (_visitor, time, payload, session, context) => {
    if (remaining === 0) return false;
    if (current === undefined || current.truth !== session) {
      throw new RangeError('event emitted outside its session');
    }
    remaining--;
    current.generated++;
    if (config.recordSessions) session.messageIds.push(payload['messageId'] as string);
    delivery.deliver(current, time, payload, context);
    return true;
  };
  const humans = new HumanSessionWriter({ random: traffic, emit, library });
  const botEnv: SessionEnv = { random: bots, emit, library };

  const newHuman = (): Visitor => {
    const site = sites[traffic.weighted(siteWeights)] ?? sites[0];
    if (site === undefined) throw new RangeError('no sites');
    const typeIndex = traffic.weighted(m.visitorTypeCumulative);
    const type = VISITOR_TYPES[typeIndex];
    const anonymousId = traffic.uuid();
    const device = drawDevice(traffic);
    const ip = drawIp(traffic);
    let userId: string | null = null;
    let email: string | null = null;
    if (type?.segment !== null && type !== undefined) {
      const handle = traffic.hex(12);
      userId = `usr_${handle}`;
      email = `user.${handle}@example.com`;
      profiles.push(drawProfile(crm, { userId, email, site: site.id }, type, config.start));
    }
    const skewMs = faults.chance(config.faults.clockSkew) ? faults.pick(CLOCK_SKEWS_MS) : 0;
    return {
      site,
      anonymousId,
      typeIndex,
      device,
      ip,
      skewMs,
      contextTail: contextTail(device.userAgent, ip, device.locale, library),
      userId,
      email,
      identified: false,
      seq: 0,
      deliveredSeq: 0,
      seen: false,
      sessions: 0,
      nextChannel: -1,
      lastSession: undefined,
    };
  };

  const newBot = (): Visitor => {
    const site = sites[bots.weighted(siteWeights)] ?? sites[0];
    if (site === undefined) throw new RangeError('no sites');
    const anonymousId = bots.uuid();
    const device = {
      kind: 'desktop' as const,
      userAgent: bots.pick(BOT_USER_AGENTS),
      locale: 'en-US',
    };
    const ip = drawBotIp(bots);
    return {
      site,
      anonymousId,
      typeIndex: -1,
      device,
      ip,
      skewMs: 0,
      contextTail: contextTail(device.userAgent, ip, device.locale, library),
      userId: null,
      email: null,
      identified: false,
      seq: 0,
      deliveredSeq: 0,
      seen: false,
      sessions: 0,
      nextChannel: -1,
      lastSession: undefined,
    };
  };

  const openSession = (
    visitor: Visitor,
    start: number,
    channel: number,
    multiplier: number,
  ): SessionTruth => {
    visitor.sessions++;
    const previous = visitor.lastSession;
    if (previous !== undefined && previous.next === 'return') previous.nextSessionInRun = true;
    const type = VISITOR_TYPES[visitor.typeIndex];
    const session: SessionTruth = {
      id: `${visitor.site.id}/${visitor.anonymousId}/${visitor.sessions}`,
      site: visitor.site.id,
      visitor: visitor.anonymousId,
      userId: visitor.userId,
      ordinal: visitor.sessions,
      bot: visitor.typeIndex < 0,
      visitorType: type?.id ?? 'bot',
      channel: CHANNELS[channel] ?? 'Direct',
      multiplier,
      start,
      end: start,
      pages: [],
      probabilities: [],
      converted: false,
      conversionEvent: null,
      revenue: 0,
      currency: visitor.site.currency,
      messageIds: [],
      next: 'leave',
      nextChannel: null,
      nextSessionInRun: false,
      truncated: false,
    };
    visitor.lastSession = session;
    current = { truth: session, visitor, channel, generated: 0, delivered: 0 };
    recorder.opened(current);
    return session;
  };

  const runHumanSession = (visitor: Visitor, start: number, schedule: MinHeap<Pending>): void => {
    const channel =
      visitor.sessions === 0 ? traffic.weighted(m.firstTouchCumulative) : visitor.nextChannel;
    const component = m.components[visitor.typeIndex * CHANNELS.length + channel];
    const type = VISITOR_TYPES[visitor.typeIndex];
    if (component === undefined || type === undefined) throw new RangeError('unknown component');
    const session = openSession(visitor, start, channel, component.multiplier);
    humans.write(visitor, component, session);
    if (!session.truncated) {
      if (session.converted) session.next = 'convert';
      else if (traffic.chance(type.returnProbability)) {
        visitor.nextChannel = traffic.weighted(
          m.returnCumulative[channel] ?? m.firstTouchCumulative,
        );
        session.next = 'return';
        session.nextChannel = CHANNELS[visitor.nextChannel] ?? null;
        const gap = RETURN_GAP_MIN_MS + Math.round(traffic.exponential(RETURN_GAP_MEAN_MS));
        schedule.push(session.end + gap, { kind: 'return', visitor });
      }
    }
  };

  const runBotSession = (visitor: Visitor, start: number): void => {
    const session = openSession(visitor, start, CHANNELS.indexOf('Direct'), 0);
    writeBotSession(botEnv, visitor, session);
  };

  function* generate(): Generator<SimulatedEvent> {
    const rates = arrivalRates(config, m);
    const diurnal = config.timing === 'historical';
    const humanArrivals = new ArrivalProcess(traffic, rates.human, config.start, diurnal);
    const botArrivals = new ArrivalProcess(bots, rates.bot, config.start, diurnal);
    const schedule = new MinHeap<Pending>();
    schedule.push(humanArrivals.next(), { kind: 'human' });
    const firstBot = botArrivals.next();
    if (Number.isFinite(firstBot)) schedule.push(firstBot, { kind: 'bot' });

    let stopped = false;
    try {
      generation: while (remaining > 0 && schedule.size > 0) {
        const now = schedule.peekKey();
        // Everything generated later happens at or after `now`, and is sent no earlier than it
        // happens, so records due by `now` can leave in order.
        while (outbox.peekKey() <= now) {
          yield release();
          if (live && recorder.counts.events >= config.events) {
            stopped = true;
            break generation;
          }
        }
        const next = schedule.pop();
        if (next === undefined) break;
        if (next.kind === 'human') {
          runHumanSession(newHuman(), now, schedule);
          schedule.push(humanArrivals.next(), next);
        } else if (next.kind === 'bot') {
          runBotSession(newBot(), now);
          schedule.push(botArrivals.next(), next);
        } else {
          runHumanSession(next.visitor, now, schedule);
        }
      }
      // A live run ends on time; a historical one delivers everything it generated.
      if (!stopped) while (outbox.size > 0) yield release();
      finished = true;
    } finally {
      // Also when the consumer stops early (Ctrl-C, a failing sink): what is still queued is
      // never sent, and the truth marks those sessions incomplete.
      const undelivered = new Set<string>();
      for (let pending = outbox.pop(); pending !== undefined; pending = outbox.pop()) {
        if (pending.record.kind === 'event') undelivered.add(pending.record.messageId);
      }
      recorder.finish(undelivered);
    }
  }

  const release = (): SimulatedEvent => {
    const pending = outbox.pop();
    if (pending === undefined) throw new RangeError('release from an empty outbox');
    recorder.delivered(pending);
    return pending.record;
  };

  const events = generate();
  let truth: GroundTruth | undefined;
  return {
    config,
    sites,
    events,
    get finished() {
      return finished;
    },
    truth: () => {
      if (!finished) return buildGroundTruth(config, m, recorder, profiles.length);
      truth ??= buildGroundTruth(config, m, recorder, profiles.length);
      return truth;
    },
    crmProfiles: () => profiles,
  };
}

/** The records of a run, for any sink (Kafka, a test, a custom transport). */
export function simulate(
  options: SimulationOptions = {},
  clock: Clock = systemClock,
): Iterable<SimulatedEvent> {
  return createSimulation(options, clock).events;
}
