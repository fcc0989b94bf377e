/**
 * Seeded pseudo-random numbers: sfc32 (Chris Doty-Humphrey's Small Fast Counter, from PractRand)
 * seeded through splitmix32. Fast, 128 bits of state, passes PractRand far beyond what a
 * simulator draws, and (unlike Math.random) reproducible from a seed, which is the whole point:
 * the same seed must give byte-identical traffic.
 *
 * Independent streams (traffic, bots, delivery faults) come from the same seed and a stream
 * number, so turning a fault rate up or down never changes the traffic itself.
 */

const TWO_POW_32 = 4294967296;

/** One step of splitmix32: a well-mixed 32-bit output from a state advanced by the golden ratio. */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { state: next, value: (z ^ (z >>> 16)) >>> 0 };
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);
const NIBBLE: readonly string[] = Array.from({ length: 16 }, (_, i) => i.toString(16));
/** RFC 4122 variant: the first hex digit of the fourth group is 8, 9, a or b. */
const VARIANT: readonly string[] = ['8', '9', 'a', 'b'];

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /** `seed` is any safe integer; `stream` selects an independent sequence for the same seed. */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer: ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    let state =
      (low ^ Math.imul(high ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(stream + 1, 0x165667b1)) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const step = splitmix32(state);
      state = step.state;
      words.push(step.value);
    }
    this.a = words[0] ?? 0;
    this.b = words[1] ?? 0;
    this.c = words[2] ?? 0;
    this.d = words[3] ?? 1;
    // Discard the first outputs so nearby seeds have diverged before anything is used.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** A uniformly random unsigned 32-bit integer (sfc32). */
  uint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    const rotated = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (rotated + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape sigma. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Index drawn from cumulative weights (last entry = total). */
  weighted(cumulative: Float64Array): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const x = this.next() * total;
    for (let i = 0; i < cumulative.length; i++) {
      if (x < (cumulative[i] ?? 0)) return i;
    }
    return cumulative.length - 1;
  }

  /** `chars` lowercase hex digits. */
  hex(chars: number): string {
    let out = '';
    while (out.length < chars) {
      const word = this.uint32();
      out +=
        (HEX[word >>> 24] ?? '') +
        (HEX[(word >>> 16) & 255] ?? '') +
        (HEX[(word >>> 8) & 255] ?? '') +
        (HEX[word & 255] ?? '');
    }
    return out.slice(0, chars);
  }

  /** A version-4-shaped UUID, drawn from this stream (so reproducible, unlike crypto's). */
  uuid(): string {
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    return (
      `${HEX[a >>> 24]}${HEX[(a >>> 16) & 255]}${HEX[(a >>> 8) & 255]}${HEX[a & 255]}-` +
      `${HEX[b >>> 24]}${HEX[(b >>> 16) & 255]}-4${NIBBLE[(b >>> 8) & 15]}${HEX[b & 255]}-` +
      `${VARIANT[c >>> 30]}${NIBBLE[(c >>> 24) & 15]}${HEX[(c >>> 16) & 255]}-` +
      `${HEX[(c >>> 8) & 255]}${HEX[c & 255]}${HEX[d >>> 24]}${HEX[(d >>> 16) & 255]}${HEX[(d >>> 8) & 255]}${HEX[d & 255]}`
    );
  }
}

/** Cumulative sums of weights, for Random.weighted. */
export function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    out[i] = sum;
  });
  return out;
}
