import type { FastifyInstance } from 'fastify';
import {
  LifecycleGuard,
  LocalScoreFeed,
  closeAll,
  collectProcessMetrics,
  systemClock,
  type Clock,
  type Lifecycle,
  type Logger,
  type Score,
  type ScoreFeed,
  type SessionOutput,
} from '../core/index.js';
import type { Config } from '../config/index.js';
import {
  createEnricher,
  siteEnrichment,
  createEventLog,
  createEventProcessor,
  createGeoStep,
  topicNames,
  type EventLog,
  type EventLogOptions,
  type LogConsumer,
  type PartitionLag,
  type TopicNames,
} from '../ingest/index.js';
import {
  SessionLabeller,
  resolveTrainerConfig,
  type ModelSnapshot,
  type TrainerOptions,
} from '../scoring/index.js';
import {
  RetentionScheduler,
  openStorage,
  type ClickHouseHandle,
  type Storage,
  type StorageWritersOptions,
} from '../storage/index.js';
import { ProfileCache, createProfileSource } from '../crm/index.js';
import { ScoringOutputs } from './scoring-outputs.js';
import { ModelStore } from './model-store.js';
import { StorageOutputs, storeFailedEvents } from './storage-outputs.js';
import { FileCheckpointStore } from './checkpoint-store.js';
import { KafkaCheckpointStore } from './kafka-checkpoint-store.js';
import { createScoreRelay } from './score-relay.js';
import { ModelInputsShipper, type ModelInputsOptions } from './model-inputs.js';
import { TrainerRole, type TrainerRoleOptions } from './trainer-role.js';
import { followModels } from './model-follower.js';
import {
  PartitionPipeline,
  type PipelineOptions,
  type PipelineOutputs,
} from './partition-pipeline.js';

export interface RuntimeDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Builds the HTTP app; the CLI passes the gateway's buildApp (runtime may not import it). */
  readonly buildApp?: (parts: RuntimeParts) => Promise<FastifyInstance>;
  /** Transport tuning (tests, benchmarks). */
  readonly logOptions?: EventLogOptions;
  /** Where the pipeline's results go; by default ClickHouse. */
  readonly outputs?: PipelineOutputs;
  readonly pipeline?: PipelineOptions;
  /** ClickHouse writer tuning (tests, benchmarks): batch sizes, buffer bounds, retries. */
  readonly writers?: Omit<StorageWritersOptions, 'logger'>;
  /** The live model's trainer (publish interval, sampling); defaults as TrainerOptions says. */
  readonly trainer?: TrainerOptions;
  /** Distributed: the shipping of model inputs and the trainer role (tests, tuning). */
  readonly modelInputs?: ModelInputsOptions;
  readonly trainerRole?: TrainerRoleOptions;
}

/** What the runtime built, for the gateway to serve. */
export interface RuntimeParts {
  readonly config: Config;
  readonly log: EventLog;
  readonly topics: TopicNames;
  readonly clickhouse: ClickHouseHandle;
  readonly storage: Storage;
  readonly geo: (ip: string) => { country: string; ipPrefix: string };
  readonly clock: Clock;
  readonly logger: Logger;
  /** Every live score, as the pipeline makes it (websockets and the dashboard subscribe). */
  readonly scores: ScoreFeed;
  /** CRM profiles by user id (the join's cache; `get` awaits the source on a miss). */
  readonly profiles: ProfileCache;
  /**
   * The model live scoring serves now (the empty version-0 model until the trainer's first
   * snapshot); undefined when the runtime was given other outputs and scores nothing.
   */
  model(): ModelSnapshot | undefined;
  /** The processors' lag on the events topic per partition; refreshes the lag gauge too. */
  lag(): Promise<readonly PartitionLag[]>;
  /** The error that stopped this process's event processing for good, if one did. */
  processingFailure(): Error | undefined;
}

/** What is running, for the start-up banner and /readyz. */
export interface RuntimeStatus {
  readonly log: 'memory' | 'kafka';
  readonly history: 'embedded' | 'server';
  readonly historyLocation: string;
  /** Where the gateway listens, when it does. */
  readonly url: string | undefined;
}

/**
 * The composition root: wires the event log, the processing pipeline, the history store and the
 * gateway from configuration. close() flushes in reverse order of start.
 */
export class Runtime implements Lifecycle {
  private readonly config: Config;
  private readonly deps: RuntimeDeps;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly guard: LifecycleGuard;
  private readonly started: Lifecycle[] = [];
  private parts: RuntimeParts | undefined;
  private url: string | undefined;
  private scoring: ScoringOutputs | undefined;
  private trainerRole: TrainerRole | undefined;
  private consumer: LogConsumer | undefined;
  private pipeline: PartitionPipeline | undefined;

  constructor(config: Config, deps: RuntimeDeps) {
    this.config = config;
    this.deps = deps;
    this.logger = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.guard = new LifecycleGuard(
      'runtime',
      () => this.onStart(),
      () => this.onClose(),
    );
  }

