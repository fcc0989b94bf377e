import type { Lifecycle, Profile } from '../core/index.js';

/** A profile changed at its source; `profile` null means the user was deleted (a tombstone). */
export interface ProfileChange {
  readonly userId: string;
  readonly profile: Profile | null;
}

export type ProfileChangeListener = (change: ProfileChange) => void;

/**
 * Where the cache reads profiles from. `getMany` answers a whole batch of cache misses with one
 * query; users it does not know are simply absent from the map.
 */
export interface ProfileSource extends Lifecycle {
  /** For logs and metrics: `postgres`, `kafka`, `memory`, ... */
  readonly name: string;
  getMany(userIds: readonly string[]): Promise<Map<string, Profile>>;
  /**
   * Live sources (the compacted Kafka topic) report changes as they happen, so a cached profile
   * never waits for its ttl. Returns an unsubscribe function.
   */
  subscribe?(listener: ProfileChangeListener): () => void;
}

/**
 * Where an import writes profiles. Writes are upserts by user id: writing the same profiles
 * again changes nothing, so a failed import can simply be run again. A ClickHouse writer (the
 * crm_profiles table) plugs in here from src/storage.
 */
export interface ProfileSink extends Lifecycle {
  readonly name: string;
  /** Durable when the promise resolves. Within one call, the last profile of a user wins. */
  write(profiles: readonly Profile[]): Promise<void>;
  /** Removes users (a Kafka tombstone, a DELETE). */
  delete(userIds: readonly string[]): Promise<void>;
}

/** A store that is both: PostgreSQL, the Kafka topic, memory. */
export type ProfileStore = ProfileSource & ProfileSink;

/**
 * The last profile of each user, in first-seen order: the stores' upserts must not touch a row
 * twice in one statement (PostgreSQL's ON CONFLICT refuses it), and a later line wins.
 */
export function lastPerUser(profiles: readonly Profile[]): Profile[] {
  const byUser = new Map<string, Profile>();
  for (const profile of profiles) byUser.set(profile.userId, profile);
  return byUser.size === profiles.length ? [...profiles] : [...byUser.values()];
}
