import { avalanche, hashLanes, type StringLanes } from '../core/index.js';

const EMPTY = 0;
const NONE = -1;
/**
 * Most buckets a key may sit past its home. Keys the hash spreads fairly never come near it:
 * in a table half full of sequential ids, ~1 key in 100,000 sat 32 or more past its home, and
 * each 16 more buckets made that ~60 times rarer. A flood of crafted keys that share a home
 * fills these buckets and no more; its other keys are not kept (the cache then answers them the
 * slow way), so a lookup never scans further.
 */
const MAX_PROBE = 64;

/**
 * A string-keyed map for ProfileCache's fast path: open addressing with linear probing, the
 * buckets' tags and home hashes in an Int32Array, their keys and values side by side in one
 * array.
 *
 * TRICKY: written out rather than a Map because of where a lookup's time goes. With a few
 * hundred thousand users cached, a V8 Map lookup reads its bucket array, then the entry, then
 * the entry's key string to compare it: three cache misses in a row, each on the V8 heap (no
 * huge pages, so a TLB miss as well); that was ~1 us per identified update, the largest single
 * item of the sessionizer benchmark. Here a hit reads the bucket's tag (an ArrayBuffer, on huge
 * pages where malloc has them), then its key and value (one line); the key is compared only
 * when the tag (31 bits of the second lane) matches. And a hit keeps the caller's string in
 * place of the equal one it held: the session that looks its user up on each of its updates
 * passes the same string object every time, which then compares by reference without reading
 * the held copy. (Not the sessionizer's KeyTable, which keeps only slot numbers and reads each
 * candidate's hash and key from its records: one miss more a lookup than a tag in the bucket.)
 * Measured at 1M open sessions (bench/sessionizer.ts): the join's share of the timed loop's
 * CPU profile went from ~10% to ~6%; 30 pairs of runs side by side on the two cores, against
 * the Map: faster in 17, median +1.7% events per CPU-second (-11% to +12%).
 *
 * Deletion shifts the rest of the probe run back (no tombstones); `clear` keeps room for as many
 * keys as it held (see there). Runs are bounded (MAX_PROBE), so keys crafted to collide cost a
 * bounded scan, not one per key held.
 */
export class SettledMap<V> {
  /** Per bucket: tag (0: empty; else odd), then the key's home hash (its bucket, unmasked). */
  private meta: Int32Array;
  /** Per bucket: key, then value. */
  private kv: unknown[];
  private mask: number;
  private count = 0;
  private readonly lanes: StringLanes = { a: 0, b: 0 };
  private readonly minBuckets: number;

  /** `minBuckets`, a power of two, is what it starts with and never shrinks below. */
  constructor(minBuckets = 1024) {
    if (
      !Number.isSafeInteger(minBuckets) ||
      minBuckets < 1 ||
      (minBuckets & (minBuckets - 1)) !== 0
    ) {
      throw new RangeError(`minBuckets must be a power of two: ${minBuckets}`);
    }
    this.minBuckets = minBuckets;
    this.meta = new Int32Array(minBuckets * 2);
    this.kv = new Array<unknown>(minBuckets * 2).fill(undefined);
    this.mask = minBuckets - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Buckets it has room in (a power of two; it grows at half full). */
  get buckets(): number {
    return this.mask + 1;
  }

  /** The value of `key`; a hit keeps this `key` object in place of the equal one held. */
  get(key: string): V | undefined {
    const lanes = hashLanes(key, this.lanes);
    const at = this.find(key, lanes.b | 1, avalanche(lanes.a));
    if (at === NONE) return undefined;
    this.kv[at * 2] = key;
    return this.kv[at * 2 + 1] as V;
  }

  /**
   * Sets `key`'s value; false when the key is not kept (a new key whose probe run is full
   * for MAX_PROBE buckets: only crafted keys, which then take the slow path).
   */
  set(key: string, value: V): boolean {
    const lanes = hashLanes(key, this.lanes);
    const tag = lanes.b | 1;
    const home = avalanche(lanes.a) | 0;
    const found = this.find(key, tag, home);
    if (found !== NONE) {
      this.kv[found * 2] = key;
      this.kv[found * 2 + 1] = value;
      return true;
    }
    if ((this.count + 1) * 2 > this.mask + 1) this.resize((this.mask + 1) * 2);
    const at = this.place(home);
    if (at === NONE) return false;
    this.meta[at * 2] = tag;
    this.meta[at * 2 + 1] = home;
    this.kv[at * 2] = key;
    this.kv[at * 2 + 1] = value;
    this.count += 1;
    return true;
  }

  delete(key: string): boolean {
    if (this.count === 0) return false;
    const lanes = hashLanes(key, this.lanes);
    const at = this.find(key, lanes.b | 1, avalanche(lanes.a));
    if (at === NONE) return false;
    const { meta, kv, mask } = this;
    // Backward shift: later entries of the run move up into the hole when their home allows
    // (so each entry only comes closer to its home, and stays within MAX_PROBE of it).
    let hole = at;
    for (let j = (at + 1) & mask; meta[j * 2] !== EMPTY; j = (j + 1) & mask) {
      const home = (meta[j * 2 + 1] ?? 0) & mask;
      // j may move to the hole when its home is not in (hole, j] cyclically.
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        meta[hole * 2] = meta[j * 2] ?? 0;
        meta[hole * 2 + 1] = meta[j * 2 + 1] ?? 0;
        kv[hole * 2] = kv[j * 2];
        kv[hole * 2 + 1] = kv[j * 2 + 1];
        hole = j;
      }
    }
    meta[hole * 2] = EMPTY;
    kv[hole * 2] = undefined;
    kv[hole * 2 + 1] = undefined;
    this.count -= 1;
    return true;
  }

