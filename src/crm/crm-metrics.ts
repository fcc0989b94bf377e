import { counter, gauge } from '../core/index.js';

/** Lookups answered from the cache (a profile, or a cached "no such user"). */
export const cacheHits = counter(
  'pathcast_crm_cache_hits_total',
  'CRM profile lookups answered from the cache, including cached "unknown user" answers',
);

export const cacheMisses = counter(
  'pathcast_crm_cache_misses_total',
  'CRM profile lookups not in the cache (a fetch from the source was started or joined)',
);

export const cacheHitRatio = gauge(
  'pathcast_crm_cache_hit_ratio',
  // Derived from the cache's own tallies (a process runs one cache), refreshed every 1,024 lookups.
  'Share of CRM profile lookups answered from the cache since it was created',
);

export const cacheEntries = gauge(
  'pathcast_crm_cache_entries',
  'Entries in the CRM profile cache, including cached "unknown user" answers',
);

export const sourceFetches = counter(
  'pathcast_crm_source_fetches_total',
  'Batched getMany queries the CRM cache sent to its profile source',
  ['source'],
);

export const sourceFetchedKeys = counter(
  'pathcast_crm_source_fetched_keys_total',
  'User ids the CRM cache asked its profile source for (sum of batch sizes)',
  ['source'],
);

export const sourceFetchErrors = counter(
  'pathcast_crm_source_fetch_errors_total',
  'Batched CRM profile queries that failed (every lookup in the batch failed with it)',
  ['source'],
);

export const liveUpdates = counter(
  'pathcast_crm_live_updates_total',
  'Live profile changes from a source applied to cached entries, by kind',
  ['kind'],
);

export const topicRecords = counter(
  'pathcast_crm_topic_records_total',
  'Records read from the CRM profile topic, by result (upsert, delete, invalid)',
  ['result'],
);
