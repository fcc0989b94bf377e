import {
  absorptionFromStart,
  absorptionProbabilities,
  expectedVisits,
  type AbsorbingChain,
} from './absorbing-chain.js';
import {
  BASE_TRANSITIONS,
  CHANNEL_MODEL,
  CHANNELS,
  EXIT_TILT,
  PAGE_OUTCOMES,
  PAGE_TYPES,
  RETURN_SAME_CHANNEL,
  VISITOR_TYPES,
  type Channel,
  type PageType,
} from './generative-model.js';
import { cumulative } from './prng.js';

/**
 * The generative model compiled into the arrays the generator samples from and the truth
 * solves: one page chain per (visitor type, channel) component, and one channel-journey chain
 * per visitor type.
 */

export const PAGE_COUNT = PAGE_TYPES.length;
/** Column of `convert` and `exit` in a page-chain row. */
export const CONVERT = PAGE_COUNT;
export const EXIT = PAGE_COUNT + 1;

export interface SessionComponent {
  readonly visitorType: number;
  readonly channel: number;
  readonly multiplier: number;
  readonly chain: AbsorbingChain;
  /** Landing page distribution of the channel. */
  readonly landing: Float64Array;
  readonly landingCumulative: Float64Array;
  /** Cumulative rows for sampling the next state (page types, then convert, exit). */
  readonly rowCumulative: readonly Float64Array[];
  /** P(session converts | currently on page type i). */
  readonly convertFrom: Float64Array;
  /** P(session converts) at its start, before the landing page is known. */
  readonly startProbability: number;
  /** Expected page views of one session. */
  readonly expectedPages: number;
}

export interface CompiledModel {
  /** Indexed visitorType * CHANNELS.length + channel. */
  readonly components: readonly SessionComponent[];
  /** Channel-journey chain per visitor type: transient = channels, absorbing = conversion, null. */
  readonly journeys: readonly AbsorbingChain[];
  readonly firstTouch: Float64Array;
  readonly firstTouchCumulative: Float64Array;
  /** Per channel, cumulative distribution of the next session's channel. */
  readonly returnCumulative: readonly Float64Array[];
  readonly visitorTypeCumulative: Float64Array;
}

export function pageIndex(type: PageType): number {
  return PAGE_TYPES.indexOf(type);
}

/** The base row of a page type over page types, convert, exit (exit = what is left). */
export function baseRow(type: PageType): Float64Array {
  const row = new Float64Array(PAGE_COUNT + 2);
  let sum = 0;
  for (const [target, p] of Object.entries(BASE_TRANSITIONS[type])) {
    const column = target === 'convert' ? CONVERT : PAGE_TYPES.indexOf(target as PageType);
    row[column] = p;
    sum += p;
  }
  if (sum > 1 + 1e-12) throw new RangeError(`transitions from ${type} sum to ${sum} > 1`);
  row[EXIT] = Math.max(0, 1 - sum);
  return row;
}

/** A base row tilted by odds multiplier m (see generative-model.ts). */
export function tiltRow(row: Float64Array, m: number): Float64Array {
  const out = Float64Array.from(row);
  out[CONVERT] = (row[CONVERT] ?? 0) * m;
  out[EXIT] = (row[EXIT] ?? 0) / m ** EXIT_TILT;
  let sum = 0;
  for (const v of out) sum += v;
  return out.map((v) => v / sum);
}

export function pageChain(multiplier: number): AbsorbingChain {
  return {
    transient: PAGE_TYPES,
    absorbing: PAGE_OUTCOMES,
    rows: PAGE_TYPES.map((type) => tiltRow(baseRow(type), multiplier)),
  };
}

export function landingDistribution(channel: Channel): Float64Array {
  const out = new Float64Array(PAGE_COUNT);
  for (const [type, p] of Object.entries(CHANNEL_MODEL[channel].landing)) {
    out[PAGE_TYPES.indexOf(type as PageType)] = p;
  }
  return out;
}

/** Probability that a visitor's next session comes through each channel, after one via `from`. */
export function returnDistribution(from: number): Float64Array {
  return Float64Array.from(
    CHANNELS,
    (c, i) =>
      (1 - RETURN_SAME_CHANNEL) * CHANNEL_MODEL[c].returnMix +
      (i === from ? RETURN_SAME_CHANNEL : 0),
  );
}

function sumOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] ?? 0;
  return s;
}

export function compileModel(): CompiledModel {
  const components: SessionComponent[] = [];
  VISITOR_TYPES.forEach((visitorType, g) => {
    CHANNELS.forEach((channel, c) => {
      const multiplier = visitorType.multiplier * CHANNEL_MODEL[channel].multiplier;
      const chain = pageChain(multiplier);
      const landing = landingDistribution(channel);
      components.push({
        visitorType: g,
        channel: c,
        multiplier,
        chain,
        landing,
        landingCumulative: cumulative([...landing]),
        rowCumulative: chain.rows.map((r) => cumulative([...r])),
        convertFrom: absorptionProbabilities(chain, 0),
        startProbability: absorptionFromStart(chain, landing, 0),
        expectedPages: sumOf(expectedVisits(chain, landing)),
      });
    });
  });
  const returns = CHANNELS.map((_, c) => returnDistribution(c));
  const journeys = VISITOR_TYPES.map((visitorType, g): AbsorbingChain => ({
    transient: CHANNELS,
    absorbing: ['conversion', 'null'],
    rows: CHANNELS.map((_, c) => {
      const q = components[g * CHANNELS.length + c]?.startProbability ?? 0;
      const rho = visitorType.returnProbability;
      const next = returns[c] ?? new Float64Array(CHANNELS.length);
      return Float64Array.from([...next.map((p) => (1 - q) * rho * p), q, (1 - q) * (1 - rho)]);
    }),
  }));
  const firstTouch = Float64Array.from(CHANNELS, (c) => CHANNEL_MODEL[c].firstTouch);
  return {
    components,
    journeys,
    firstTouch,
    firstTouchCumulative: cumulative([...firstTouch]),
    returnCumulative: returns.map((r) => cumulative([...r])),
    visitorTypeCumulative: cumulative(VISITOR_TYPES.map((t) => t.share)),
  };
}

/** Expected sessions of a visitor of type g (all channels). */
export function expectedSessions(model: CompiledModel, g: number): number {
  const journey = model.journeys[g];
  return journey === undefined ? 0 : sumOf(expectedVisits(journey, model.firstTouch));
}
