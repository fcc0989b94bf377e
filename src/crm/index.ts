/**
 * CRM profiles: what the shop knows about a user, joined to their sessions.
 *
 * Files -> stores. `pathcast crm import FILE` (src/cli/crm.ts) streams a CSV (RFC 4180, header
 * line) or NDJSON file through `createProfileRowParser` (one validated Profile or one RowIssue
 * with line and field per row; emails are hashed at once) into `ProfileSink`s: the PostgreSQL
 * table (`PostgresProfileStore`, upserts) and/or the compacted topic `<prefix>.crm-profiles`
 * (`KafkaProfileSink`, key = user id, value = profile JSON, tombstone = delete). A ClickHouse
 * writer of crm_profiles plugs in as another ProfileSink.
 *
 * Stores -> the join. A `ProfileSource` answers batches (`getMany`); `createProfileSource`
 * picks PostgreSQL (PATHCAST_POSTGRES_URL), else the Kafka topic read whole into memory
 * (`KafkaProfileSource`, live: changes reach the cache at once), else an empty memory store.
 * `ProfileCache` sits in front: lru-cache with max entries, ttl and fetchMethod; misses of one
 * event-loop turn become one getMany; concurrent lookups of a key share one fetch; unknown
 * users are cached for a shorter ttl; hit/miss/fetch metrics under pathcast_crm_*.
 *
 * Late identification. The sessionizer cannot await per event, so it calls `cache.peek(userId)`:
 * a profile, null (no profile), or undefined (not known yet; a batched background fetch is
 * started). Subscribe once with `cache.onProfile((userId, profile) => ...)`: when the fetch (or
 * a live update from the topic) lands, attach the profile to that user's open sessions. A visitor
 * identified mid-session therefore gains the profile a moment later, without blocking events.
 */
export { BatchLoader, type BatchAnswerListener, type BatchLoaderOptions } from './batch-loader.js';
export {
  createProfileSource,
  defaultProfileSourceKind,
  PROFILE_SOURCE_KINDS,
  type ProfileSourceKind,
} from './create-profile-source.js';
export { CsvParser, parseCsv, type CsvParserOptions, type CsvRecord } from './csv-parser.js';
export { createKafkaClient, profileTopicName } from './kafka-client.js';
export {
  KafkaProfileSink,
  type KafkaProfileSinkDeps,
  type KafkaProfileSinkOptions,
} from './kafka-profile-sink.js';
export {
  KafkaProfileSource,
  type KafkaProfileSourceDeps,
  type KafkaProfileSourceOptions,
} from './kafka-profile-source.js';
export { MemoryProfileStore } from './memory-profile-store.js';
export {
  PostgresProfileStore,
  type PostgresProfileStoreDeps,
  type PostgresProfileStoreOptions,
} from './postgres-profile-store.js';
export {
  DEFAULT_PROFILE_TABLE,
  migrateProfileTable,
  profileTableIdentifier,
  type Queryable,
} from './postgres-schema.js';
export {
  PROFILE_CACHE_DEFAULTS,
  ProfileCache,
  resolveProfileCacheOptions,
  type ProfileCacheDeps,
  type ProfileCacheOptions,
  type ProfileCacheStats,
  type ProfileListener,
} from './profile-cache.js';
export {
  importProfileFile,
  importProfiles,
  type ImportDeps,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
} from './profile-import.js';
export {
  buildProfile,
  inputFromObject,
  profileField,
  PROFILE_FIELDS,
  type FieldIssue,
  type ProfileField,
  type ProfileInput,
  type ProfileIssueCode,
} from './profile-record.js';
export {
  createProfileRowParser,
  formatFromPath,
  parseProfileText,
  PROFILE_FILE_FORMATS,
  ProfileFileError,
  type ProfileFileFormat,
  type ProfileRow,
  type ProfileRowParser,
  type ProfileRowParserOptions,
  type RowIssue,
} from './profile-rows.js';
export {
  lastPerUser,
  type ProfileChange,
  type ProfileChangeListener,
  type ProfileSink,
  type ProfileSource,
  type ProfileStore,
} from './profile-source.js';
export {
  ensureProfileTopic,
  profileMessage,
  readTopicRecord,
  type TopicRecord,
} from './profile-topic.js';
export { hashEmail } from './profile-values.js';
