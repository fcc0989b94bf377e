import type { Profile, SessionSummary, SessionUpdate } from '../core/index.js';

/**
 * CRM profiles for the join, never awaited on the hot path (a ProfileCache fits): peek answers
 * a profile, null (none) or undefined (being fetched; onProfile tells when it lands).
 */
export interface ProfileLookup {
  peek(userId: string): Profile | null | undefined;
  onProfile(listener: (userId: string, profile: Profile | null) => void): () => void;
}

/** Called when a profile lands for a visitor whose latest update was scored without it. */
export type LateProfileListener = (update: SessionUpdate, profile: Profile) => void;

/**
 * The CRM join of live sessions. An identified session's updates carry the user's profile when
 * the cache has it. When it does not yet (peek started a batched fetch), the session's latest
 * update waits here, and the profile, once it lands, is handed to `onLate` with that update:
 * a late identification fills in the open session without ever blocking an event.
 *
 * Waiting updates are bounded (oldest forgotten first); a forgotten one only misses its early
 * re-score, since the session's next update peeks again.
 */
export class ProfileJoin {
  private readonly lookup: ProfileLookup | undefined;
  private readonly awaiting = new Map<string, SessionUpdate>();
  private readonly maxAwaiting: number;
  private readonly unsubscribe: () => void;

  constructor(
    lookup: ProfileLookup | undefined,
    onLate: LateProfileListener,
    maxAwaiting = 10_000,
  ) {
    this.lookup = lookup;
    this.maxAwaiting = maxAwaiting;
    this.unsubscribe =
      lookup?.onProfile((userId, profile) => {
        const update = this.awaiting.get(userId);
        if (update === undefined) return;
        this.awaiting.delete(userId);
        if (profile !== null) onLate(update, profile);
      }) ?? (() => undefined);
  }

  /** Waiting updates, for tests and metrics. */
  get waiting(): number {
    return this.awaiting.size;
  }

  /** The profile to score `update` with now; undefined for anonymous or not-yet-known users. */
  profileFor(update: SessionUpdate): Profile | undefined {
    const userId = update.session.userId;
    if (userId === null || this.lookup === undefined) return undefined;
    const profile = this.lookup.peek(userId);
    if (profile !== undefined) {
      // NOTE: nothing usually waits; skipping the Map spares a hash lookup per update.
      if (this.awaiting.size !== 0) this.awaiting.delete(userId);
      return profile ?? undefined;
    }
    // Latest update wins; re-inserting moves it to the back of the eviction order.
    this.awaiting.delete(userId);
    this.awaiting.set(userId, update);
    if (this.awaiting.size > this.maxAwaiting) {
      const oldest = this.awaiting.keys().next().value;
      if (oldest !== undefined) this.awaiting.delete(oldest);
    }
    return undefined;
  }

  /** A closed session needs no late profile. */
  closed(session: SessionSummary): void {
    if (session.userId === null || this.awaiting.size === 0) return;
    if (this.awaiting.get(session.userId)?.session.id === session.id) {
      this.awaiting.delete(session.userId);
    }
  }

  close(): void {
    this.unsubscribe();
    this.awaiting.clear();
  }
}