  start(): Promise<void> {
    return this.guard.start();
  }

  close(): Promise<void> {
    return this.guard.close();
  }

  status(): RuntimeStatus {
    this.guard.assertRunning();
    return this.describe();
  }

  /** The model live scoring serves now; undefined when the runtime was given other outputs. */
  model(): ModelSnapshot | undefined {
    return this.scoring?.model;
  }

  /**
   * Whether this process holds the trainer role (distributed: it owns the model-inputs
   * partition); the embedded shape always trains in process, and says true.
   */
  holdsTrainerRole(): boolean {
    if (this.parts?.log.kind !== 'kafka') return this.scoring !== undefined;
    return this.trainerRole?.holds() ?? false;
  }

  private describe(): RuntimeStatus {
    const ch = this.parts?.clickhouse;
    return {
      log: this.parts?.log.kind ?? 'memory',
      history: ch?.engine ?? 'embedded',
      historyLocation:
        ch?.engine === 'server' ? (this.config.clickhouse.url ?? '') : (ch?.path ?? ''),
      url: this.url,
    };
  }

  private async onStart(): Promise<void> {
    collectProcessMetrics();
    const { config, logger, clock } = this;
    const topics = topicNames(config.kafka.topicPrefix);

    const log = createEventLog(
      config.kafka,
      { logger: logger.child({ component: 'log' }), clock },
      this.deps.logOptions,
    );
    await log.start();
    this.started.push(log);
    const partitions = config.kafka.partitions;
    await log.ensureTopics([
      { name: topics.events, partitions },
      { name: topics.failedEvents, partitions },
      { name: topics.scores, partitions },
      { name: topics.checkpoints, partitions: 1, compacted: true },
      { name: topics.crmProfiles, partitions: 1, compacted: true },
      { name: topics.modelInputs, partitions: 1 },
      { name: topics.models, partitions: 1, compacted: true },
    ]);

    const storage = await openStorage(config.clickhouse, config.runtime.dataDir, {
      logger: logger.child({ component: 'storage' }),
      ...(this.deps.writers === undefined ? {} : { writers: this.deps.writers }),
    });
    this.started.push({ start: async () => undefined, close: () => storage.close() });
    // Retention: at start, then daily; closed before storage (reverse order).
    const retention = new RetentionScheduler(storage.handle, config.retention, {
      clock,
      logger: logger.child({ component: 'retention' }),
    });
    await retention.start();
    this.started.push(retention);
    const clickhouse = storage.handle;
    const failedConsumer = await storeFailedEvents(
      log,
      topics,
      config.kafka.group,
      storage.writers,
      logger,
    );
    this.started.push({ start: async () => undefined, close: () => failedConsumer.close() });

    // The CRM join: PostgreSQL when configured, else the compacted Kafka topic, else none.
    const profileSource = createProfileSource(config, {
      logger: logger.child({ component: 'crm' }),
    });
    await profileSource.start();
    this.started.push(profileSource);
    const profiles = new ProfileCache(
      { maxEntries: config.crm.cacheMaxEntries, ttlMs: config.crm.cacheTtlMs },
      { source: profileSource, logger, clock },
    );
    this.started.push({ start: async () => undefined, close: () => profiles.close() });

    const geoStep = createGeoStep();
    const scores = new LocalScoreFeed((error) =>
      logger.warn('score_listener_failed', { error: (error as Error).message }),
    );
    const parts: RuntimeParts = {
      config,
      log,
      topics,
      clickhouse,
      storage,
      geo: (ip) => geoStep.locate(ip),
      clock,
      logger,
      scores,
      profiles,
      model: () => this.scoring?.model,
      lag: async () => (this.consumer === undefined ? [] : this.consumer.lag()),
      processingFailure: () => this.pipeline?.failure(),
    };
    this.parts = parts;
    // Kafka: scores travel through the scores topic, so any gateway serves any visitor.
    const relay = createScoreRelay({
      log,
      topics,
      feed: scores,
      instanceId: config.runtime.instanceId,
      logger,
    });
    await relay.start();
    this.started.push(relay);

    // Distributed: checkpoints on the compacted topic, so any member can restore any partition.
    const checkpoints =
      log.kind === 'kafka'
        ? new KafkaCheckpointStore({ log, topic: topics.checkpoints, logger })
        : new FileCheckpointStore(config.runtime.dataDir);
    if (checkpoints instanceof KafkaCheckpointStore) {
      await checkpoints.start();
      this.started.push(checkpoints); // closed after the pipeline, which saves on its way out
    }
    const pipeline = new PartitionPipeline(
      {
        log,
        topics,
        group: config.kafka.group,
        processor: createEventProcessor({
          enricher: createEnricher({ sites: siteEnrichment(config.sites.sites) }),
          clock,
        }),
        outputs: this.deps.outputs ?? (await this.scoredStorage(storage, relay, profiles)),
        checkpoints,
        clock,
        logger: logger.child({ component: 'pipeline' }),
      },
      // Sessions are cut as configured, unless the caller brought its own options.
      { sessionizer: config.sessions, ...this.deps.pipeline },
    );
    this.pipeline = pipeline;
    this.consumer = await pipeline.start();
    this.started.push({ start: async () => undefined, close: () => pipeline.close() });

    if (this.deps.buildApp !== undefined) {
      const app = await this.deps.buildApp(parts);
      this.url = await app.listen({ host: config.http.host, port: config.http.port });
      this.started.push({ start: async () => undefined, close: () => app.close() });
    }
    logger.info('runtime_started', { ...this.describe() });
  }

