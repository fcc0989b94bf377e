import {
  LifecycleGuard,
  counter,
  gauge,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type Result,
} from '../core/index.js';
import type { MergeErrorCode } from '../markov-online/index.js';
import { FEATURE_SCHEMA_VERSION, type FeatureHasher } from './feature-hasher.js';
import { FtrlModel } from './ftrl.js';
import { IsotonicCalibrator, fitIsotonicSorted } from './isotonic.js';
import { ModelSnapshot } from './model-snapshot.js';
import { ProgressiveValidation, type ModelMetrics } from './progressive-validation.js';
import { SessionChains, type CountedSession, type MarkovDeltas } from './session-chains.js';
import type { LabelledSession } from './session-labeller.js';
import type { SortedPairs } from './sort-order.js';
import type { TrainerConfig } from './trainer-config.js';

const aucGauge = gauge(
  'pathcast_model_auc',
  'ROC AUC of the online classifier by progressive validation (scored before training), over the recent window.',
);
const logLossGauge = gauge(
  'pathcast_model_log_loss',
  'Log-loss of the calibrated online propensities by progressive validation, over the recent window.',
);
const eceGauge = gauge(
  'pathcast_model_ece',
  'Expected calibration error (decile bins) of the calibrated propensities by progressive validation.',
);
const versionGauge = gauge(
  'pathcast_model_version',
  'Version of the last published model snapshot.',
);
const updatesGauge = gauge(
  'pathcast_model_examples',
  'Labelled examples the classifier of the last published snapshot has learnt from.',
);
const windowGauge = gauge(
  'pathcast_model_validation_examples',
  'Progressive-validation examples (scored before training) the AUC, log-loss and ECE gauges are computed on.',
);
const positiveRateGauge = gauge(
  'pathcast_model_validation_positive_rate',
  'Share of positive labels (converted after the prefix) among all progressive-validation examples.',
);
const examplesTotal = counter(
  'pathcast_trainer_examples_total',
  'Labelled session prefixes the online classifier learnt from.',
);

/** One labelled prefix, as the learner learnt it (for drivers, benchmarks and tests). */
export interface TrainedExample {
  readonly sessionId: string;
  /** Events in the session up to and including the prefix's event. */
  readonly eventCount: number;
  /** 1 when the session converted after this prefix (a later event was a conversion). */
  readonly label: 0 | 1;
  /** Classifier probability before learning from the example's session (progressive validation). */
  readonly raw: number;
  /** `raw` through the calibrator of that moment. */
  readonly calibrated: number;
}

export interface LearnerDeps {
  /** Sizes the model (its bits); labelled sessions must come from a hasher of the same bits. */
  readonly hasher: FeatureHasher;
  readonly logger?: Logger;
  /** Stamps snapshots' createdAt; default the system clock. */
  readonly clock?: Clock;
  /** Called with each published snapshot, in order; a failing call is logged. */
  readonly onSnapshot?: (snapshot: ModelSnapshot) => void | Promise<void>;
  readonly onExample?: (example: TrainedExample) => void;
  /** Resume from a published model: its classifier state, counts, calibration and version. */
  readonly initial?: ModelSnapshot;
  /** The chains whose counts snapshots carry; default chains of its own (count, mergeDeltas). */
  readonly chains?: SessionChains;
}

/**
 * The learning side of the live model: trains the FTRL classifier on labelled sessions, scoring
 * each prefix before learning (progressive validation), keeps the Markov counts (its chains, fed
 * by the sessions a labeller counts into the same chains, by shipped sessions (count), or by
 * merged deltas), and publishes versioned snapshots: on demand (publish) or every
 * publishIntervalMs after start().
 */
export class Learner {
  readonly chains: SessionChains;
  private readonly config: TrainerConfig;
  private readonly hasher: FeatureHasher;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly onSnapshot: LearnerDeps['onSnapshot'];
  private readonly onExample: LearnerDeps['onExample'];
  private readonly model: FtrlModel;
  private readonly validation: ProgressiveValidation;
  /** Scores of a session's prefixes before any of them is learnt (reused). */
  private before = new Float64Array(16);
  private readonly lifecycle: LifecycleGuard;
  private calibrator: IsotonicCalibrator;
  private version = 0;
  private dirty = false;
  private latest: ModelSnapshot | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private delivering: Promise<void> | undefined;

