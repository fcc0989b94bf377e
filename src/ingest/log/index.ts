/**
 * The event log (issue 3, item 3): one interface, two transports. See event-log.ts for the
 * contract both keep.
 */
export type {
  BatchContext,
  ConsumeOptions,
  ConsumerContext,
  EventLog,
  LogConsumer,
  LogRecord,
  PartitionHandler,
  PartitionLag,
  ProducerRecord,
  RecordBatch,
  TopicSpec,
} from './event-log.js';
export { recordText, recordBytesOf } from './event-log.js';
export { createEventLog, type EventLogDeps, type EventLogOptions } from './create-event-log.js';
export { MemoryEventLog, type MemoryLogOptions } from './memory/memory-event-log.js';
export { KafkaEventLog } from './kafka/kafka-event-log.js';
export type { KafkaLogOptions } from './kafka/kafka-options.js';
export { murmur2, partitionForKey, toPositive } from './partitioner.js';
export { parseVisitorKey, visitorKey, type VisitorKeyParts } from './record-key.js';
export { LOG_ERROR, type LogErrorCode } from './log-errors.js';
