import {
  counter,
  histogram,
  type ClickEvent,
  type Logger,
  type Score,
  type SessionClosed,
  type SessionOutput,
  type SessionUpdate,
} from '../core/index.js';
import {
  Scorer,
  Trainer,
  createFeatureHasher,
  type FeatureContext,
  type FeatureHasher,
  type ModelSnapshot,
  type TrainerOptions,
} from '../scoring/index.js';
import type { IdentityLink } from '../sessionizer/index.js';
import type { PipelineOutputs } from './partition-pipeline.js';
import { ProfileJoin, type ProfileLookup } from './profile-join.js';

/** Where live scores go besides storage (the websockets, later). */
export type ScoreListener = (score: Score, output: SessionOutput) => void;

/**
 * What learns from the scored sessions: the in-process Trainer (embedded), or the shipper of
 * closed sessions to the trainer role (distributed, model-inputs.ts).
 */
export interface SessionLearning {
  onUpdate(update: SessionUpdate, context: FeatureContext): void;
  onClosed(closed: SessionClosed): void;
  /**
   * Resolves once what it was given is safe with its learner (shipped: produced to the log),
   * so a checkpoint taken after it never covers a session the learner could miss.
   */
  flush?(): Promise<void>;
  /** Publishes or ships what is left. Idempotent. */
  close(): Promise<void>;
}

const scoredTotal = counter('pathcast_scores_total', 'Session updates scored');
const scoreSeconds = histogram(
  'pathcast_score_seconds',
  'Time to score one session update (features, classifier, Markov lookup)',
  [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
);

/**
 * Scores every session update with the current model and teaches the learning side from updates
 * and closes, then hands everything on to the next outputs (storage). Embedded: an in-process
 * trainer whose snapshots are swapped into the scorer without pausing. Distributed
 * (createShipping): closed sessions go to the trainer role and its snapshots come back through
 * swap().
 *
 * Distributed, the model's contribution is exact across crashes: flush (which the pipeline
 * awaits before every checkpoint) waits until the closed sessions are produced, and the trainer
 * counts a session replayed after a crash once (trainer-role.ts).
 * NOTE: embedded, the in-process trainer's model is stored on its own schedule (models table),
 * not with the partition checkpoints: after a crash, the sessions closed between the two are
 * missing from its counts (checkpoint later than the model) or counted again (earlier).
 */
export class ScoringOutputs implements PipelineOutputs {
  private readonly next: PipelineOutputs;
  private readonly scorer: Scorer;
  private readonly trainer: SessionLearning;
  private readonly onScore: ScoreListener | undefined;
  private readonly join: ProfileJoin;

  private constructor(
    next: PipelineOutputs,
    scorer: Scorer,
    trainer: SessionLearning,
    onScore?: ScoreListener,
    profiles?: ProfileLookup,
  ) {
    this.next = next;
    this.scorer = scorer;
    this.trainer = trainer;
    this.onScore = onScore;
    // A profile that lands after its visitor's update was scored: score that update again.
    this.join = new ProfileJoin(profiles, (update, profile) => {
      this.onScore?.(this.scorer.score(update, profile), update);
      scoredTotal.inc();
    });
  }

  static async create(
    next: PipelineOutputs,
    deps: {
      logger: Logger;
      onScore?: ScoreListener;
      onSnapshot?: (model: ModelSnapshot) => void;
      /** The CRM join; without it sessions are scored without profiles. */
      profiles?: ProfileLookup;
      /** A stored model to serve and learn on from (a restart); default an empty model. */
      initial?: ModelSnapshot;
    },
    options: TrainerOptions = {},
  ): Promise<ScoringOutputs> {
    const hasher = await createFeatureHasher();
    const scorer = new Scorer(hasher, deps.initial);
    const trainer = new Trainer(options, {
      hasher,
      logger: deps.logger,
      ...(deps.initial === undefined ? {} : { initial: deps.initial }),
      onSnapshot: (model) => {
        scorer.swap(model);
        deps.onSnapshot?.(model);
      },
    });
    await trainer.start();
    return new ScoringOutputs(next, scorer, trainer, deps.onScore, deps.profiles);
  }

  /**
   * Distributed: scores with snapshots that come from elsewhere (swap) and learns through
   * `learning` (built on the hasher given to `build`, which the scorer shares).
   */
  static async createShipping(
    next: PipelineOutputs,
    deps: {
      onScore?: ScoreListener;
      profiles?: ProfileLookup;
      /** The model to serve until the first snapshot arrives. */
      initial?: ModelSnapshot;
      /** Builds the learning side on the process's feature hasher. */
      learning: (hasher: FeatureHasher) => SessionLearning | Promise<SessionLearning>;
    },
  ): Promise<ScoringOutputs> {
    const hasher = await createFeatureHasher();
    const scorer = new Scorer(hasher, deps.initial);
    const learning = await deps.learning(hasher);
    return new ScoringOutputs(next, scorer, learning, deps.onScore, deps.profiles);
  }

  /** The model the scorer serves now. */
  get model(): ModelSnapshot {
    return this.scorer.model;
  }

  /** Serves `model` from the next score on (a snapshot from the models topic). */
  swap(model: ModelSnapshot): void {
    this.scorer.swap(model);
  }

  events(partition: number, events: readonly ClickEvent[]): void {
    this.next.events(partition, events);
  }

  session(partition: number, output: SessionOutput): void {
    if (output.kind === 'update') {
      if (!output.session.isBot) {
        const started = process.hrtime.bigint();
        const profile = this.join.profileFor(output);
        const score = this.scorer.score(output, profile);
        this.trainer.onUpdate(output, { profile, markovProbability: score.markovProbability });
        scoreSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        scoredTotal.inc();
        this.onScore?.(score, output);
      }
    } else {
      this.join.closed(output.session);
      this.trainer.onClosed(output);
    }
    this.next.session(partition, output);
  }

  identity(partition: number, link: IdentityLink): void {
    this.next.identity(partition, link);
  }

  async flush(): Promise<void> {
    await Promise.all([this.next.flush(), this.trainer.flush?.()]);
  }

  backedUp(): boolean {
    return this.next.backedUp();
  }

  /** Stops the trainer's timer after publishing (or shipping) what it learnt. */
  close(): Promise<void> {
    this.join.close();
    return this.trainer.close();
  }
}