  constructor(config: TrainerConfig, deps: LearnerDeps) {
    this.config = config;
    this.hasher = deps.hasher;
    this.logger = deps.logger ?? silentLogger;
    this.clock = deps.clock ?? systemClock;
    this.onSnapshot = deps.onSnapshot;
    this.onExample = deps.onExample;
    this.model = new FtrlModel(this.hasher.size, config.ftrl);
    this.validation = new ProgressiveValidation(config.validationWindow);
    this.chains = deps.chains ?? new SessionChains(config);
    this.calibrator = IsotonicCalibrator.identity();
    if (deps.initial !== undefined) this.resume(deps.initial);
    this.lifecycle = new LifecycleGuard(
      'trainer',
      () => this.begin(),
      () => this.end(),
    );
  }

  /** Starts publishing a snapshot every publishIntervalMs. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Stops the timer and publishes what was learnt since the last snapshot. Idempotent. */
  close(): Promise<void> {
    return this.lifecycle.close();
  }

  get examples(): number {
    return this.model.updates;
  }

  get currentVersion(): number {
    return this.version;
  }

  /** The latest published snapshot, if any. */
  get snapshot(): ModelSnapshot | undefined {
    return this.latest;
  }

  /** Progressive-validation metrics as of now (one sort of the window). */
  metrics(): ModelMetrics {
    return this.validation.summary(this.config.reliabilityBins);
  }

  /** Something the next snapshot carries changed outside learn() (the shared chains grew). */
  touch(): void {
    this.dirty = true;
  }

  /**
   * Learns a closed session's labelled prefixes. Throws RangeError for indices made with
   * another hasher size (callers decoding untrusted input check `bits` first).
   */
  learn(session: LabelledSession): void {
    if (session.bits !== this.hasher.bits) {
      throw new RangeError(
        `labelled session has ${session.bits} bits, the model ${this.hasher.bits}`,
      );
    }
    this.dirty = true;
    const prefixes = session.prefixes;
    // TRICKY: a session's prefixes share one label, so scoring each just before learning it
    // would score prefix k with a model that has already learnt prefixes 1..k-1 of the same
    // session, and so leans towards its label. Progressive validation would then look better
    // than the model is, and the calibrator, fitted on those scores, would learn to stretch
    // them and over-predict on fresh sessions (measured: +0.013 on the simulator's held-out
    // page views). So every prefix is scored first, with the model as it was before the session.
    if (this.before.length < prefixes.length) this.before = new Float64Array(prefixes.length * 2);
    const before = this.before;
    for (let k = 0; k < prefixes.length; k++) {
      const indices = prefixes[k]?.indices as Uint32Array;
      before[k] = this.model.predict(indices, indices.length);
    }
    for (let k = 0; k < prefixes.length; k++) {
      const prefix = prefixes[k] as LabelledSession['prefixes'][number];
      const raw = before[k] as number;
      this.model.learn(prefix.indices, prefix.indices.length, prefix.label);
      const calibrated = this.calibrator.calibrate(raw);
      this.validation.record(raw, calibrated, prefix.label);
      this.onExample?.({
        sessionId: session.sessionId,
        eventCount: prefix.eventCount,
        label: prefix.label,
        raw,
        calibrated,
      });
    }
    examplesTotal.inc(prefixes.length);
  }

  /** Counts a closed session another process sent into the chains (each session once). */
  count(session: CountedSession): void {
    this.chains.add(session);
    this.dirty = true;
  }

  /** Adds another process's counts (additive: any order, each delta once). */
  mergeDeltas(deltas: Partial<MarkovDeltas>): Result<void, MergeErrorCode> {
    const merged = this.chains.mergeDeltas(deltas);
    if (merged.ok) this.dirty = true;
    return merged;
  }

