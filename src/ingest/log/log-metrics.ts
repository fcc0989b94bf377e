import { counter, gauge, histogram } from '../../core/index.js';

/** Metrics shared by both transports; `transport` is 'memory' or 'kafka'. */

export const producedRecords = counter(
  'pathcast_log_produced_records_total',
  'Records the event log acknowledged as durable.',
  ['transport', 'topic'],
);

export const produceFailures = counter(
  'pathcast_log_produce_failures_total',
  'Produce calls that failed, by error code (log_unavailable, log_full, ...).',
  ['transport', 'code'],
);

export const produceSeconds = histogram(
  'pathcast_log_produce_seconds',
  'Time from produce() to acknowledgement (or failure), per call.',
  [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ['transport'],
);

export const consumedRecords = counter(
  'pathcast_log_consumed_records_total',
  'Records handed to a consumer handler that returned normally.',
  ['transport', 'topic', 'group'],
);

export const batchFailures = counter(
  'pathcast_log_batch_failures_total',
  'Batches whose handler threw; they are delivered again or the consumer fails.',
  ['transport', 'topic', 'group'],
);

export const partitionEvents = counter(
  'pathcast_log_partition_events_total',
  'Partitions assigned, revoked or lost by consumers of this process.',
  ['transport', 'topic', 'group', 'event'],
);

export const consumerRestarts = counter(
  'pathcast_log_consumer_restarts_total',
  'Consumer crashes, by whether the consumer restarts.',
  ['transport', 'group', 'restart'],
);

export const consumerLag = gauge(
  'pathcast_log_consumer_lag',
  'Records after the group committed offset, as of the last lag() call.',
  ['topic', 'group', 'partition'],
);

export const memoryRetainedRecords = gauge(
  'pathcast_log_memory_retained_records',
  'Records the in-memory log retains (not yet committed by every group).',
  ['topic'],
);

export const memoryWaitingProducers = gauge(
  'pathcast_log_memory_waiting_producers',
  'Produce calls waiting for room in the bounded in-memory log.',
);
