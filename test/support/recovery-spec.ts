/**
 * What a recovery test tells a processor process (test/support/recovery-processor.ts), as JSON
 * in RECOVERY_PROCESSOR_SPEC.
 */
import type { KafkaLogOptions } from '../../src/ingest/index.js';

/**
 * Where a planned kill lands (the process freezes there and announces it; the test sends
 * SIGKILL):
 * - `before_insert`: records processed and handed to the outputs, none of it inserted yet;
 * - `after_insert`: the outputs are in ClickHouse, no checkpoint taken, nothing committed;
 * - `mid_checkpoint`: the first chunk of a multi-chunk checkpoint written, the rest not (torn);
 * - `after_checkpoint`: the checkpoint saved, the offset not yet committed;
 * - `anywhere`: no kill point; the test kills at a random moment.
 */
export const KILL_PHASES = [
  'before_insert',
  'after_insert',
  'mid_checkpoint',
  'after_checkpoint',
  'anywhere',
] as const;
export type KillPhase = (typeof KILL_PHASES)[number];

export interface ProcessorSpec {
  readonly mode: 'pipeline' | 'runtime';
  readonly name: string;
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  readonly group: string;
  readonly partitions: number;
  readonly clickhouseUrl: string;
  readonly database: string;
  readonly checkpointIntervalMs: number;
  /** A folder the test owns and removes; the process keeps its data in `<dataDir>/<name>`. */
  readonly dataDir: string;
  /** Checkpoint chunk size (small, so checkpoints span several records and can be torn). */
  readonly chunkBytes?: number;
  /** The kill point, armed once the group has committed `armAtCommitted` records. */
  readonly kill?: { readonly phase: KillPhase; readonly armAtCommitted: number };
}

/** Group dynamics fast enough for a test: a killed member is dropped after 6 s. */
export const FAST_KAFKA: KafkaLogOptions = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 30_000,
  maxWaitTimeMs: 200,
};
