import xxhash from 'xxhash-wasm';
import { ConfigError, type Profile, type SessionUpdate } from '../core/index.js';
import {
  CONVERSION_EDGES,
  DEPTH_EDGES,
  DURATION_EDGES,
  MARKOV_EDGES,
  VALUE_EDGES,
  bucketCount,
  bucketOf,
  utcHour,
  utcWeekday,
} from './feature-buckets.js';

/**
 * What a feature index means. Snapshots carry it; a scorer refuses a model trained on another
 * schema. Bump it whenever a field, seed, bucket edge or the index arithmetic changes.
 */
export const FEATURE_SCHEMA_VERSION = 2;

/**
 * One xxh32 seed per field, so that the same string in two fields ('Direct' as a channel and as
 * a campaign) lands in unrelated buckets. The values are arbitrary but fixed forever (see above).
 */
export const FIELD_SEEDS = {
  bias: 0x0b1a5001,
  seen: 0x5ee40002,
  page: 0x9a9e0003,
  event: 0xe7e40004,
  channel: 0xc4a10005,
  campaign: 0xca3b0006,
  device: 0xde7c0007,
  country: 0xc0c00008,
  site: 0x517e0009,
  hour: 0x4a0b000a,
  weekday: 0x3eed000b,
  depth: 0xde9f000c,
  duration: 0xd0a7000d,
  conversions: 0xc0a7000e,
  known: 0x6a0a000f,
  segment: 0x5e6a0010,
  value: 0x7a1b0011,
  markov: 0x3a6c0012,
  channelPage: 0xc9a90013,
  segmentPage: 0x5e9a0014,
  eventPage: 0xe9a90015,
} as const;

export type FeatureField = keyof typeof FIELD_SEEDS;

/** Fields hashed from free strings, each with its own bounded cache. */
const STRING_FIELDS = [
  'seen',
  'page',
  'event',
  'channel',
  'campaign',
  'device',
  'country',
  'site',
  'segment',
] as const;
type StringField = (typeof STRING_FIELDS)[number];

/** Fixed features per example (bias, current page, ..., the channel x page cross). */
const FIXED_FEATURES = 20;
/** Most features one example can have: the fixed ones plus one per distinct page type seen. */
export const MAX_FEATURES = FIXED_FEATURES + 64;

export const MIN_BITS = 8;
export const MAX_BITS = 28;
export const DEFAULT_BITS = 20;
export const DEFAULT_HASH_CACHE_SIZE = 10_000;

const NO_PROFILE = '(no profile)';
const NO_PAGE = '(none)';
const CHURNED_SUFFIX = '/churned';

export interface FeatureOptions {
  /** The model has 2^bits weights; 8..28, default 20. */
  readonly bits?: number;
  /** Strings whose hash each field remembers before it starts over; default 10,000. */
  readonly hashCacheSize?: number;
}

/** What scoring knows besides the update: the visitor's CRM profile and the Markov estimate. */
export interface FeatureContext {
  readonly profile?: Profile | undefined;
  /** Conversion probability of the visitor's page-flow state; NaN when unknown. */
  readonly markovProbability: number;
}

/**
 * A reusable sparse binary feature vector: the first `count` entries of `indices` are the
 * active features (value 1). Reused across calls so the hot path allocates nothing.
 */
export class FeatureVector {
  readonly indices: Uint32Array;
  count = 0;

  constructor(capacity = MAX_FEATURES) {
    if (!Number.isInteger(capacity) || capacity < FIXED_FEATURES) {
      throw new RangeError(`a feature vector needs room for at least ${FIXED_FEATURES} features`);
    }
    this.indices = new Uint32Array(capacity);
  }

  /** A compact copy of the active indices, for keeping an example until its label arrives. */
  copyIndices(): Uint32Array {
    return this.indices.slice(0, this.count);
  }
}

type H32 = (input: string, seed: number) => number;

