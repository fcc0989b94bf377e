import { avalanche, hashLanes, type StringLanes } from '../core/index.js';

const EMPTY = 0;

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
 * the held copy. Measured at 1M open sessions (bench/sessionizer.ts): the join's share of the
 * timed loop's CPU profile went from ~10% to ~6%; 30 pairs of runs side by side on the two
 * cores, against the Map: faster in 17, median +1.7% events per CPU-second (-11% to +12%).
 *
 * Deletion shifts the rest of the probe run back (no tombstones); `clear` shrinks it.
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

  /** `minBuckets`, a power of two, is what it starts with and shrinks back to. */
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

  get(key: string): V | undefined {
    const lanes = hashLanes(key, this.lanes);
    const tag = lanes.b | 1;
    const meta = this.meta;
    const kv = this.kv;
    const mask = this.mask;
    for (let i = avalanche(lanes.a) & mask; ; i = (i + 1) & mask) {
      const t = meta[i * 2];
      if (t === EMPTY) return undefined;
      if (t === tag && kv[i * 2] === key) {
        kv[i * 2] = key;
        return kv[i * 2 + 1] as V;
      }
    }
  }

  set(key: string, value: V): void {
    const lanes = hashLanes(key, this.lanes);
    const tag = lanes.b | 1;
    const home = avalanche(lanes.a) | 0;
    const mask = this.mask;
    let i = home & mask;
    for (; ; i = (i + 1) & mask) {
      const t = this.meta[i * 2];
      if (t === EMPTY) break;
      if (t === tag && this.kv[i * 2] === key) {
        this.kv[i * 2 + 1] = value;
        return;
      }
    }
    this.meta[i * 2] = tag;
    this.meta[i * 2 + 1] = home;
    this.kv[i * 2] = key;
    this.kv[i * 2 + 1] = value;
    this.count += 1;
    if (this.count * 2 > mask + 1) this.resize((mask + 1) * 2);
  }

  delete(key: string): boolean {
    if (this.count === 0) return false;
    const lanes = hashLanes(key, this.lanes);
    const tag = lanes.b | 1;
    const meta = this.meta;
    const kv = this.kv;
    const mask = this.mask;
    let i = avalanche(lanes.a) & mask;
    for (; ; i = (i + 1) & mask) {
      const t = meta[i * 2];
      if (t === EMPTY) return false;
      if (t === tag && kv[i * 2] === key) break;
    }
    // Backward shift: later entries of the run move up into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; meta[j * 2] !== EMPTY; j = (j + 1) & mask) {
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

  clear(): void {
    if (this.count === 0) return;
    if (this.mask + 1 > this.minBuckets) {
      this.meta = new Int32Array(this.minBuckets * 2);
      this.kv = new Array<unknown>(this.minBuckets * 2).fill(undefined);
      this.mask = this.minBuckets - 1;
    } else {
      this.meta.fill(0);
      this.kv.fill(undefined);
    }
    this.count = 0;
  }

  private resize(buckets: number): void {
    const oldMeta = this.meta;
    const oldKv = this.kv;
    this.meta = new Int32Array(buckets * 2);
    this.kv = new Array<unknown>(buckets * 2).fill(undefined);
    this.mask = buckets - 1;
    const mask = this.mask;
    for (let j = 0; j < oldMeta.length; j += 2) {
      const t = oldMeta[j] ?? 0;
      if (t === EMPTY) continue;
      const home = oldMeta[j + 1] ?? 0;
      let i = home & mask;
      while (this.meta[i * 2] !== EMPTY) i = (i + 1) & mask;
      this.meta[i * 2] = t;
      this.meta[i * 2 + 1] = home;
      this.kv[i * 2] = oldKv[j];
      this.kv[i * 2 + 1] = oldKv[j + 1];
    }
  }
}
