/**
 * Model quality against the simulator's ground truth (issue 5, item 6), for one seed:
 *
 * - markov_max_abs_error: max over page states of |learnt conversion probability - truth|, the
 *   truth being `pageStates.<type>.markov` of the training run (absorption in the population
 *   order-1 page chain over the run's realised mix of sessions: what an order-1 model counting
 *   these sessions' page-type paths converges to).
 * - removal_ranking_equal: the channel chain's removal-effect ranking equals the truth's
 *   (`channels.states.<channel>.removalEffect`, order 1 with null paths).
 * - auc_ratio_to_truth and ece: on held-out sessions (a run with another seed, scored by the
 *   final model, which no longer learns), at every page view of a complete human session: the
 *   model's calibrated propensity, and the session's true P(convert) after that page from the
 *   truth's `probabilities`. The label is whether the session converted (a conversion only ever
 *   follows the last page). Page views are where the truth defines a propensity; track and
 *   identify calls in between carry hints of what comes next (`Product Added` precedes a cart
 *   page), so scoring them would let the model beat the "truth".
 */
import type { Score, SessionUpdate } from '../../src/core/index.js';
import {
  Scorer,
  Trainer,
  auc,
  calibrationCurve,
  createFeatureHasher,
  type ModelMetrics,
  type ReliabilityBin,
  type ModelSnapshot,
  type TrainerOptions,
} from '../../src/scoring/index.js';
import { CHANNELS, PAGE_TYPES, type GroundTruth } from '../../src/simulator/index.js';
import { replay, type ReplayResult } from './replay.js';

export interface QualityOptions {
  readonly seed: number;
  /** Distinct events of the training run. */
  readonly trainEvents: number;
  /** Distinct events of the held-out run (seed + HELD_OUT_SEED_OFFSET). */
  readonly heldOutEvents: number;
  readonly trainer?: TrainerOptions;
  /** Join CRM profiles (default true). */
  readonly crm?: boolean;
  /** Feature hash bits; default 20 (the runtime's). */
  readonly bits?: number;
}

export interface PageStateError {
  readonly learnt: number;
  readonly truth: number;
}

export interface SeedQuality {
  readonly seed: number;
  readonly markovMaxAbsError: number;
  readonly markovStates: Readonly<Record<string, PageStateError>>;
  readonly removalRankingEqual: boolean;
  readonly learntRanking: readonly { channel: string; removalEffect: number }[];
  readonly truthRanking: readonly { channel: string; removalEffect: number }[];
  readonly modelAuc: number;
  readonly truthAuc: number;
  readonly aucRatioToTruth: number;
  readonly ece: number;
  /** Held-out reliability curve (deciles of the calibrated propensity). */
  readonly reliability: readonly ReliabilityBin[];
  readonly heldOutPageViews: number;
  readonly heldOutPositives: number;
  /** Means over the held-out page views: calibrated propensity, true propensity. */
  readonly heldOutMeanPredicted: number;
  readonly heldOutMeanTruth: number;
  /** Progressive-validation metrics of the trainer at the end of training. */
  readonly online: ModelMetrics;
  readonly model: ModelSnapshot;
  readonly training: Omit<ReplayResult, 'truth' | 'pageViews'>;
  readonly heldOut: Omit<ReplayResult, 'truth' | 'pageViews'>;
}

/** The held-out run's seed is the training seed plus this (distinct for any small seed). */
export const HELD_OUT_SEED_OFFSET = 1_000_003;

