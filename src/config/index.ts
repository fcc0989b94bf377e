export { EnvReader, type Env } from './env.js';
export {
  loadConfig,
  loadProcessConfig,
  isPlainTableName,
  maskSecrets,
  type Config,
  type RuntimeConfig,
  type HttpConfig,
  type CollectorConfig,
  type SessionsConfig,
  type TrustProxy,
  type KafkaConfig,
  type ClickHouseConfig,
  type RetentionConfig,
  type PostgresConfig,
  type CrmConfig,
  type ModelsConfig,
  type LoadOptions,
} from './config.js';
export {
  parseSites,
  loadSites,
  demoSite,
  normaliseOrigin,
  type SiteConfig,
  type PageTypeRuleConfig,
  type SitesConfig,
} from './sites.js';
