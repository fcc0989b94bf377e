import type { Clock, Logger } from '../../core/index.js';
import type { KafkaConfig } from '../../config/index.js';
import type { EventLog } from './event-log.js';
import { KafkaEventLog } from './kafka/kafka-event-log.js';
import type { KafkaLogOptions } from './kafka/kafka-options.js';
import { MemoryEventLog, type MemoryLogOptions } from './memory/memory-event-log.js';

export interface EventLogDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface EventLogOptions {
  readonly memory?: MemoryLogOptions;
  readonly kafka?: KafkaLogOptions;
}

/**
 * The event log the configuration asks for: Kafka when brokers are configured, the in-process
 * log otherwise (the embedded default). Not started: the caller owns start() and close().
 */
export function createEventLog(
  config: KafkaConfig,
  deps: EventLogDeps,
  options: EventLogOptions = {},
): EventLog {
  if (config.brokers.length === 0) {
    return new MemoryEventLog(options.memory ?? {}, deps);
  }
  return new KafkaEventLog(config, options.kafka ?? {}, { logger: deps.logger });
}
