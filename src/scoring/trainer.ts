import {
  LifecycleGuard,
  counter,
  gauge,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type Result,
  type SessionClosed,
  type SessionUpdate,
} from '../core/index.js';
import type { MergeErrorCode } from '../markov-online/index.js';
import {
  FEATURE_SCHEMA_VERSION,
  FeatureVector,
  type FeatureContext,
  type FeatureHasher,
} from './feature-hasher.js';
import { FtrlModel } from './ftrl.js';
import { IsotonicCalibrator, fitIsotonicSorted } from './isotonic.js';
import { ModelSnapshot } from './model-snapshot.js';
import { PendingPrefixes, type Prefix } from './pending-prefixes.js';
import { ProgressiveValidation, type ModelMetrics } from './progressive-validation.js';
import { seededRandom, type Random } from './random.js';
import type { SortedPairs } from './sort-order.js';
import { SessionChains, type MarkovDeltas } from './session-chains.js';
import { resolveTrainerConfig, type TrainerConfig, type TrainerOptions } from './trainer-config.js';

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
const sessionsTotal = counter(
  'pathcast_trainer_sessions_total',
  'Closed sessions the trainer saw, by what it did with them (learnt, bot, merged, shutdown).',
  ['outcome'],
);

/** One labelled prefix, as the trainer learnt it (for drivers, benchmarks and tests). */
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

export interface TrainerDeps {
  /** Built once at start-up (`await createFeatureHasher()`); its bits size the model. */
  readonly hasher: FeatureHasher;
  readonly logger?: Logger;
  /** Stamps snapshots' createdAt; default the system clock. */
  readonly clock?: Clock;
  /** Called with each published snapshot (swap it into a scorer, encode it to a topic). */
  readonly onSnapshot?: (snapshot: ModelSnapshot) => void | Promise<void>;
  readonly onExample?: (example: TrainedExample) => void;
  /** Resume from a published model: its classifier state, counts, calibration and version. */
  readonly initial?: ModelSnapshot;
  /** Replaces the seeded sampling source. */
  readonly random?: Random;
}

export interface TrainerStats {
  readonly pendingSessions: number;
  readonly pendingPrefixes: number;
  readonly examples: number;
  readonly openJourneys: number;
  readonly version: number;
}

/**
 * Learns the live model from sessions: samples prefixes of open sessions (onUpdate), labels
 * them "converted after this point" when the session closes and trains the FTRL classifier on
 * them, scoring each before learning (progressive validation); and owns the Markov counts,
 * turning every closed session into a page-flow path and the visitor's cross-session channel
 * journey. publish() builds an immutable snapshot; start() publishes on a timer.
 *
 * A driver (the runtime, a benchmark replaying simulated sessions) does, per session output:
 *   update -> score = scorer.score(update, profile);
 *             trainer.onUpdate(update, { profile, markovProbability: score.markovProbability })
 *   closed -> trainer.onClosed(closed)
 * and swaps published snapshots into the scorer.
 */
export class Trainer {
  readonly config: TrainerConfig;
  private readonly hasher: FeatureHasher;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly onSnapshot: TrainerDeps['onSnapshot'];
  private readonly onExample: TrainerDeps['onExample'];
  private readonly model: FtrlModel;
  private readonly pending: PendingPrefixes;
  private readonly validation: ProgressiveValidation;
  private readonly chains: SessionChains;
  private readonly vector = new FeatureVector();
  /** Scores of a closing session's prefixes before any of them is learnt (reused). */
  private before = new Float64Array(16);
  private readonly lifecycle: LifecycleGuard;
  private calibrator: IsotonicCalibrator;
  private version: number;
  private dirty = false;
  private latest: ModelSnapshot | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private delivering: Promise<void> | undefined;

