import {
  absorptionFromStart,
  absorptionProbabilities,
  aggregateChains,
  expectedVisits,
  removalEffects,
  withStateRemoved,
  type ChainWithStart,
} from './absorbing-chain.js';
import {
  BASE_TRANSITIONS,
  CHANNEL_MODEL,
  CHANNELS,
  EXIT_TILT,
  PAGE_TYPES,
  RETURN_SAME_CHANNEL,
  VISITOR_TYPES,
  type Channel,
  type PageType,
} from './generative-model.js';
import { pageChain, type CompiledModel } from './session-model.js';
import { PAGE_PATH_PATTERNS } from './site-catalog.js';

/** What each figure of the truth file means, written into the file itself. */
export const TRUTH_DEFINITIONS: Readonly<Record<string, string>> = {
  'pageStates.*.base':
    'P(session converts | it is on this page type) in the base page chain (odds multiplier 1).',
  'pageStates.*.markov':
    "Absorption probability of convert from this page type in the population first-order chain: transitions i->x weighted by their expected count over the run's realised mix of human sessions per (visitor type, channel). This is what an order-1 Markov model counting page-type transitions of these human sessions converges to. Order-1 only: the true process is a mixture, so higher orders learn slightly different values.",
  'pageStates.*.markovStationary':
    'As markov, weighted by the expected (not realised) mix of sessions.',
  'pageStates.*.givenVisit':
    "Average, over all visits to this page type, of the visiting session's own true conversion probability at that moment: the best possible calibrated score knowing only the current page type but averaged over hidden types.",
  'pageRemovalEffects.*':
    '1 - P(convert | page type removed) / P(convert) in the population chain (markov), transitions into the removed page going to exit.',
  sessionConversionRate:
    'P(a human session converts), realised mix = absorption from the start state of the population chain.',
  'channels.journeyConversionProbability':
    "P(a human visitor's journey ends in a conversion), in the population channel chain.",
  'channels.states.*.markov':
    "Absorption probability of conversion from this channel state in the population channel-journey chain: states = entry channels of a visitor's successive sessions, absorbing = conversion (a session converted; the journey ends) and null (the visitor never returns), transitions weighted over the realised mix of visitor types. Repeats of the same channel are self-loops, which do not change any absorption probability.",
  'channels.states.*.sessionConversion':
    'P(a session entering through this channel converts), averaged over visitor types as they occur at this channel.',
  'channels.states.*.removalEffect':
    'True removal effect (Anderl et al. 2016; ChannelAttribution markov_model, order 1, with null paths): 1 - P(conversion | channel removed) / P(conversion) in the population channel chain, computed exactly (no simulation); removing a channel sends every transition into it (and first touches on it) to null. This is what a first-order removal-effect estimate on complete journeys converges to.',
  'channels.states.*.causalRemovalEffect':
    '1 - P(conversion | the channel removed from the world) / P(conversion) under the true generative model: within each hidden visitor type the journey is first-order, so the removal is solved exactly per type and mixed by the visitor-type weights. This is the effect of really switching the channel off (journeys that would reach it end there); removalEffect is what a first-order model of the pooled journeys estimates. The two differ a little because the pool is a mixture; compare rankings.',
  'channels.states.*.removalEffectShare':
    'removalEffect / sum of removal effects: the share of conversions the Markov model attributes to the channel.',
  'channels.states.*.removalEffectConvertingOnly':
    'The same on the chain learnt from converting journeys only (no null paths).',
  'channels.paths':
    'P(journey converts | its sessions so far entered through these channels, in order, and the earlier ones did not convert), exact by Bayes over hidden visitor types.',
  'sessions.*.probabilities':
    "[P(convert) at session start, then after each page view] from the hidden chain of the session's (visitor type, channel).",
};

export interface PageStateTruth {
  readonly pathPattern: string;
  readonly base: number;
  readonly markov: number;
  readonly markovStationary: number;
  readonly givenVisit: number;
}

export interface ChannelStateTruth {
  readonly firstTouch: number;
  readonly multiplier: number;
  readonly sessionConversion: number;
  readonly markov: number;
  readonly removalEffect: number;
  readonly removalEffectShare: number;
  readonly causalRemovalEffect: number;
  readonly removalEffectConvertingOnly: number;
  readonly removalEffectConvertingOnlyShare: number;
}

export interface ChainTable {
  readonly start: Record<string, number>;
  readonly transitions: Record<string, Record<string, number>>;
}

export interface ModelTruth {
  readonly definitions: Readonly<Record<string, string>>;
  readonly model: Readonly<Record<string, unknown>>;
  readonly sessionConversionRate: number;
  readonly sessionConversionRateStationary: number;
  readonly pageStates: Record<PageType, PageStateTruth>;
  readonly pageChain: ChainTable;
  readonly pageRemovalEffects: Record<PageType, number>;
  readonly channels: {
    readonly journeyConversionProbability: number;
    readonly states: Record<Channel, ChannelStateTruth>;
    readonly chain: ChainTable;
    readonly paths: readonly { path: string; probability: number }[];
  };
}

