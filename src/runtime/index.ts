export { Runtime, type RuntimeDeps, type RuntimeStatus, type RuntimeParts } from './runtime.js';
export { IngestConsumer, type ClickEventSink, type IngestConsumerDeps } from './ingest-consumer.js';