  constructor(options: TrainerOptions, deps: TrainerDeps) {
    this.config = resolveTrainerConfig(options);
    this.hasher = deps.hasher;
    this.logger = deps.logger ?? silentLogger;
    this.clock = deps.clock ?? systemClock;
    this.onSnapshot = deps.onSnapshot;
    this.onExample = deps.onExample;
    this.model = new FtrlModel(this.hasher.size, this.config.ftrl);
    this.pending = new PendingPrefixes(
      this.config.sampling,
      deps.random ?? seededRandom(this.config.seed),
    );
    this.validation = new ProgressiveValidation(this.config.validationWindow);
    this.chains = new SessionChains(this.config);
    this.calibrator = IsotonicCalibrator.identity();
    this.version = 0;
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

  get stats(): TrainerStats {
    return {
      pendingSessions: this.pending.sessions,
      pendingPrefixes: this.pending.prefixes,
      examples: this.model.updates,
      openJourneys: this.chains.openJourneys,
      version: this.version,
    };
  }

  /** The latest published snapshot, if any. */
  get snapshot(): ModelSnapshot | undefined {
    return this.latest;
  }

  /** Progressive-validation metrics as of now (one sort of the window). */
  metrics(): ModelMetrics {
    return this.validation.summary(this.config.reliabilityBins);
  }

  /** Samples the prefix this update completes; cheap when not sampled (no features built). */
  onUpdate(update: SessionUpdate, context: FeatureContext): void {
    const session = update.session;
    if (session.isBot && !this.config.includeBots) return;
    const slot = this.pending.reserve(session);
    if (slot < 0) return;
    this.hasher.extract(update, context, this.vector);
    this.pending.put(session.id, slot, {
      indices: this.vector.copyIndices(),
      conversions: session.conversions,
      eventCount: session.eventCount,
    });
  }

  /**
   * Labels and learns the closed session's prefixes, and counts its path into the chains.
   * Sessions merged into another are skipped (the one they became part of closes later, with
   * the whole path); so are bots and, unless configured, sessions closed by a shutdown.
   */
  onClosed(closed: SessionClosed): void {
    const session = closed.session;
    const pending = this.pending.take(session.id);
    if (session.isBot && !this.config.includeBots) {
      sessionsTotal.inc({ outcome: 'bot' });
      return;
    }
    if (closed.reason === 'merged') {
      sessionsTotal.inc({ outcome: 'merged' });
      return;
    }
    if (closed.reason === 'shutdown' && !this.config.learnFromShutdown) {
      sessionsTotal.inc({ outcome: 'shutdown' });
      return;
    }
    sessionsTotal.inc({ outcome: 'learnt' });
    this.dirty = true;

    this.chains.add(session);

    if (pending === undefined) return;
    // TRICKY: a session's prefixes share one label, so scoring each just before learning it
    // would score prefix k with a model that has already learnt prefixes 1..k-1 of the same
    // session, and so leans towards its label. Progressive validation would then look better
    // than the model is, and the calibrator, fitted on those scores, would learn to stretch
    // them and over-predict on fresh sessions (measured: +0.013 on the simulator's held-out
    // page views). So every prefix is scored first, with the model as it was before the session.
    const prefixes = pending.prefixes;
    if (this.before.length < prefixes.length) this.before = new Float64Array(prefixes.length * 2);
    const before = this.before;
    for (let k = 0; k < prefixes.length; k++) {
      const indices = (prefixes[k] as Prefix).indices;
      before[k] = this.model.predict(indices, indices.length);
    }
    for (let k = 0; k < prefixes.length; k++) {
      const prefix = prefixes[k] as Prefix;
      // Converted after this point: the session's conversions grew after the prefix's event.
      const label: 0 | 1 = session.conversions > prefix.conversions ? 1 : 0;
      const raw = before[k] as number;
      this.model.learn(prefix.indices, prefix.indices.length, label);
      const calibrated = this.calibrator.calibrate(raw);
      this.validation.record(raw, calibrated, label);
      this.onExample?.({
        sessionId: session.id,
        eventCount: prefix.eventCount,
        label,
        raw,
        calibrated,
      });
    }
    examplesTotal.inc(pending.prefixes.length);
  }

  /**
   * End of a finite input (a replay of history, a batch, a benchmark): every open channel
   * journey ends null, as if its visitor never came back, so the channel chain holds complete
   * journeys only, like the sessionizer's drain(). Not for shutdown: there a journey may go on
   * after the restart. Returns the journeys ended.
   */
  drain(): number {
    const ended = this.chains.drain();
    if (ended > 0) this.dirty = true;
    return ended;
  }

  /** Counts added here since the last export, for a central trainer to merge. */
  exportDeltas(): MarkovDeltas {
    return this.chains.exportDeltas();
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
    const merged = this.mergeDeltas({
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
