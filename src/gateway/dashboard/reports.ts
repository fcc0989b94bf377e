import { attribute, type Journey } from '../../markov-online/index.js';
import {
  auc,
  calibrationCurve,
  decodeModel,
  logLoss,
  type ModelSnapshot,
} from '../../scoring/index.js';
import { pathFileChannel, type ChannelPath, type StoredModel } from '../../storage/index.js';
import type {
  AttributionRow,
  FunnelResponse,
  ModelQualityResponse,
  PageFlowResponse,
} from './api-types.js';
import type { ScoredOutcomes } from './queries.js';

/**
 * Pure transforms from storage answers to what the dashboard API sends: attribution over the
 * stored channel paths, flow totals, the derived funnel, model quality.
 */

export interface AttributionFigures {
  readonly paths: number;
  readonly journeys: number;
  readonly conversions: number;
  readonly value: number;
  readonly conversionProbability: number;
  readonly channels: readonly AttributionRow[];
}

/**
 * Markov removal effects beside first, last and linear touch, computed by src/markov-online from
 * the stored channel paths exactly as `pathcast attribution` does from a path file. Channel names
 * are normalised as the path file would hold them (an empty channel becomes '(none)').
 */
export function channelAttribution(
  paths: readonly ChannelPath[],
  options: { readonly order: number; readonly withNull: boolean },
): AttributionFigures {
  const journeys: Journey[] = paths
    .filter((p) => p.channels.length > 0)
    .map((p, i) => ({
      line: i + 1,
      channels: p.channels.map(pathFileChannel),
      conversions: p.conversions,
      value: p.value,
      nulls: p.nulls,
    }));
  let conversions = 0;
  let value = 0;
  let count = 0;
  for (const j of journeys) {
    conversions += j.conversions;
    value += j.value;
    count += j.conversions + j.nulls;
  }
  if (journeys.length === 0) {
    return {
      paths: 0,
      journeys: 0,
      conversions: 0,
      value: 0,
      conversionProbability: 0,
      channels: [],
    };
  }
  const result = attribute(journeys, options);
  const { markov, first, last, linear } = result.report;
  const zero = { conversions: 0, value: 0 };
  const channels = Object.keys(markov).map((channel): AttributionRow => {
    const m = markov[channel];
    return {
      channel,
      markov: {
        conversions: m?.conversions ?? 0,
        value: m?.value ?? 0,
        removalEffect: m?.removal_effect ?? 0,
        valueRemovalEffect: m?.value_removal_effect ?? 0,
      },
      first: first[channel] ?? zero,
      last: last[channel] ?? zero,
      linear: linear[channel] ?? zero,
    };
  });
  channels.sort(
    (a, b) => b.markov.conversions - a.markov.conversions || (a.channel < b.channel ? -1 : 1),
  );
  return {
    paths: journeys.length,
    journeys: count,
    conversions,
    value,
    conversionProbability: result.conversionProbability,
    channels,
  };
}

/**
 * Sessions in a page flow and how they ended: every session of the flow ends in exactly one
 * terminal link (conversion or exit), so these count the sessions the shown links carry (the
 * biggest links per step; the rest are cut by `linksPerStep`).
 */
export function flowTotals(
  links: PageFlowResponse['links'],
): Pick<PageFlowResponse, 'sessions' | 'converted' | 'exited'> {
  let converted = 0;
  let exited = 0;
  for (const link of links) {
    if (link.to.kind === 'conversion') converted += link.sessions;
    if (link.to.kind === 'exit') exited += link.sessions;
  }
  return { sessions: converted + exited, converted, exited };
}

/** Most page steps a derived funnel takes before its conversion step. */
const DERIVED_PAGES = 3;

/**
 * A funnel read off the page flow when the caller names no steps: the page type most sessions
 * start on, then at each step the page most of them go to next (not one already taken), then
 * conversion. So a site's funnel appears without configuring its page types.
 */
export function derivedFunnelSteps(
  links: PageFlowResponse['links'],
): FunnelResponse['steps'][number]['step'][] {
  const starts = new Map<string, number>();
  for (const link of links) {
    if (link.step === 1 && link.from.kind === 'page') {
      starts.set(link.from.pageType, (starts.get(link.from.pageType) ?? 0) + link.sessions);
    }
  }
  let current = biggest(starts);
  const pages: string[] = current === undefined ? [] : [current];
  for (let step = 1; current !== undefined && pages.length < DERIVED_PAGES; step++) {
    const next = new Map<string, number>();
    for (const link of links) {
      if (link.step !== step || link.to.kind !== 'page') continue;
      if (link.from.kind !== 'page' || link.from.pageType !== current) continue;
      if (pages.includes(link.to.pageType)) continue;
      next.set(link.to.pageType, (next.get(link.to.pageType) ?? 0) + link.sessions);
    }
    current = biggest(next);
    if (current !== undefined) pages.push(current);
  }
  return [
    ...pages.map((pageType) => ({ kind: 'page' as const, pageType })),
    { kind: 'conversion' as const },
  ];
}

function biggest(counts: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let most = -1;
  for (const [key, n] of counts) {
    if (n > most || (n === most && best !== undefined && key < best)) [best, most] = [key, n];
  }
  return best;
}

/** JSON has no NaN or Infinity: such figures are sent as null. */
export function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

type Quality = Omit<ModelQualityResponse, 'site' | 'from' | 'to'>;

/** Quality of the newest stored model snapshot, from its own progressive-validation metrics. */
export function storedModelQuality(model: StoredModel): Quality | undefined {
  const decoded = decodeModel(model.snapshot);
  return decoded.ok ? modelQuality(decoded.value, 'stored') : undefined;
}

/** A model's own progressive-validation metrics (out-of-sample, over its recent window). */
export function modelQuality(model: ModelSnapshot, source: 'serving' | 'stored'): Quality {
  const m = model.metrics;
  return {
    source,
    version: model.id,
    examples: m.examples,
    positives: m.positives,
    auc: finiteOrNull(m.auc),
    logLoss: finiteOrNull(m.logLoss),
    ece: finiteOrNull(m.ece),
    calibration: m.reliability.map((bin) => ({ ...bin })),
  };
}

/** Quality of the live scores against the outcomes of their sessions. */
export function liveScoreQuality(outcomes: ScoredOutcomes): Quality {
  const { propensities, labels } = outcomes;
  if (propensities.length === 0) {
    return {
      source: 'none',
      version: null,
      examples: 0,
      positives: 0,
      auc: null,
      logLoss: null,
      ece: null,
      calibration: [],
    };
  }
  let positives = 0;
  for (const label of labels) positives += label;
  const curve = calibrationCurve(propensities, labels, { bins: 10 });
  return {
    source: 'live_scores',
    version: outcomes.version,
    examples: propensities.length,
    positives,
    auc: finiteOrNull(auc(propensities, labels)),
    logLoss: finiteOrNull(logLoss(propensities, labels)),
    ece: finiteOrNull(curve.ece),
    calibration: curve.bins.map((bin) => ({ ...bin })),
  };
}
