import { expectedVisits } from './absorbing-chain.js';
import { BOT_MEAN_EVENTS } from './bot-session.js';
import { CHANNELS, LOGIN_PROBABILITY, PAGE_TYPES, VISITOR_TYPES } from './generative-model.js';
import { PAGE_TRACKS } from './human-session.js';
import type { SimulationConfig } from './options.js';
import type { Random } from './prng.js';
import type { CompiledModel } from './session-model.js';

const HOUR = 3_600_000;
/** Traffic peaks at 15:00 UTC at 1.5x the mean and bottoms out at 03:00 at 0.5x. */
const DIURNAL_PEAK = 1.5;

export function diurnalFactor(time: number): number {
  const hour = (time / HOUR) % 24;
  return 1 + 0.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
}

/**
 * Visitor arrivals as a Poisson process: with a daily cycle (by thinning) in historical timing,
 * flat in live timing, where the caller asked for a steady rate.
 */
export class ArrivalProcess {
  private readonly random: Random;
  private readonly meanGapMs: number;
  private readonly diurnal: boolean;
  private time: number;

  constructor(random: Random, perSecond: number, start: number, diurnal: boolean) {
    this.random = random;
    this.meanGapMs = perSecond > 0 ? 1000 / perSecond : Number.POSITIVE_INFINITY;
    this.diurnal = diurnal;
    this.time = start;
  }

  /** Time of the next arrival (Infinity when the rate is 0). */
  next(): number {
    if (!Number.isFinite(this.meanGapMs)) return Number.POSITIVE_INFINITY;
    if (!this.diurnal) {
      this.time += this.random.exponential(this.meanGapMs);
      return Math.round(this.time);
    }
    do {
      this.time += this.random.exponential(this.meanGapMs / DIURNAL_PEAK);
    } while (this.random.next() * DIURNAL_PEAK >= diurnalFactor(this.time));
    return Math.round(this.time);
  }
}

/**
 * Expected events of one human visitor's journey: page views, the tracks a page makes, and the
 * identify/conversion calls. Only sets the pace of arrivals, so an approximation (it leaves out
 * alias calls and counts sign-up identifies roughly) is enough.
 */
export function expectedEventsPerHumanVisitor(model: CompiledModel): number {
  const productIndex = PAGE_TYPES.indexOf('product');
  const cartIndex = PAGE_TYPES.indexOf('cart');
  let total = 0;
  VISITOR_TYPES.forEach((type, g) => {
    const journey = model.journeys[g];
    if (journey === undefined) return;
    const sessions = expectedVisits(journey, model.firstTouch);
    CHANNELS.forEach((_, c) => {
      const k = model.components[g * CHANNELS.length + c];
      if (k === undefined) return;
      const visits = expectedVisits(k.chain, k.landing);
      let events = 0;
      PAGE_TYPES.forEach((page, s) => {
        const v = visits[s] ?? 0;
        const tracks = PAGE_TRACKS[page]?.probability ?? 0;
        const added = s === productIndex ? (k.chain.rows[s]?.[cartIndex] ?? 0) : 0;
        events += v * (1 + tracks + added);
      });
      events += k.startProbability * 1.6;
      if (type.segment !== null) events += LOGIN_PROBABILITY * 0.5;
      total += type.share * (sessions[c] ?? 0) * events;
    });
  });
  return total;
}

/** Human and bot visitor arrival rates (per second) that give the configured event rate. */
export function arrivalRates(
  config: SimulationConfig,
  model: CompiledModel,
): { human: number; bot: number } {
  const eventsPerSecond =
    config.timing === 'live' ? config.rate : config.events / (config.days * 86_400);
  const botRatio = config.faults.bot / (1 - config.faults.bot);
  const human =
    eventsPerSecond / (expectedEventsPerHumanVisitor(model) + botRatio * BOT_MEAN_EVENTS);
  return { human, bot: human * botRatio };
}
