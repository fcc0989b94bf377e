import type { Result, SessionClosed, SessionUpdate } from '../core/index.js';
import type { MergeErrorCode } from '../markov-online/index.js';
import type { FeatureContext } from './feature-hasher.js';
import { Learner, type LearnerDeps } from './learner.js';
import type { ModelSnapshot } from './model-snapshot.js';
import type { ModelMetrics } from './progressive-validation.js';
import type { Random } from './random.js';
import { SessionChains, type MarkovDeltas } from './session-chains.js';
import { SessionLabeller } from './session-labeller.js';
import { resolveTrainerConfig, type TrainerConfig, type TrainerOptions } from './trainer-config.js';

export type { TrainedExample } from './learner.js';

/** The Learner's dependencies (its chains are the trainer's), and the sampling source. */
export interface TrainerDeps extends Omit<LearnerDeps, 'chains'> {
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
 * The in-process trainer (the embedded shape): a SessionLabeller (samples prefixes of open
 * sessions, labels them "converted after this point" when the session closes, counts the path
 * into the Markov chains) and a Learner (trains the FTRL classifier on the labelled prefixes,
 * scoring each before learning, and publishes snapshots) sharing one set of chains. The
 * distributed shape runs the same two halves in different processes, with the model-inputs
 * topic between them (src/runtime: model-inputs.ts, trainer-role.ts).
 *
 * A driver (the runtime, a benchmark replaying simulated sessions) does, per session output:
 *   update -> score = scorer.score(update, profile);
 *             trainer.onUpdate(update, { profile, markovProbability: score.markovProbability })
 *   closed -> trainer.onClosed(closed)
 * and swaps published snapshots into the scorer.
 */
export class Trainer {
  readonly config: TrainerConfig;
  private readonly labeller: SessionLabeller;
  private readonly learner: Learner;

  constructor(options: TrainerOptions, deps: TrainerDeps) {
    this.config = resolveTrainerConfig(options);
    const chains = new SessionChains(this.config);
    this.labeller = new SessionLabeller(this.config, {
      hasher: deps.hasher,
      chains,
      ...(deps.random === undefined ? {} : { random: deps.random }),
    });
    const { random: _random, ...learnerDeps } = deps;
    this.learner = new Learner(this.config, { ...learnerDeps, chains });
  }

  /** Starts publishing a snapshot every publishIntervalMs. */
  start(): Promise<void> {
    return this.learner.start();
  }

  /** Stops the timer and publishes what was learnt since the last snapshot. Idempotent. */
  close(): Promise<void> {
    return this.learner.close();
  }

  get stats(): TrainerStats {
    return {
      pendingSessions: this.labeller.pendingSessions,
      pendingPrefixes: this.labeller.pendingPrefixes,
      examples: this.learner.examples,
      openJourneys: this.labeller.chains.openJourneys,
      version: this.learner.currentVersion,
    };
  }

  /** The latest published snapshot, if any. */
  get snapshot(): ModelSnapshot | undefined {
    return this.learner.snapshot;
  }

  /** Progressive-validation metrics as of now (one sort of the window). */
  metrics(): ModelMetrics {
    return this.learner.metrics();
  }

  /** Samples the prefix this update completes; cheap when not sampled (no features built). */
  onUpdate(update: SessionUpdate, context: FeatureContext): void {
    this.labeller.onUpdate(update, context);
  }

  /**
   * Labels and learns the closed session's prefixes, and counts its path into the chains.
   * Sessions merged into another are skipped (the one they became part of closes later, with
   * the whole path); so are bots and, unless configured, sessions closed by a shutdown.
   */
  onClosed(closed: SessionClosed): void {
    const outcome = this.labeller.onClosed(closed);
    if (outcome.counted) this.learner.touch();
    if (outcome.labelled !== undefined) this.learner.learn(outcome.labelled);
  }

  /**
   * End of a finite input (a replay of history, a batch, a benchmark): every open channel
   * journey ends null, as if its visitor never came back, so the channel chain holds complete
   * journeys only, like the sessionizer's drain(). Not for shutdown: there a journey may go on
   * after the restart. Returns the journeys ended.
   */
  drain(): number {
    const ended = this.labeller.drain();
    if (ended > 0) this.learner.touch();
    return ended;
  }

  /** Counts added here since the last export, for a central trainer to merge. */
  exportDeltas(): MarkovDeltas {
    return this.labeller.exportDeltas();
  }

  /** Adds another process's counts (additive: any order, each delta once). */
  mergeDeltas(deltas: Partial<MarkovDeltas>): Result<void, MergeErrorCode> {
    return this.learner.mergeDeltas(deltas);
  }

  /**
   * Refits the calibrator, builds a new snapshot and hands it to onSnapshot; see
   * Learner.publish. Returns the previous snapshot when nothing changed since, unless forced.
   */
  publish(force = false): ModelSnapshot {
    return this.learner.publish(force);
  }
}
