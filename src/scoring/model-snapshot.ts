import {
  CONVERSION,
  MarkovChain,
  NULL,
  START,
  type MarkovDelta,
  type MarkovSnapshot,
} from '../markov-online/index.js';
import { FEATURE_SCHEMA_VERSION } from './feature-hasher.js';
import { ftrlWeight, sigmoid, type FtrlParams, type SparseFtrlState } from './ftrl.js';
import type { IsotonicCalibrator } from './isotonic.js';
import type { ModelMetrics } from './progressive-validation.js';

/** Everything a model is made of; what encodeModel() writes. */
export interface ModelParts {
  /** Increases with every publication by the trainer. */
  readonly version: number;
  readonly name: string;
  /** Wall-clock ms when it was built. */
  readonly createdAt: number;
  readonly featureSchema: number;
  readonly bits: number;
  readonly ftrl: FtrlParams;
  /** Examples the classifier has learnt from. */
  readonly updates: number;
  readonly classifier: SparseFtrlState;
  readonly calibrator: IsotonicCalibrator;
  readonly metrics: ModelMetrics;
  /** Page-flow chain counts (in-session paths of page types). */
  readonly pageFlowCounts: MarkovDelta;
  /** Channel-journey chain counts (cross-session paths of entry channels). */
  readonly channelCounts: MarkovDelta;
}

export interface NextPage {
  readonly pageType: string;
  readonly probability: number;
}

/** How many next pages a score lists. */
const NEXT_PAGES = 3;
/** Separator of items in a Markov state label (markov-online's StateSpace.label). */
const LABEL_SEPARATOR = ' > ';

/**
 * One published model, immutable: solved Markov chains and classifier weights ready to serve.
 * A scorer holds one by reference and replaces the reference to swap models, so scoring never
 * waits and never sees half a model.
 */
export class ModelSnapshot {
  readonly parts: ModelParts;
  /** `name@version`, what a Score names as its modelVersion. */
  readonly id: string;
  readonly pageFlow: MarkovSnapshot;
  readonly channels: MarkovSnapshot;
  /** Dense weights, so that serving a prediction is a plain sum of 2^bits-array reads. */
  private readonly weights: Float32Array;
  /** P(conversion) from start: the answer for visitors in states this model does not know. */
  private readonly baseline: number;
  private readonly nextCache = new Map<number, readonly NextPage[]>();

  constructor(parts: ModelParts, pageFlow: MarkovSnapshot, channels: MarkovSnapshot) {
    this.parts = parts;
    this.id = `${parts.name}@${parts.version}`;
    this.pageFlow = pageFlow;
    this.channels = channels;
    const weights = new Float32Array(2 ** parts.bits);
    const { indices, z, n } = parts.classifier;
    for (let k = 0; k < indices.length; k++) {
      weights[indices[k] as number] = ftrlWeight(z[k] as number, n[k] as number, parts.ftrl);
    }
    this.weights = weights;
    this.baseline = pageFlow.support(START) > 0 ? (pageFlow.conversionProbability(START) ?? 0) : 0;
  }

  /**
   * Rebuilds the solved chains from the counts (a decoded model). Throws RangeError or
   * ConfigError on counts no chain accepts; decodeModel() turns that into a Result.
   */
  static fromParts(parts: ModelParts): ModelSnapshot {
    return new ModelSnapshot(
      parts,
      solveCounts(parts.pageFlowCounts),
      solveCounts(parts.channelCounts),
    );
  }

  get version(): number {
    return this.parts.version;
  }

  get bits(): number {
    return this.parts.bits;
  }

  get metrics(): ModelMetrics {
    return this.parts.metrics;
  }

  get featureSchema(): number {
    return this.parts.featureSchema;
  }

  /** Raw (uncalibrated) classifier probability for binary features `indices[0..count)`. */
  predictRaw(indices: Uint32Array, count: number): number {
    const w = this.weights;
    let margin = 0;
    for (let k = 0; k < count; k++) margin += w[indices[k] as number] as number;
    return sigmoid(margin);
  }

  /** Calibrated propensity for binary features `indices[0..count)`. */
  propensity(indices: Uint32Array, count: number): number {
    return this.parts.calibrator.calibrate(this.predictRaw(indices, count));
  }

  /**
   * Page-flow conversion probability of a visitor whose page types so far are `path` (only the
   * last k count). A state this model never saw left (new page types, too few data) answers the
   * probability from start, and a model with no data at all answers 0, so the value is always
   * a number and the same one the trainer gets to build the same features.
   */
  markovProbability(path: readonly string[]): number {
    const state = this.pageFlow.stateOf(path);
    if (state === undefined || this.pageFlow.support(state) <= 0) return this.baseline;
    return this.pageFlow.conversionProbability(state) ?? this.baseline;
  }

  /** The most likely next page types after `path`, per the page-flow chain (pages only). */
  nextPages(path: readonly string[]): readonly NextPage[] {
    const state = this.pageFlow.stateOf(path);
    if (state === undefined) return [];
    let pages = this.nextCache.get(state);
    if (pages === undefined) {
      pages = this.pageFlow
        .nextStates(state)
        .filter((next) => next.state !== CONVERSION && next.state !== NULL)
        .slice(0, NEXT_PAGES)
        .map((next) => ({ pageType: lastItem(next.label), probability: next.probability }));
      this.nextCache.set(state, pages);
    }
    return pages;
  }
}

/** The snapshot a scorer starts with before any model exists: no weights, no counts. */
export function emptyModel(
  bits: number,
  params: FtrlParams,
  calibrator: IsotonicCalibrator,
  metrics: ModelMetrics,
  name = 'ftrl',
): ModelSnapshot {
  const pageFlow = new MarkovChain();
  const channels = new MarkovChain();
  return new ModelSnapshot(
    {
      version: 0,
      name,
      createdAt: 0,
      featureSchema: FEATURE_SCHEMA_VERSION,
      bits,
      ftrl: params,
      updates: 0,
      classifier: { indices: new Uint32Array(0), z: new Float64Array(0), n: new Float64Array(0) },
      calibrator,
      metrics,
      pageFlowCounts: pageFlow.exportCounts(),
      channelCounts: channels.exportCounts(),
    },
    pageFlow.solve(),
    channels.solve(),
  );
}

function solveCounts(counts: MarkovDelta): MarkovSnapshot {
  const chain = new MarkovChain({
    order: counts.order,
    collapseRepeats: counts.collapseRepeats,
    ...(counts.halfLifeMs === null ? {} : { halfLifeMs: counts.halfLifeMs }),
  });
  const merged = chain.mergeDelta(counts);
  if (!merged.ok) throw new RangeError(merged.reason);
  return chain.solve();
}

/**
 * TRICKY: a state's label is its items joined by ' > '; the page a visitor moves to is the last
 * one. A page type containing ' > ' itself would be cut here; URL-rule page types never do.
 */
function lastItem(label: string): string {
  const at = label.lastIndexOf(LABEL_SEPARATOR);
  return at < 0 ? label : label.slice(at + LABEL_SEPARATOR.length);
}