/** Loads the xxHash WebAssembly module once; every hasher built from it shares it. */
export async function createFeatureHasher(options: FeatureOptions = {}): Promise<FeatureHasher> {
  const api = await xxhash();
  const cacheSize = options.hashCacheSize ?? DEFAULT_HASH_CACHE_SIZE;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) {
    throw new ConfigError('features.hashCacheSize', `must be a positive integer, got ${cacheSize}`);
  }
  return new FeatureHasher(
    (input, seed) => api.h32(input, seed),
    resolveBits(options.bits),
    new HashCaches(cacheSize),
  );
}

export function resolveBits(bits: number | undefined): number {
  const resolved = bits ?? DEFAULT_BITS;
  if (!Number.isInteger(resolved) || resolved < MIN_BITS || resolved > MAX_BITS) {
    throw new ConfigError(
      'features.bits',
      `must be an integer from ${MIN_BITS} to ${MAX_BITS}, got ${String(bits)}`,
    );
  }
  return resolved;
}

/**
 * Per-field maps from string to raw 32-bit hash. Page types, channels and devices repeat
 * endlessly, and a Map lookup costs a fraction of an xxh32 call through WebAssembly (~0.3 us).
 * NOTE: a full map is simply cleared rather than kept as an LRU: the bookkeeping of an LRU costs
 * about what the hash it saves, and the hot strings are back after a few events.
 */
class HashCaches {
  readonly maps: Record<StringField, Map<string, number>>;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    this.maps = Object.fromEntries(
      STRING_FIELDS.map((field) => [field, new Map<string, number>()]),
    ) as Record<StringField, Map<string, number>>;
  }
}

/**
 * Turns a session update into hashed sparse features (the hashing trick, Weinberger et al.
 * 2009): each (field, value) is hashed with the field's seed into one of 2^bits buckets.
 * Bucketed numeric fields hash their bucket number once, at construction, into lookup tables.
 */
export class FeatureHasher {
  readonly bits: number;
  /** Number of buckets, 2^bits. */
  readonly size: number;
  private readonly mask: number;
  private readonly h32: H32;
  private readonly caches: HashCaches;
  private readonly biasIndex: number;
  private readonly tables: Record<
    'hour' | 'weekday' | 'depth' | 'duration' | 'conversions' | 'known' | 'value' | 'markov',
    Uint32Array
  >;

  constructor(h32: H32, bits: number, caches: HashCaches) {
    this.bits = resolveBits(bits);
    this.size = 2 ** this.bits;
    this.mask = this.size - 1;
    this.h32 = h32;
    this.caches = caches;
    this.biasIndex = this.mask & h32('bias', FIELD_SEEDS.bias);
    this.tables = {
      hour: this.table('hour', 24),
      weekday: this.table('weekday', 7),
      depth: this.table('depth', bucketCount(DEPTH_EDGES)),
      duration: this.table('duration', bucketCount(DURATION_EDGES)),
      conversions: this.table('conversions', bucketCount(CONVERSION_EDGES)),
      known: this.table('known', 2),
      value: this.table('value', bucketCount(VALUE_EDGES)),
      markov: this.table('markov', bucketCount(MARKOV_EDGES)),
    };
  }

  /** A hasher with another bucket count, sharing the WebAssembly module and string caches. */
  withBits(bits: number): FeatureHasher {
    return bits === this.bits ? this : new FeatureHasher(this.h32, bits, this.caches);
  }

  /** The bias feature's index; every vector contains it. */
  get bias(): number {
    return this.biasIndex;
  }

  /** Index of a string-valued field, e.g. index('channel', 'Direct'). */
  index(field: StringField, value: string): number {
    return this.mask & this.raw(field, value);
  }

  /** Index of a bucketed numeric field's bucket, e.g. bucketIndex('hour', 13). */
  bucketIndex(
    field: 'hour' | 'weekday' | 'depth' | 'duration' | 'conversions' | 'known' | 'value' | 'markov',
    bucket: number,
  ): number {
    const index = this.tables[field][bucket];
    if (index === undefined) throw new RangeError(`no bucket ${bucket} in field ${field}`);
    return index;
  }

