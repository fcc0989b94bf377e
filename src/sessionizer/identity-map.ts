import type { EventType } from '../core/index.js';
import { hashVisitor, keyHashOf, type VisitorHash } from './hash.js';
import { KeyTable, type KeySource } from './key-table.js';

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

const NONE = -1;
/** Words of an entry's record, and their places. */
const WORDS = 4;
const SITE = 0;
const HASH = 1;
const OLDER = 2;
const NEWER = 3;
/** Places of an entry's strings. */
const ANONYMOUS = 0;
const USER = 1;

/**
 * Per-partition (site, anonymousId) -> userId, bounded: the least recently linked entry goes
 * first (re-linking makes an entry the newest; lookups do not).
 *
 * Entries are records threaded into a doubly linked list from oldest to newest, found through a
 * KeyTable (open addressing over the entries' hashes, as the sessions' keys). An entry's numbers
 * (site, hash, list links) sit side by side in one Int32Array and its two strings side by side
 * in one array: a lookup of an id touches two cache lines, not one per column.
 *
 * TRICKY: written out rather than an lru-cache keyed by `site + NUL + anonymousId`: that key is
 * a fresh string on every lookup, which V8 must flatten and hash, and then a lookup in a big Map
 * touches a bucket, a chain of entries and their key strings; with 30% identified traffic the
 * two lookups per event (a new session asks for its visitor's user, an identified event links)
 * cost ~15% of the sessionizer. Here the caller's visitor hash serves, and an unknown id (the
 * common case) is told by its hash alone. Also not a Map evicted through `keys().next()`: V8
 * leaves deleted entries as holes at the front of a Map until it rehashes, so each eviction
 * scanned all earlier ones (identified traffic fell from ~170k to ~19k events/s).
 *
 * NOTE: only what this partition saw is here. One visitor's events all land in one partition,
 * but a user's other devices are other visitors, often elsewhere: joining those is storage's job
 * (the IdentityLink outputs), not the sessionizer's.
 */
export class IdentityMap implements KeySource {
  readonly max: number;
  private readonly table: KeyTable;
  /** Per entry: site id, key hash, older and newer entry (WORDS words). */
  private words = new Int32Array(0);
  /** Per entry: anonymous id, then user id. */
  private ids: string[] = [];
  /** Entries there is room for. */
  private capacity = 0;
  private readonly siteNames: string[] = [];
  private lastSite = '';
  private lastSiteId = NONE;
  private oldest = NONE;
  private newest = NONE;
  private count = 0;
  /** Entries ever allocated (free entries are reused before this grows). */
  private top = 0;
  /** Free entries, threaded through their NEWER word. */
  private freeHead = NONE;
  private readonly scratch: VisitorHash = { a: 0, b: 0 };

  /** `max` 0 keeps nothing: every link counts as new. */
  constructor(max: number) {
    this.max = max;
    this.table = new KeyTable(this);
  }

  get size(): number {
    return this.count;
  }

  /** The user linked to the id; `hash` is hashVisitor(anonymousId) when the caller has it. */
  get(site: string, anonymousId: string, hash?: VisitorHash): string | undefined {
    // NOTE: skips hashing the id when there is nothing to find (cold partitions).
    if (this.count === 0) return undefined;
    const siteId = this.siteIdOf(site, false);
    if (siteId === NONE) return undefined;
    const entry = this.table.find(siteId, anonymousId, this.keyHash(anonymousId, siteId, hash));
    return entry === NONE ? undefined : this.ids[entry * 2 + USER];
  }

