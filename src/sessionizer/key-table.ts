const EMPTY = -1;

/** Where a key table reads a slot's key and its hash: the session records. */
export interface KeySource {
  site(slot: number): number;
  visitorOf(slot: number): string;
  hash(slot: number): number;
}

/**
 * (site, visitor) -> first session slot of that key: open addressing with linear probing over
 * one Int32Array, kept at most half full. The keys and their hashes are not stored here but read
 * from the session records (`source`), so a key costs 4-8 bytes of buckets (plus the 4-byte hash
 * column), against ~29 for a Map entry: at a million open sessions that is most of the
 * difference between 216 and under 200 bytes a session (see bench/sessionizer.ts).
 *
 * Deletion shifts the following entries back (no tombstones), so probes stay short however
 * many visitors come and go.
 */
export class KeyTable {
  private buckets = new Int32Array(1024).fill(EMPTY);
  private mask = 1023;
  private count = 0;
  /** Read at each call: the records are replaced when they grow. */
  private readonly source: KeySource;

  constructor(source: KeySource) {
    this.source = source;
  }

  get size(): number {
    return this.count;
  }

  /** The slot stored for the key, or -1; `hash` is keyHash(visitor, siteId) >>> 0. */
  find(siteId: number, visitor: string, hash: number): number {
    const source = this.source;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const slot = this.buckets[i] ?? EMPTY;
      if (slot === EMPTY) return EMPTY;
      if (
        source.hash(slot) === hash &&
        source.site(slot) === siteId &&
        source.visitorOf(slot) === visitor
      ) {
        return slot;
      }
    }
  }

  /** The first bucket a key of hash `hash` probes (for reading ahead: touches its line). */
  firstBucket(hash: number): number {
    return this.buckets[hash & this.mask] ?? EMPTY;
  }

  /** The slot in bucket `step` of the probe path of `hash` (-1: the path ends before it). */
  probe(hash: number, step: number): number {
    return this.buckets[(hash + step) & this.mask] ?? EMPTY;
  }

  /** Adds `slot` for its key (hash `hash`), which must not be present. */
  insert(slot: number, hash: number): void {
    if ((this.count + 1) * 2 > this.buckets.length) this.resize(this.buckets.length * 2);
    this.place(slot, hash);
    this.count += 1;
  }

  /** `next` (a session of the same key, hash `hash`) takes `slot`'s place. */
  replace(slot: number, next: number, hash: number): void {
    this.buckets[this.bucketOf(slot, hash)] = next;
  }

  remove(slot: number, hash: number): void {
    let hole = this.bucketOf(slot, hash);
    this.buckets[hole] = EMPTY;
    this.count -= 1;
    // Backward-shift deletion: move up any entry whose probe path crosses the hole.
    for (let i = (hole + 1) & this.mask; ; i = (i + 1) & this.mask) {
      const moved = this.buckets[i] ?? EMPTY;
      if (moved === EMPTY) return;
      const home = this.home(moved);
      const crosses = hole <= i ? home <= hole || home > i : home <= hole && home > i;
      if (crosses) {
        this.buckets[hole] = moved;
        this.buckets[i] = EMPTY;
        hole = i;
      }
    }
  }

  /** Every stored slot, in bucket order. */
  *slots(): IterableIterator<number> {
    for (const slot of this.buckets) if (slot !== EMPTY) yield slot;
  }

  private home(slot: number): number {
    return this.source.hash(slot) & this.mask;
  }

  private bucketOf(slot: number, hash: number): number {
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const at = this.buckets[i] ?? EMPTY;
      if (at === slot) return i;
      if (at === EMPTY) throw new RangeError(`session slot ${slot} is not a key head`);
    }
  }

  private place(slot: number, hash: number): void {
    let i = hash & this.mask;
    while (this.buckets[i] !== EMPTY) i = (i + 1) & this.mask;
    this.buckets[i] = slot;
  }

  private resize(size: number): void {
    const old = this.buckets;
    this.buckets = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (const slot of old) if (slot !== EMPTY) this.place(slot, this.home(slot));
  }
}