  /**
   * Refits the calibrator on the validation window, builds a new snapshot (solving both chains)
   * and hands it to onSnapshot. Returns the previous snapshot when nothing changed since, unless
   * forced. Costs O(2^bits) for the dense serving weights, plus a sort of the validation window
   * and a solve of each chain: call it on a timer (tens of ms at 2^20), never per event.
   */
  publish(force = false): ModelSnapshot {
    if (!force && !this.dirty && this.latest !== undefined) return this.latest;
    // Metrics first: they judge the calibrators of the past, out-of-sample; then refit.
    const { metrics, sortedRaw } = this.validation.evaluate(this.config.reliabilityBins);
    this.refitCalibrator(sortedRaw);
    this.version++;
    const counts = this.chains.exportCounts();
    const solved = this.chains.solve();
    const snapshot = new ModelSnapshot(
      {
        version: this.version,
        name: this.config.name,
        createdAt: this.clock.now(),
        featureSchema: FEATURE_SCHEMA_VERSION,
        bits: this.hasher.bits,
        ftrl: this.config.ftrl,
        updates: this.model.updates,
        classifier: this.model.exportSparse(),
        calibrator: this.calibrator,
        metrics,
        pageFlowCounts: counts.pageFlow,
        channelCounts: counts.channels,
      },
      solved.pageFlow,
      solved.channels,
    );
    this.latest = snapshot;
    this.dirty = false;
    setGauges(snapshot);
    this.deliver(snapshot);
    return snapshot;
  }

  /** Resolves once every snapshot published so far was handed to onSnapshot. */
  async delivered(): Promise<void> {
    await this.delivering;
  }

  private refitCalibrator(window: SortedPairs): void {
    if (window.scores.length < this.config.calibrationMinExamples) return;
    let positives = 0;
    for (const label of window.labels) positives += label;
    // One class only: isotonic regression would map everything to 0 or 1.
    if (positives === 0 || positives === window.labels.length) return;
    this.calibrator = fitIsotonicSorted(window);
  }

  private deliver(snapshot: ModelSnapshot): void {
    if (this.onSnapshot === undefined) return;
    const previous = this.delivering ?? Promise.resolve();
    // Deliveries stay in order, and a failing one is logged without stopping the next.
    this.delivering = previous.then(async () => {
      try {
        await this.onSnapshot?.(snapshot);
      } catch (error) {
        this.logger.error('model_snapshot_delivery_failed', {
          err: error,
          version: snapshot.version,
        });
      }
    });
  }

  private resume(initial: ModelSnapshot): void {
    const parts = initial.parts;
    if (parts.bits !== this.hasher.bits) {
      throw new RangeError(`initial model has ${parts.bits} bits, the hasher ${this.hasher.bits}`);
    }
    this.model.load(parts.classifier, parts.updates);
    const merged = this.chains.mergeDeltas({
      pageFlow: parts.pageFlowCounts,
      channels: parts.channelCounts,
    });
    // Merged counts are never re-exported as this instance's delta (markov-online), so resumed
    // counts are not shipped to a central trainer a second time.
    if (!merged.ok) throw new RangeError(`initial model counts: ${merged.reason}`);
    this.calibrator = parts.calibrator;
    this.version = parts.version;
    this.latest = initial;
    this.dirty = false;
  }

  private async begin(): Promise<void> {
    this.timer = setInterval(() => this.tick(), this.config.publishIntervalMs);
    this.timer.unref();
  }

  private tick(): void {
    try {
      this.publish();
    } catch (error) {
      this.logger.error('model_publish_failed', { err: error });
    }
  }

  private async end(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.dirty) this.publish();
    await this.delivering;
    this.logger.info('trainer_closed', { version: this.version, examples: this.model.updates });
  }
}

function setGauges(snapshot: ModelSnapshot): void {
  const m = snapshot.metrics;
  // NaN (too few examples, one class) would read as a number on dashboards; leave gauges be.
  if (Number.isFinite(m.auc)) aucGauge.set(m.auc);
  if (Number.isFinite(m.logLoss)) logLossGauge.set(m.logLoss);
  if (Number.isFinite(m.ece)) eceGauge.set(m.ece);
  versionGauge.set(snapshot.version);
  updatesGauge.set(snapshot.parts.updates);
  windowGauge.set(m.window);
  if (m.examples > 0) positiveRateGauge.set(m.positives / m.examples);
}