/** Realised counts of a run; without them the expected mix is used. */
export interface RealisedMix {
  /** Human sessions per component (visitorType * channels + channel). */
  readonly componentSessions: Float64Array;
  readonly visitorsByType: Float64Array;
}

function total(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] ?? 0;
  return s;
}

function table(model: ChainWithStart): ChainTable {
  const columns = [...model.chain.transient, ...model.chain.absorbing];
  const named = (values: ArrayLike<number>, names: readonly string[]): Record<string, number> =>
    Object.fromEntries(names.map((name, i) => [name, values[i] ?? 0]).filter(([, v]) => v !== 0));
  return {
    start: named(model.start, model.chain.transient),
    transitions: Object.fromEntries(
      model.chain.transient.map((name, i) => [name, named(model.chain.rows[i] ?? [], columns)]),
    ),
  };
}

function shares(values: Float64Array): Float64Array {
  const sum = total(values);
  return sum > 0 ? values.map((v) => v / sum) : values;
}

/** Stationary (expected) human sessions per component for one visitor drawn from the mix. */
function stationarySessions(model: CompiledModel): Float64Array {
  const out = new Float64Array(model.components.length);
  VISITOR_TYPES.forEach((type, g) => {
    const journey = model.journeys[g];
    if (journey === undefined) return;
    const visits = expectedVisits(journey, model.firstTouch);
    CHANNELS.forEach((_, c) => {
      out[g * CHANNELS.length + c] = type.share * (visits[c] ?? 0);
    });
  });
  return out;
}

export function pageMixture(model: CompiledModel, weights: Float64Array): ChainWithStart {
  return aggregateChains(
    model.components.map((k, i) => ({ chain: k.chain, start: k.landing, weight: weights[i] ?? 0 })),
  );
}

export function channelMixture(
  model: CompiledModel,
  visitorWeights: Float64Array,
  conditionOn?: number,
): ChainWithStart {
  return aggregateChains(
    model.journeys.map((chain, g) => ({
      chain,
      start: model.firstTouch,
      weight: visitorWeights[g] ?? 0,
    })),
    conditionOn,
  );
}

/** The exact, model-level part of the ground truth. */
export function computeModelTruth(model: CompiledModel, realised?: RealisedMix): ModelTruth {
  const stationary = stationarySessions(model);
  const weights =
    realised !== undefined && total(realised.componentSessions) > 0
      ? realised.componentSessions
      : stationary;
  const visitorWeights =
    realised !== undefined && total(realised.visitorsByType) > 0
      ? realised.visitorsByType
      : Float64Array.from(VISITOR_TYPES, (t) => t.share);

  const population = pageMixture(model, weights);
  const populationStationary = pageMixture(model, stationary);
  const markov = absorptionProbabilities(population.chain, 0);
  const markovStationary = absorptionProbabilities(populationStationary.chain, 0);
  const base = absorptionProbabilities(pageChain(1), 0);
  const visitMass = new Float64Array(PAGE_TYPES.length);
  const convertMass = new Float64Array(PAGE_TYPES.length);
  model.components.forEach((k, i) => {
    const w = weights[i] ?? 0;
    if (w === 0) return;
    const visits = expectedVisits(k.chain, k.landing);
    for (let s = 0; s < PAGE_TYPES.length; s++) {
      visitMass[s] = (visitMass[s] ?? 0) + w * (visits[s] ?? 0);
      convertMass[s] = (convertMass[s] ?? 0) + w * (visits[s] ?? 0) * (k.convertFrom[s] ?? 0);
    }
  });
  const pageRemoval = removalEffects(population, 0, 1);

  const channels = channelMixture(model, visitorWeights);
  const converting = channelMixture(model, visitorWeights, 0);
  const channelMarkov = absorptionProbabilities(channels.chain, 0);
  const removal = removalEffects(channels, 0, 1);
  const removalConverting = removalEffects(converting, 0, 1);
  const removalShares = shares(removal);
  const causal = causalRemovalEffects(model, visitorWeights);
  const removalConvertingShares = shares(removalConverting);
  const channelSessionMass = new Float64Array(CHANNELS.length);
  const channelConvertMass = new Float64Array(CHANNELS.length);
  model.components.forEach((k, i) => {
    channelSessionMass[k.channel] = (channelSessionMass[k.channel] ?? 0) + (weights[i] ?? 0);
    channelConvertMass[k.channel] =
      (channelConvertMass[k.channel] ?? 0) + (weights[i] ?? 0) * k.startProbability;
  });

  const pageStates = Object.fromEntries(
    PAGE_TYPES.map((type, s) => [
      type,
      {
        pathPattern: PAGE_PATH_PATTERNS[type],
        base: base[s] ?? 0,
        markov: markov[s] ?? 0,
        markovStationary: markovStationary[s] ?? 0,
        givenVisit: (visitMass[s] ?? 0) > 0 ? (convertMass[s] ?? 0) / (visitMass[s] ?? 1) : 0,
      },
    ]),
  ) as Record<PageType, PageStateTruth>;
  const channelStates = Object.fromEntries(
    CHANNELS.map((channel, c) => [
      channel,
      {
        firstTouch: CHANNEL_MODEL[channel].firstTouch,
        multiplier: CHANNEL_MODEL[channel].multiplier,
        sessionConversion:
          (channelSessionMass[c] ?? 0) > 0
            ? (channelConvertMass[c] ?? 0) / (channelSessionMass[c] ?? 1)
            : 0,
        markov: channelMarkov[c] ?? 0,
        removalEffect: removal[c] ?? 0,
        removalEffectShare: removalShares[c] ?? 0,
        causalRemovalEffect: causal[c] ?? 0,
        removalEffectConvertingOnly: removalConverting[c] ?? 0,
        removalEffectConvertingOnlyShare: removalConvertingShares[c] ?? 0,
      },
    ]),
  ) as Record<Channel, ChannelStateTruth>;

  return {
    definitions: TRUTH_DEFINITIONS,
    model: describeModel(),
    sessionConversionRate: absorptionFromStart(population.chain, population.start, 0),
    sessionConversionRateStationary: absorptionFromStart(
      populationStationary.chain,
      populationStationary.start,
      0,
    ),
    pageStates,
    pageChain: table(population),
    pageRemovalEffects: Object.fromEntries(
      PAGE_TYPES.map((t, s) => [t, pageRemoval[s] ?? 0]),
    ) as Record<PageType, number>,
    channels: {
      journeyConversionProbability: absorptionFromStart(channels.chain, channels.start, 0),
      states: channelStates,
      chain: table(channels),
      paths: channelPaths(model, visitorWeights),
    },
  };
}