  /** Storage behind live scoring: every update scored, scores stored beside sessions. */
  private async scoredStorage(
    storage: Storage,
    feed: Pick<ScoreFeed, 'publish'>,
    profiles: ProfileCache,
  ): Promise<PipelineOutputs> {
    const stored = new StorageOutputs(storage.writers);
    // The live model survives restarts: resumed from the models table, saved back to it.
    const models = new ModelStore(storage, {
      clock: this.clock,
      logger: this.logger.child({ component: 'models' }),
    });
    const initial = await models.load();
    // Closed after the trainer (its last snapshot is stored) and before storage.
    this.started.push({ start: async () => undefined, close: () => models.close() });
    const onScore = (score: Score, output: SessionOutput): void => {
      stored.score(score, output);
      feed.publish(score);
    };
    const scoring =
      this.parts?.log.kind === 'kafka'
        ? await this.distributedScoring(stored, profiles, models, initial, onScore)
        : await ScoringOutputs.create(
            stored,
            {
              logger: this.logger.child({ component: 'trainer' }),
              profiles,
              onSnapshot: (model) => models.offer(model),
              ...(initial === undefined ? {} : { initial }),
              onScore,
            },
            this.trainerOptions(),
          );
    this.scoring = scoring;
    // Closed after the pipeline (which flushes through it) and before storage.
    this.started.push({ start: async () => undefined, close: () => scoring.close() });
    return scoring;
  }

  /** The trainer's options: the configured ones, under what the caller brought. */
  private trainerOptions(): TrainerOptions {
    return { includeBots: this.config.models.includeBots, ...this.deps.trainer };
  }

  /**
   * Distributed learning: this process labels its sessions and ships them to the model-inputs
   * topic; whichever process holds the trainer role learns from every process's inputs and
   * saves snapshots on the models topic, which every process follows and serves.
   */
  private async distributedScoring(
    stored: PipelineOutputs,
    profiles: ProfileCache,
    models: ModelStore,
    initial: ModelSnapshot | undefined,
    onScore: (score: Score, output: SessionOutput) => void,
  ): Promise<ScoringOutputs> {
    const parts = this.parts;
    if (parts === undefined) throw new Error('distributed scoring before the log started');
    const { log, topics, config } = parts;
    const logger = this.logger.child({ component: 'trainer' });
    const snapshots = new KafkaCheckpointStore(
      { log, topic: topics.models, logger },
      { readerGroupPrefix: `${config.runtime.instanceId}.models` },
    );
    await snapshots.start();
    this.started.push(snapshots); // closed after the trainer role, which saves on its way out
    let role: TrainerRole | undefined;
    const scoring = await ScoringOutputs.createShipping(stored, {
      profiles,
      onScore,
      ...(initial === undefined ? {} : { initial }),
      learning: async (hasher) => {
        role = new TrainerRole(
          {
            log,
            topics,
            group: config.kafka.group,
            store: snapshots,
            hasher,
            trainer: this.trainerOptions(),
            ...(initial === undefined ? {} : { initial }),
            onSnapshot: (model) => models.offer(model),
            clock: this.clock,
            logger,
          },
          this.deps.trainerRole,
        );
        const shipper = new ModelInputsShipper(
          {
            log,
            topic: topics.modelInputs,
            labeller: new SessionLabeller(resolveTrainerConfig(this.trainerOptions()), {
              hasher,
              countPaths: false,
            }),
            logger,
          },
          this.deps.modelInputs,
        );
        await shipper.start();
        return shipper;
      },
    });
    const unfollow = followModels({
      store: snapshots,
      topics,
      group: config.kafka.group,
      onModel: (model) => scoring.swap(model),
      logger,
    });
    this.started.push({ start: async () => undefined, close: async () => unfollow() });
    if (role === undefined) throw new Error('the trainer role was not built');
    const trainerRole = role;
    await trainerRole.start();
    this.trainerRole = trainerRole;
    // Closed before the models store and the snapshot store (it saves and offers on the way out).
    this.started.push(trainerRole);
    return scoring;
  }

  private async onClose(): Promise<void> {
    const components = this.started.splice(0);
    await closeAll(components);
    this.logger.info('runtime_closed');
  }
}