  /** Writes the features of `update` into `out` and returns their count. */
  extract(update: SessionUpdate, context: FeatureContext, out: FeatureVector): number {
    const { session, event } = update;
    const indices = out.indices;
    const mask = this.mask;
    let n = 0;
    indices[n++] = this.biasIndex;

    // Page types seen, as a set: a repeat adds nothing.
    const path = session.path;
    const seenStart = n;
    for (let i = 0; i < path.length && n <= indices.length - FIXED_FEATURES; i++) {
      const index = mask & this.raw('seen', path[i] as string);
      let repeat = false;
      for (let j = seenStart; j < n; j++) {
        if (indices[j] === index) {
          repeat = true;
          break;
        }
      }
      if (!repeat) indices[n++] = index;
    }

    // The event's page type is current even when the path stopped growing at its cap.
    const page = event.pageType !== '' ? event.pageType : (path[path.length - 1] ?? NO_PAGE);
    const pageRaw = this.raw('page', page);
    const channelRaw = this.raw('channel', session.entryChannel);
    indices[n++] = mask & pageRaw;
    indices[n++] = mask & channelRaw;
    indices[n++] = mask & mix(channelRaw, pageRaw, FIELD_SEEDS.channelPage);
    // What the visitor just did, where: a call means different things on different pages (an
    // identify on the checkout page comes right before an order, on the landing page it is a
    // login), and without the cross those examples bend the page's own weights.
    const eventRaw = this.raw('event', event.type === 'track' ? event.name : event.type);
    indices[n++] = mask & eventRaw;
    indices[n++] = mask & mix(eventRaw, pageRaw, FIELD_SEEDS.eventPage);
    indices[n++] = mask & this.raw('campaign', session.entryCampaign);
    indices[n++] = mask & this.raw('device', session.deviceType);
    indices[n++] = mask & this.raw('country', session.country);
    indices[n++] = mask & this.raw('site', session.site);

    const tables = this.tables;
    indices[n++] = tables.hour[utcHour(event.timestamp)] as number;
    indices[n++] = tables.weekday[utcWeekday(event.timestamp)] as number;
    indices[n++] = tables.depth[bucketOf(session.pageviewCount, DEPTH_EDGES)] as number;
    indices[n++] = tables.duration[
      bucketOf(session.endedAt - session.startedAt, DURATION_EDGES)
    ] as number;
    indices[n++] = tables.conversions[bucketOf(session.conversions, CONVERSION_EDGES)] as number;
    indices[n++] = tables.known[session.userId === null ? 0 : 1] as number;

    const profile = context.profile;
    const segmentRaw = this.raw('segment', segmentOf(profile));
    indices[n++] = mask & segmentRaw;
    // A customer's higher odds do not shift the log-odds of every page alike (on a page that
    // converts half the time the shift is about twice that on a browsing page): segment x page.
    indices[n++] = mask & mix(segmentRaw, pageRaw, FIELD_SEEDS.segmentPage);
    indices[n++] = tables.value[
      bucketOf(profile === undefined ? Number.NaN : profile.lifetimeValue, VALUE_EDGES)
    ] as number;
    indices[n++] = tables.markov[bucketOf(context.markovProbability, MARKOV_EDGES)] as number;

    out.count = n;
    return n;
  }

  private raw(field: StringField, value: string): number {
    const cache = this.caches.maps[field];
    let hash = cache.get(value);
    if (hash === undefined) {
      hash = this.h32(value, FIELD_SEEDS[field]);
      if (cache.size >= this.caches.limit) cache.clear();
      cache.set(value, hash);
    }
    return hash;
  }

  private table(field: FeatureField, buckets: number): Uint32Array {
    const out = new Uint32Array(buckets);
    for (let b = 0; b < buckets; b++) out[b] = this.mask & this.h32(String(b), FIELD_SEEDS[field]);
    return out;
  }
}

/**
 * The CRM segment as a feature value: `(no profile)`, the segment, or the segment with
 * `/churned` (a churned customer converts at about a third of the odds of an active one in the
 * same segment, so the two must not share a weight).
 */
function segmentOf(profile: Profile | undefined): string {
  if (profile === undefined) return NO_PROFILE;
  return profile.churned ? `${profile.segment}${CHURNED_SUFFIX}` : profile.segment;
}

/** Combines two raw hashes into a cross feature without building a string (murmur3 finaliser). */
function mix(a: number, b: number, seed: number): number {
  let h = Math.imul(a ^ seed, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