  /**
   * Empties the map, keeping the buckets that its keys needed: the cache clears it at each epoch
   * and the next epoch settles about as many keys, which would otherwise grow it again from
   * `minBuckets`, one doubling at a time, each moving every key. Buckets beyond that (a table
   * that grew, then lost keys to deletes) are let go.
   * Measured against shrinking to `minBuckets` at every clear (bench/sessionizer.ts at 1M open
   * sessions, the cache on the stream's clock, so an epoch ends every 90 s block): 12 pairs of
   * runs side by side on the two cores, faster in 12, median +6% events per CPU-second (+0% to
   * +18%).
   */
  clear(): void {
    let buckets = this.minBuckets;
    while (buckets < this.count * 2) buckets *= 2;
    if (buckets !== this.mask + 1) {
      this.meta = new Int32Array(buckets * 2);
      this.kv = new Array<unknown>(buckets * 2).fill(undefined);
      this.mask = buckets - 1;
    } else if (this.count !== 0) {
      this.meta.fill(EMPTY);
      this.kv.fill(undefined);
    }
    this.count = 0;
  }

  /** The bucket holding `key` (its tag and home hash given), or NONE. */
  private find(key: string, tag: number, home: number): number {
    const { meta, kv, mask } = this;
    for (let step = 0, at = home & mask; step < MAX_PROBE; step++, at = (at + 1) & mask) {
      const t = meta[at * 2];
      if (t === EMPTY) return NONE;
      if (t === tag && kv[at * 2] === key) return at;
    }
    return NONE;
  }

  /** The first empty bucket within MAX_PROBE of `home`, or NONE. */
  private place(home: number): number {
    const { meta, mask } = this;
    for (let step = 0, at = home & mask; step < MAX_PROBE; step++, at = (at + 1) & mask) {
      if (meta[at * 2] === EMPTY) return at;
    }
    return NONE;
  }

  /** Moves every entry into `buckets` buckets (one whose run is full there is dropped). */
  private resize(buckets: number): void {
    const oldMeta = this.meta;
    const oldKv = this.kv;
    this.meta = new Int32Array(buckets * 2);
    this.kv = new Array<unknown>(buckets * 2).fill(undefined);
    this.mask = buckets - 1;
    for (let j = 0; j < oldMeta.length; j += 2) {
      const t = oldMeta[j] ?? EMPTY;
      if (t === EMPTY) continue;
      const home = oldMeta[j + 1] ?? 0;
      const at = this.place(home);
      if (at === NONE) {
        this.count -= 1;
        continue;
      }
      this.meta[at * 2] = t;
      this.meta[at * 2 + 1] = home;
      this.kv[at * 2] = oldKv[j];
      this.kv[at * 2 + 1] = oldKv[j + 1];
    }
  }
}