  /** Records the link; false when it was already known (nothing to emit). */
  link(site: string, anonymousId: string, userId: string, hash?: VisitorHash): boolean {
    if (this.max === 0) return true;
    const siteId = this.siteIdOf(site, true);
    const key = this.keyHash(anonymousId, siteId, hash);
    const found = this.table.find(siteId, anonymousId, key);
    if (found !== NONE) {
      if (this.ids[found * 2 + USER] === userId) return false;
      this.ids[found * 2 + USER] = userId;
      // Setting makes the entry the newest.
      this.unlist(found);
      this.append(found);
      return true;
    }
    // Past max, the least recently linked one goes.
    if (this.count === this.max) this.evict(this.oldest);
    const entry = this.alloc();
    this.words[entry * WORDS + SITE] = siteId;
    this.words[entry * WORDS + HASH] = key;
    this.ids[entry * 2 + ANONYMOUS] = anonymousId;
    this.ids[entry * 2 + USER] = userId;
    this.table.insert(entry, key);
    this.append(entry);
    this.count += 1;
    return true;
  }

  /** Entries oldest first, as [site, anonymousId, userId], for a checkpoint. */
  *entries(): IterableIterator<readonly [string, string, string]> {
    for (let entry = this.oldest; entry !== NONE; entry = this.neighbour(entry, NEWER)) {
      const user = this.ids[entry * 2 + USER] ?? '';
      yield [this.siteNames[this.site(entry)] ?? '', this.visitorOf(entry), user];
    }
  }

  /** KeySource: the key table reads an entry's key through these. */
  site(entry: number): number {
    return this.words[entry * WORDS + SITE] ?? NONE;
  }

  visitorOf(entry: number): string {
    return this.ids[entry * 2 + ANONYMOUS] ?? '';
  }

  hash(entry: number): number {
    return (this.words[entry * WORDS + HASH] ?? 0) >>> 0;
  }

  private keyHash(anonymousId: string, siteId: number, hash: VisitorHash | undefined): number {
    return keyHashOf(hash ?? hashVisitor(anonymousId, this.scratch), siteId);
  }

  /** The site's small id; NONE for a site never linked when `add` is false. */
  private siteIdOf(site: string, add: boolean): number {
    if (site === this.lastSite && this.lastSiteId !== NONE) return this.lastSiteId;
    let id = this.siteNames.indexOf(site);
    if (id === NONE) {
      if (!add) return NONE;
      id = this.siteNames.push(site) - 1;
    }
    this.lastSite = site;
    this.lastSiteId = id;
    return id;
  }

  private evict(entry: number): void {
    this.unlist(entry);
    this.table.remove(entry, this.hash(entry));
    this.ids[entry * 2 + ANONYMOUS] = '';
    this.ids[entry * 2 + USER] = '';
    this.setNeighbour(entry, NEWER, this.freeHead);
    this.freeHead = entry;
    this.count -= 1;
  }

  private alloc(): number {
    const free = this.freeHead;
    if (free !== NONE) {
      this.freeHead = this.neighbour(free, NEWER);
      return free;
    }
    if (this.top === this.capacity) this.grow();
    const entry = this.top;
    this.top += 1;
    return entry;
  }

  private append(entry: number): void {
    this.setNeighbour(entry, OLDER, this.newest);
    this.setNeighbour(entry, NEWER, NONE);
    if (this.newest === NONE) this.oldest = entry;
    else this.setNeighbour(this.newest, NEWER, entry);
    this.newest = entry;
  }

  private unlist(entry: number): void {
    const before = this.neighbour(entry, OLDER);
    const after = this.neighbour(entry, NEWER);
    if (before === NONE) this.oldest = after;
    else this.setNeighbour(before, NEWER, after);
    if (after === NONE) this.newest = before;
    else this.setNeighbour(after, OLDER, before);
  }

  private neighbour(entry: number, which: typeof OLDER | typeof NEWER): number {
    return this.words[entry * WORDS + which] ?? NONE;
  }

  private setNeighbour(entry: number, which: typeof OLDER | typeof NEWER, to: number): void {
    this.words[entry * WORDS + which] = to;
  }

  private grow(): void {
    const size = Math.min(this.max, Math.max(64, this.capacity * 2));
    const words = new Int32Array(size * WORDS);
    words.set(this.words);
    this.words = words;
    for (let i = this.ids.length; i < size * 2; i++) this.ids.push('');
    this.capacity = size;
  }
}