export async function measureQuality(options: QualityOptions): Promise<SeedQuality> {
  const hasher = await createFeatureHasher({ bits: options.bits ?? 20 });
  const trainer = new Trainer({ ...options.trainer, seed: options.seed }, { hasher });
  const scorer = new Scorer(hasher);
  const crm = options.crm ?? true;
  const training = replay(
    { simulation: { seed: options.seed, events: options.trainEvents }, learn: true, crm },
    { trainer, scorer },
  );
  const model = scorer.model;

  const scoredIds: string[] = [];
  const scored: number[] = [];
  const onScore = (update: SessionUpdate, score: Score): void => {
    if (update.event.type !== 'page') return;
    scoredIds.push(update.event.id);
    scored.push(score.propensity);
  };
  const heldOut = replay(
    {
      simulation: { seed: options.seed + HELD_OUT_SEED_OFFSET, events: options.heldOutEvents },
      learn: false,
      crm,
    },
    { trainer, scorer, onScore },
  );

  const truthOf = pageViewTruth(heldOut);
  const predicted: number[] = [];
  const truth: number[] = [];
  const labels: number[] = [];
  scoredIds.forEach((id, i) => {
    const known = truthOf.get(id);
    if (known === undefined) return;
    predicted.push(scored[i] as number);
    truth.push(known.probability);
    labels.push(known.converted ? 1 : 0);
  });
  const modelAuc = auc(predicted, labels);
  const truthAuc = auc(truth, labels);
  const { markovStates, markovMaxAbsError } = markovErrors(model, training.truth);
  const learntRanking = model.channels
    .removalEffects()
    .map((e) => ({ channel: e.item, removalEffect: e.removalEffect }))
    .sort(byEffect);
  const truthRanking = CHANNELS.map((channel) => ({
    channel: channel as string,
    removalEffect: training.truth.channels.states[channel].removalEffect,
  })).sort(byEffect);
  const { truth: _t, pageViews: _p, ...trainingCounts } = training;
  const { truth: _h, pageViews: _q, ...heldOutCounts } = heldOut;
  return {
    seed: options.seed,
    markovMaxAbsError,
    markovStates,
    removalRankingEqual:
      learntRanking.length === truthRanking.length &&
      learntRanking.every((e, i) => e.channel === truthRanking[i]?.channel),
    learntRanking,
    truthRanking,
    modelAuc,
    truthAuc,
    aucRatioToTruth: modelAuc / truthAuc,
    ece: calibrationCurve(predicted, labels).ece,
    reliability: calibrationCurve(predicted, labels).bins,
    heldOutPageViews: predicted.length,
    heldOutPositives: labels.reduce((s, l) => s + l, 0),
    heldOutMeanPredicted: mean(predicted),
    heldOutMeanTruth: mean(truth),
    online: trainer.metrics(),
    model,
    training: trainingCounts,
    heldOut: heldOutCounts,
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function byEffect(
  a: { channel: string; removalEffect: number },
  b: { channel: string; removalEffect: number },
): number {
  return b.removalEffect - a.removalEffect || a.channel.localeCompare(b.channel);
}

/** Learnt vs true conversion probability of every page state (order 1: one per page type). */
export function markovErrors(
  model: ModelSnapshot,
  truth: GroundTruth,
): { markovStates: Record<string, PageStateError>; markovMaxAbsError: number } {
  const markovStates: Record<string, PageStateError> = {};
  let markovMaxAbsError = 0;
  for (const type of PAGE_TYPES) {
    const state = model.pageFlow.stateOf([type]);
    // A page type the model never learnt is as wrong as it gets: count it as probability 0.
    const learnt = state === undefined ? 0 : (model.pageFlow.conversionProbability(state) ?? 0);
    const expected = truth.pageStates[type].markov;
    markovStates[type] = { learnt, truth: expected };
    markovMaxAbsError = Math.max(markovMaxAbsError, Math.abs(learnt - expected));
  }
  return { markovStates, markovMaxAbsError };
}

/**
 * messageId of each page view of a complete human session -> the session's true P(convert)
 * after that page, and whether it converted.
 */
function pageViewTruth(
  run: ReplayResult,
): Map<string, { probability: number; converted: boolean }> {
  const out = new Map<string, { probability: number; converted: boolean }>();
  for (const session of run.truth.sessions) {
    if (session.bot || session.truncated) continue;
    let page = 0;
    for (const id of session.messageIds) {
      if (!run.pageViews.has(id)) continue;
      page++;
      const probability = session.probabilities[page];
      if (probability !== undefined) out.set(id, { probability, converted: session.converted });
    }
  }
  return out;
}
