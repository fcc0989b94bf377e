import { ConfigError, silentLogger, type Logger } from '../core/index.js';
import type { Config } from '../config/index.js';
import { KafkaProfileSource } from './kafka-profile-source.js';
import { MemoryProfileStore } from './memory-profile-store.js';
import { PostgresProfileStore } from './postgres-profile-store.js';
import type { ProfileSource } from './profile-source.js';

export const PROFILE_SOURCE_KINDS = ['postgres', 'kafka', 'memory'] as const;
export type ProfileSourceKind = (typeof PROFILE_SOURCE_KINDS)[number];

/**
 * Which source the configuration implies when none is named: the PostgreSQL table when
 * PATHCAST_POSTGRES_URL is set, else the compacted Kafka topic when brokers are set (the
 * distributed shape), else an empty in-memory store (the embedded shape without a CRM).
 */
export function defaultProfileSourceKind(config: {
  readonly postgres: { readonly url: string | undefined };
  readonly kafka: { readonly brokers: readonly string[] };
}): ProfileSourceKind {
  if (config.postgres.url !== undefined) return 'postgres';
  if (config.kafka.brokers.length > 0) return 'kafka';
  return 'memory';
}

/** The profile source for the runtime; not started. */
export function createProfileSource(
  config: Pick<Config, 'postgres' | 'kafka'>,
  deps: { readonly logger?: Logger } = {},
  kind: ProfileSourceKind = defaultProfileSourceKind(config),
): ProfileSource {
  const logger = deps.logger ?? silentLogger;
  switch (kind) {
    case 'postgres': {
      const url = config.postgres.url;
      if (url === undefined) {
        throw new ConfigError('PATHCAST_POSTGRES_URL', 'the postgres CRM source needs a URL');
      }
      return new PostgresProfileStore({ url, table: config.postgres.table }, { logger });
    }
    case 'kafka':
      return new KafkaProfileSource({ kafka: config.kafka }, { logger });
    case 'memory':
      return new MemoryProfileStore();
  }
}
