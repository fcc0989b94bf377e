export * from './segment/limits.js';
export {
  checkSegmentEvent,
  normalizeSegmentEvent,
  deriveMessageId,
  type CheckedEvent,
  type NormalizedEvent,
  type NormalizeMeta,
  type BaseEvent,
  type EnrichmentInputs,
  type EventRejection,
} from './segment/normalize.js';
export {
  resolveEventTime,
  eventTimeAccepted,
  parseTime,
  parseTimeIn,
  parseSentAt,
  type EventTime,
} from './segment/time.js';
export {
  schemaError,
  isSegmentType,
  SEGMENT_TYPES,
  type SegmentEvent,
  type SegmentType,
} from './segment/schema.js';
export {
  encodeEnvelope,
  encodeBatchEnvelope,
  encodeEventEnvelope,
  decodeEnvelopes,
  type BatchEnvelopeMeta,
  type EventEnvelopeMeta,
  type RawEnvelope,
} from './envelope.js';
export { mergeBatchContext } from './segment/batch-context.js';
export { topicNames, type TopicNames } from './topics.js';
export * from './failed/index.js';
export * from './log/index.js';
export {
  createEventProcessor,
  type EventProcessor,
  type EventProcessorDeps,
  type ProcessOutcome,
  type RecordSource,
} from './process-record.js';
export * from './enrich/index.js';
