import {
  counter,
  histogram,
  type ClickEvent,
  type Logger,
  type Score,
  type SessionOutput,
} from '../core/index.js';
import {
  Scorer,
  Trainer,
  createFeatureHasher,
  type ModelSnapshot,
  type TrainerOptions,
} from '../scoring/index.js';
import type { IdentityLink } from '../sessionizer/index.js';
import type { PipelineOutputs } from './partition-pipeline.js';
import { ProfileJoin, type ProfileLookup } from './profile-join.js';

/** Where live scores go besides storage (the websockets, later). */
export type ScoreListener = (score: Score, output: SessionOutput) => void;

const scoredTotal = counter('pathcast_scores_total', 'Session updates scored');
const scoreSeconds = histogram(
  'pathcast_score_seconds',
  'Time to score one session update (features, classifier, Markov lookup)',
  [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
);

/**
 * Scores every session update with the current model and teaches the in-process trainer from
 * updates and closes, then hands everything on to the next outputs (storage). Snapshots the
 * trainer publishes are swapped into the scorer without pausing.
 *
 * NOTE: the trainer's counts are not part of the partition checkpoints yet, so records replayed
 * after a crash are learnt twice (issue 5 makes model contributions part of the checkpoint).
 */
export class ScoringOutputs implements PipelineOutputs {
  private readonly next: PipelineOutputs;
  private readonly scorer: Scorer;
  private readonly trainer: Trainer;
  private readonly onScore: ScoreListener | undefined;
  private readonly join: ProfileJoin;

  private constructor(
    next: PipelineOutputs,
    scorer: Scorer,
    trainer: Trainer,
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

  /** The model the scorer serves now. */
  get model(): ModelSnapshot {
    return this.scorer.model;
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

  flush(): Promise<void> {
    return this.next.flush();
  }

  backedUp(): boolean {
    return this.next.backedUp();
  }

  /** Stops the trainer's timer after publishing what it learnt. */
  close(): Promise<void> {
    this.join.close();
    return this.trainer.close();
  }
}