/** Removal effects under the mixture itself: solved per visitor type, then mixed. */
export function causalRemovalEffects(
  model: CompiledModel,
  visitorWeights: Float64Array,
): Float64Array {
  let base = 0;
  const removed = new Float64Array(CHANNELS.length);
  model.journeys.forEach((chain, g) => {
    const w = visitorWeights[g] ?? 0;
    if (w === 0) return;
    const typeModel = { chain, start: model.firstTouch };
    base += w * absorptionFromStart(chain, model.firstTouch, 0);
    CHANNELS.forEach((_, c) => {
      const without = withStateRemoved(typeModel, c, 1);
      removed[c] = (removed[c] ?? 0) + w * absorptionFromStart(without.chain, without.start, 0);
    });
  });
  return removed.map((p) => (base > 0 ? 1 - p / base : 0));
}

/** P(journey converts | channel prefix), for prefixes of one and two sessions. */
export function channelPaths(
  model: CompiledModel,
  visitorWeights: Float64Array,
): { path: string; probability: number }[] {
  const h = model.journeys.map((chain) => absorptionProbabilities(chain, 0));
  const q = (g: number, c: number): number =>
    model.components[g * CHANNELS.length + c]?.startProbability ?? 0;
  const posteriorProbability = (prefix: readonly number[]): number => {
    let mass = 0;
    let converts = 0;
    VISITOR_TYPES.forEach((type, g) => {
      let weight = visitorWeights[g] ?? 0;
      // First touch and return-channel draws do not depend on the type, so they cancel.
      for (let i = 0; i < prefix.length - 1; i++)
        weight *= (1 - q(g, prefix[i] ?? 0)) * type.returnProbability;
      mass += weight;
      converts += weight * (h[g]?.[prefix[prefix.length - 1] ?? 0] ?? 0);
    });
    return mass > 0 ? converts / mass : 0;
  };
  const out: { path: string; probability: number }[] = [];
  CHANNELS.forEach((first, a) => {
    out.push({ path: first, probability: posteriorProbability([a]) });
  });
  CHANNELS.forEach((first, a) => {
    CHANNELS.forEach((second, b) => {
      out.push({ path: `${first} > ${second}`, probability: posteriorProbability([a, b]) });
    });
  });
  return out;
}

function describeModel(): Record<string, unknown> {
  return {
    pageTypes: PAGE_TYPES,
    pagePathPatterns: PAGE_PATH_PATTERNS,
    baseTransitions: BASE_TRANSITIONS,
    baseTransitionsNote: 'probability left in a row is exit',
    tilt: `multiplier m = channel x visitor type; weight(convert) x m, weight(exit) / m^${EXIT_TILT}, renormalised`,
    channels: CHANNEL_MODEL,
    returnSameChannel: RETURN_SAME_CHANNEL,
    visitorTypes: VISITOR_TYPES,
  };
}
