/**
 * A processor process for the recovery tests, started by test/support/recovery-cluster.ts with
 * its spec as JSON in RECOVERY_PROCESSOR_SPEC:
 *
 * - `pipeline`: the distributed shape's processing as the runtime composes it — Kafka event
 *   log, PartitionPipeline, KafkaCheckpointStore on the compacted checkpoints topic, outputs to
 *   the real ClickHouse server, and scoring that ships the closed sessions to the model-inputs
 *   topic for the trainer role — with kill points the crash test chooses (see KillPhase);
 * - `runtime`: the real Runtime from its environment configuration (it picks the Kafka
 *   checkpoint store itself), writing sessions to ClickHouse.
 *
 * Effects are idempotent: rows carry deterministic ids and versions, the tables are
 * ReplacingMergeTrees read with argMax, so records replayed after a crash (at-least-once) change
 * nothing. Control lines go to stdout (`READY`, `KILLPOINT <phase>`); logs go to stderr.
 * SIGTERM stops gracefully (partitions revoked: checkpointed and committed).
 */
import { join } from 'node:path';
import { createLogger, type Logger } from '../../src/core/index.js';
import { loadConfig, type ClickHouseConfig, type KafkaConfig } from '../../src/config/index.js';
import {
  createEnricher,
  createEventLog,
  createEventProcessor,
  topicNames,
  type EventLog,
  type LogConsumer,
} from '../../src/ingest/index.js';
import {
  KafkaCheckpointStore,
  ModelInputsShipper,
  PartitionPipeline,
  Runtime,
  ScoringOutputs,
  type CheckpointStore,
  type PipelineOutputs,
} from '../../src/runtime/index.js';
import { SessionLabeller, resolveTrainerConfig } from '../../src/scoring/index.js';
import { decodeChunk, isCorrupt } from '../../src/runtime/kafka-checkpoint-store-format.js';
import { StorageOutputs } from '../../src/runtime/storage-outputs.js';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { FAST_KAFKA, type KillPhase, type ProcessorSpec } from './recovery-spec.js';

/** Rows reach ClickHouse only when the pipeline flushes (before each checkpoint). */
const WRITERS = { all: { flushIntervalMs: 600_000, batchRows: 200_000 } };

class KillSwitch {
  private armed = false;
  private hit = false;
  private readonly plan: ProcessorSpec['kill'];

  constructor(plan: ProcessorSpec['kill']) {
    this.plan = plan;
  }

  /**
   * Arms the planned kill point once the group has committed `armAtCommitted` records (so the
   * kills of a test land at chosen depths of the stream, whatever the machine's speed).
   */
  armWhenCommitted(consumer: LogConsumer): void {
    const plan = this.plan;
    if (plan === undefined) return;
    const poll = setInterval(() => {
      consumer.lag().then(
        (lag) => {
          const committed = lag.reduce((sum, p) => sum + (p.committed ?? 0), 0);
          if (committed < plan.armAtCommitted) return;
          this.armed = true;
          clearInterval(poll);
        },
        () => undefined, // the next poll asks again
      );
    }, 100);
  }

  /** At a kill point: when it is the planned one, announce it and never return. */
  async at(phase: KillPhase): Promise<void> {
    if (!this.armed || this.hit || this.plan?.phase !== phase) return;
    this.hit = true;
    process.stdout.write(`KILLPOINT ${phase}\n`);
    await new Promise<never>(() => undefined);
  }
}

function clickhouseConfig(spec: ProcessorSpec): ClickHouseConfig {
  return {
    url: spec.clickhouseUrl,
    user: 'default',
    password: '',
    database: spec.database,
    caFile: undefined,
  };
}

function kafkaConfig(spec: ProcessorSpec): KafkaConfig {
  return {
    brokers: spec.brokers,
    clientId: `pathcast-recovery-${spec.name}`,
    topicPrefix: spec.topicPrefix,
    group: spec.group,
    partitions: spec.partitions,
    ssl: false,
    username: undefined,
    password: undefined,
  };
}

/** The outputs with the insert kill points around their flush. */
function killableOutputs(stored: PipelineOutputs, kill: KillSwitch): PipelineOutputs {
  return {
    events: (partition, events) => stored.events(partition, events),
    session: (partition, output) => stored.session(partition, output),
    identity: (partition, link) => stored.identity(partition, link),
    backedUp: () => stored.backedUp(),
    async flush() {
      await kill.at('before_insert');
      await stored.flush();
      await kill.at('after_insert');
    },
  };
}

/** The log the checkpoint store writes through, stopping after a multi-chunk first chunk. */
function killableLog(log: EventLog, checkpointsTopic: string, kill: KillSwitch): EventLog {
  return {
    kind: log.kind,
    start: () => log.start(),
    close: () => log.close(),
    ensureTopics: (specs) => log.ensureTopics(specs),
    partitionsFor: (topic) => log.partitionsFor(topic),
    consume: (options) => log.consume(options),
    async produce(topic, records) {
      await log.produce(topic, records);
      const [first] = records;
      if (topic !== checkpointsTopic || first === undefined || typeof first.value === 'string') {
        return;
      }
      const chunk = decodeChunk(first.value);
      if (!isCorrupt(chunk) && chunk.index === 0 && chunk.count > 1) {
        await kill.at('mid_checkpoint');
      }
    },
  };
}

