export { EnvReader, type Env } from './env.js';
export {
  loadConfig,
  loadProcessConfig,
  maskSecrets,
  type Config,
  type RuntimeConfig,
  type HttpConfig,
  type KafkaConfig,
  type ClickHouseConfig,
  type PostgresConfig,
} from './config.js';
