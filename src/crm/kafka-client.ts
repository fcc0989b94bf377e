import kafkajs, {
  type Kafka as KafkaClient,
  type KafkaConfig as KafkaJsConfig,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
import { ConfigError, type Logger } from '../core/index.js';
import type { KafkaConfig } from '../config/index.js';

const { Kafka, logLevel } = kafkajs;

/** Default name of the compacted topic of profiles, under the configured prefix. */
export function profileTopicName(topicPrefix: string): string {
  return `${topicPrefix}.crm-profiles`;
}

/**
 * A kafkajs client for the CRM topic, from the same configuration as the event log.
 *
 * NOTE: src/ingest/log builds its client the same way, but crm may not import ingest (DESIGN.md,
 * direction of imports); this is the small part the two need to agree on: brokers, TLS,
 * SASL/PLAIN, and kafkajs's own logging routed (quietly) into our Logger.
 */
export function createKafkaClient(config: KafkaConfig, logger: Logger): KafkaClient {
  if (config.brokers.length === 0) {
    throw new ConfigError(
      'PATHCAST_KAFKA_BROKERS',
      'the CRM profile topic needs at least one broker',
    );
  }
  if ((config.username === undefined) !== (config.password === undefined)) {
    throw new ConfigError('PATHCAST_KAFKA_USERNAME', 'SASL needs both a username and a password');
  }
  const sasl: SASLOptions | undefined =
    config.username !== undefined && config.password !== undefined
      ? { mechanism: 'plain', username: config.username, password: config.password }
      : undefined;
  const child = logger.child({ component: 'kafkajs' });
  const clientConfig: KafkaJsConfig = {
    clientId: `${config.clientId}-crm`,
    brokers: [...config.brokers],
    ssl: config.ssl,
    ...(sasl === undefined ? {} : { sasl }),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 8 },
    // kafkajs logs every retry as an error; what matters reaches our logs through our own events.
    logCreator: () => (entry: LogEntry) => {
      const fields = { namespace: entry.namespace, message: entry.log.message };
      if (entry.level === logLevel.ERROR || entry.level === logLevel.WARN) {
        child.warn('kafkajs_log', fields);
      } else {
        child.debug('kafkajs_log', fields);
      }
    },
  };
  return new Kafka(clientConfig);
}