function killableStore(store: CheckpointStore, kill: KillSwitch): CheckpointStore {
  return {
    load: (topic, group, partition) => store.load(topic, group, partition),
    async save(topic, group, partition, checkpoint) {
      await store.save(topic, group, partition, checkpoint);
      await kill.at('after_checkpoint');
    },
  };
}

async function runPipeline(
  spec: ProcessorSpec,
  logger: Logger,
  kill: KillSwitch,
): Promise<() => Promise<void>> {
  const topics = topicNames(spec.topicPrefix);
  const log = createEventLog(kafkaConfig(spec), { logger }, { kafka: FAST_KAFKA });
  await log.start();
  await log.ensureTopics([
    { name: topics.events, partitions: spec.partitions },
    { name: topics.failedEvents, partitions: spec.partitions },
    { name: topics.checkpoints, partitions: 1, compacted: true },
    { name: topics.modelInputs, partitions: 1 },
  ]);
  const dataDir = join(spec.dataDir, spec.name);
  const storage: Storage = await openStorage(clickhouseConfig(spec), dataDir, {
    logger,
    writers: WRITERS,
  });
  // As the runtime's distributed shape: score, and ship closed sessions to the trainer role.
  const scoring = await ScoringOutputs.createShipping(new StorageOutputs(storage.writers), {
    learning: (hasher) =>
      new ModelInputsShipper({
        log,
        topic: topics.modelInputs,
        labeller: new SessionLabeller(resolveTrainerConfig(), { hasher, countPaths: false }),
        logger,
      }),
  });
  const store = new KafkaCheckpointStore(
    { log: killableLog(log, topics.checkpoints, kill), topic: topics.checkpoints, logger },
    spec.chunkBytes === undefined ? {} : { chunkBytes: spec.chunkBytes },
  );
  await store.start();
  const pipeline = new PartitionPipeline(
    {
      log,
      topics,
      group: spec.group,
      processor: createEventProcessor({ enricher: createEnricher(), clock: { now: Date.now } }),
      outputs: killableOutputs(scoring, kill),
      checkpoints: killableStore(store, kill),
      clock: { now: Date.now },
      logger: logger.child({ component: 'pipeline' }),
    },
    { checkpointIntervalMs: spec.checkpointIntervalMs, tickMs: 250 },
  );
  kill.armWhenCommitted(await pipeline.start());
  return async () => {
    await pipeline.close();
    await scoring.close();
    await store.close();
    await storage.close();
    await log.close();
  };
}

async function runRuntime(spec: ProcessorSpec, logger: Logger): Promise<() => Promise<void>> {
  const dataDir = join(spec.dataDir, spec.name);
  const config = loadConfig({
    PATHCAST_KAFKA_BROKERS: spec.brokers.join(','),
    PATHCAST_KAFKA_TOPIC_PREFIX: spec.topicPrefix,
    PATHCAST_KAFKA_GROUP: spec.group,
    PATHCAST_KAFKA_CLIENT_ID: `pathcast-recovery-${spec.name}`,
    PATHCAST_PARTITIONS: String(spec.partitions),
    PATHCAST_CLICKHOUSE_URL: spec.clickhouseUrl,
    PATHCAST_CLICKHOUSE_DATABASE: spec.database,
    PATHCAST_DATA_DIR: dataDir,
    PATHCAST_INSTANCE_ID: spec.name,
  });
  // Sessions go to ClickHouse through writers of our own (the runtime's default outputs would
  // also train and score every update, which this test does not look at).
  const storage = await openStorage(config.clickhouse, dataDir, { logger, writers: WRITERS });
  const runtime = new Runtime(config, {
    logger,
    logOptions: { kafka: FAST_KAFKA },
    outputs: new StorageOutputs(storage.writers),
    pipeline: { checkpointIntervalMs: spec.checkpointIntervalMs, tickMs: 250 },
  });
  await runtime.start();
  return async () => {
    await runtime.close();
    await storage.close();
  };
}

async function main(): Promise<void> {
  const text = process.env['RECOVERY_PROCESSOR_SPEC'];
  if (text === undefined) throw new Error('RECOVERY_PROCESSOR_SPEC is not set');
  const spec = JSON.parse(text) as ProcessorSpec;
  const logger = createLogger({ level: 'info', name: spec.name, destination: 2 });
  const kill = new KillSwitch(spec.kill);
  const stop =
    spec.mode === 'pipeline'
      ? await runPipeline(spec, logger, kill)
      : await runRuntime(spec, logger);
  process.stdout.write('READY\n');
  process.once('SIGTERM', () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('recovery_processor_stop_failed', { err: error });
        process.exit(1);
      },
    );
  });
}

main().catch((error: unknown) => {
  console.error('recovery processor failed', error);
  process.exit(1);
});
