import { LRUCache } from 'lru-cache';
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
 * first (re-linking makes an entry the newest; lookups do not).
 *
 * TRICKY: not a Map evicted through `keys().next()`: V8 leaves deleted entries as holes at the
 * front of a Map until it rehashes, so each eviction scanned all earlier ones, and a full map
 * made every new link cost O(evictions) (identified traffic fell from ~170k to ~19k events/s).
 *
 * NOTE: only what this partition saw is here. One visitor's events all land in one partition,
 * but a user's other devices are other visitors, often elsewhere: joining those is storage's job
 * (the IdentityLink outputs), not the sessionizer's.
 */
export class IdentityMap {
  /** Undefined when max is 0: nothing is kept, every link counts as new. */
  private readonly links: LRUCache<string, string> | undefined;

  constructor(max: number) {
    this.links = max === 0 ? undefined : new LRUCache<string, string>({ max });
  }

  get size(): number {
    return this.links?.size ?? 0;
  }

  get(site: string, anonymousId: string): string | undefined {
    const links = this.links;
    // NOTE: skips building the key string when there is nothing to find (cold partitions).
    return links === undefined || links.size === 0
      ? undefined
      : links.peek(keyOf(site, anonymousId));
  }

  /** Records the link; false when it was already known (nothing to emit). */
  link(site: string, anonymousId: string, userId: string): boolean {
    const links = this.links;
    if (links === undefined) return true;
    const key = keyOf(site, anonymousId);
    if (links.peek(key) === userId) return false;
    // Setting makes the entry the newest; past max, the least recently linked one goes.
    links.set(key, userId);
    return true;
  }

  /** Entries oldest first, as [site, anonymousId, userId], for a checkpoint. */
  *entries(): IterableIterator<readonly [string, string, string]> {
    if (this.links === undefined) return;
    for (const [key, userId] of this.links.rentries() as IterableIterator<[string, string]>) {
      const cut = key.indexOf('\u0000');
      yield [key.slice(0, cut), key.slice(cut + 1), userId];
    }
  }
}

// NUL cannot occur in a site id (ingest validates sites), so the pair is unambiguous.
function keyOf(site: string, anonymousId: string): string {
  return `${site}\u0000${anonymousId}`;
}
