import type { Profile } from '../core/index.js';
import type { ProfileChange, ProfileChangeListener, ProfileStore } from './profile-source.js';

/**
 * Profiles in a Map, with change notifications: the embedded store (a file imported into the
 * process), the table the Kafka reader keeps, and the fake source of unit tests.
 */
export class MemoryProfileStore implements ProfileStore {
  readonly name: string;
  private readonly profiles = new Map<string, Profile>();
  private readonly listeners = new Set<ProfileChangeListener>();

  constructor(name = 'memory') {
    this.name = name;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.listeners.clear();
  }

  get size(): number {
    return this.profiles.size;
  }

  /** Synchronous read, for callers that hold the table (the Kafka source). */
  lookup(userId: string): Profile | undefined {
    return this.profiles.get(userId);
  }

  async getMany(userIds: readonly string[]): Promise<Map<string, Profile>> {
    const found = new Map<string, Profile>();
    for (const userId of userIds) {
      const profile = this.profiles.get(userId);
      if (profile !== undefined) found.set(userId, profile);
    }
    return found;
  }

  async write(profiles: readonly Profile[]): Promise<void> {
    for (const profile of profiles) this.apply({ userId: profile.userId, profile });
  }

  async delete(userIds: readonly string[]): Promise<void> {
    for (const userId of userIds) this.apply({ userId, profile: null });
  }

  /** Applies one change and tells the listeners; a delete of an unknown user tells no one. */
  apply(change: ProfileChange): void {
    if (change.profile === null) {
      if (!this.profiles.delete(change.userId)) return;
    } else {
      this.profiles.set(change.userId, change.profile);
    }
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: ProfileChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
