import type { EventType } from '../core/index.js';

/**
 * A link learned from the stream: this anonymous id (or an alias's previousId) belongs to this
 * user. Storage keeps them as an identities table, so sessions from other devices or other
 * partitions join the same CRM profile there.
 */
export interface IdentityLink {
  readonly site: string;
  readonly anonymousId: string;
  readonly userId: string;
  /** Event time of the event that made the link. */
  readonly linkedAt: number;
  readonly eventId: string;
  readonly via: EventType;
}

/**
 * Per-partition (site, anonymousId) -> userId, bounded: the least recently linked entry goes
 * first (a Map keeps insertion order; re-linking moves an entry to the end).
 *
 * NOTE: only what this partition saw is here. One visitor's events all land in one partition,
 * but a user's other devices are other visitors, often elsewhere: joining those is storage's job
 * (the IdentityLink outputs), not the sessionizer's.
 */
export class IdentityMap {
  private readonly links = new Map<string, string>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.links.size;
  }

  get(site: string, anonymousId: string): string | undefined {
    // NOTE: skips building the key string when there is nothing to find (cold partitions).
    return this.links.size === 0 ? undefined : this.links.get(keyOf(site, anonymousId));
  }

  /** Records the link; false when it was already known (nothing to emit). */
  link(site: string, anonymousId: string, userId: string): boolean {
    const key = keyOf(site, anonymousId);
    const known = this.links.get(key);
    if (known === userId) return false;
    if (this.max === 0) return true;
    if (known !== undefined) this.links.delete(key);
    this.links.set(key, userId);
    if (this.links.size > this.max) {
      const oldest = this.links.keys().next();
      if (oldest.done !== true) this.links.delete(oldest.value);
    }
    return true;
  }

  /** Entries oldest first, as [site, anonymousId, userId], for a checkpoint. */
  *entries(): IterableIterator<readonly [string, string, string]> {
    for (const [key, userId] of this.links) {
      const cut = key.indexOf('\u0000');
      yield [key.slice(0, cut), key.slice(cut + 1), userId];
    }
  }
}

// NUL cannot occur in a site id (ingest validates sites), so the pair is unambiguous.
function keyOf(site: string, anonymousId: string): string {
  return `${site}\u0000${anonymousId}`;
}
