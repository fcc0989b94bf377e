import { ConfigError } from '../core/index.js';

/**
 * FTRL-Proximal logistic regression (McMahan et al. 2013, "Ad Click Prediction: a View from the
 * Trenches", Algorithm 1) over binary hashed features, with per-coordinate learning rates.
 *
 * State is two arrays over the 2^bits coordinates: z (accumulated adjusted gradients) and n (sum
 * of squared gradients). The weight of coordinate i is derived lazily from (z_i, n_i):
 *   w_i = 0                                                     if |z_i| <= l1
 *   w_i = -(z_i - sgn(z_i) l1) / ((beta + sqrt(n_i)) / alpha + l2)  otherwise
 * so L1 gives exact zeros (a sparse model) without ever touching untouched coordinates.
 */

export interface FtrlOptions {
  /**
   * Learning-rate scale; default 0.02. Measured on the simulator's traffic (bench/models.ts):
   * 0.05 learns faster early but its weights stay noisier, and held-out AUC was lower.
   */
  readonly alpha?: number;
  /** Learning-rate smoothing (1 is the paper's advice); default 1. */
  readonly beta?: number;
  /** L1 strength; default 0.5. */
  readonly l1?: number;
  /** L2 strength; default 1. */
  readonly l2?: number;
}

export interface FtrlParams {
  readonly alpha: number;
  readonly beta: number;
  readonly l1: number;
  readonly l2: number;
}

export const DEFAULT_FTRL_PARAMS: FtrlParams = { alpha: 0.02, beta: 1, l1: 0.5, l2: 1 };

export function resolveFtrlParams(options: FtrlOptions = {}): FtrlParams {
  const params = { ...DEFAULT_FTRL_PARAMS, ...definedOnly(options) };
  if (!(params.alpha > 0 && Number.isFinite(params.alpha))) {
    throw new ConfigError('ftrl.alpha', `must be a positive number, got ${params.alpha}`);
  }
  for (const key of ['beta', 'l1', 'l2'] as const) {
    const value = params[key];
    if (!(value >= 0 && Number.isFinite(value))) {
      throw new ConfigError(`ftrl.${key}`, `must be a number >= 0, got ${value}`);
    }
  }
  return params;
}

/** Only the touched coordinates (n > 0) of a model, ascending by index. */
export interface SparseFtrlState {
  readonly indices: Uint32Array;
  readonly z: Float64Array;
  readonly n: Float64Array;
}

/** Margins beyond this saturate the sigmoid in float64 anyway; clamping keeps exp() finite. */
const MAX_MARGIN = 35;

/** The weight FTRL-Proximal derives from one coordinate's (z, n). */
export function ftrlWeight(z: number, n: number, params: FtrlParams): number {
  const { l1, l2, alpha, beta } = params;
  if (z <= l1 && z >= -l1) return 0;
  return -(z - (z > 0 ? l1 : -l1)) / ((beta + Math.sqrt(n)) / alpha + l2);
}

export function sigmoid(margin: number): number {
  const m = margin > MAX_MARGIN ? MAX_MARGIN : margin < -MAX_MARGIN ? -MAX_MARGIN : margin;
  return 1 / (1 + Math.exp(-m));
}

export class FtrlModel {
  readonly params: FtrlParams;
  /** Number of coordinates. */
  readonly size: number;
  /**
   * z and n interleaved (z_i at 2i, n_i at 2i + 1): a coordinate's pair shares a cache line, so
   * a prediction over a big model costs one cache miss per feature instead of two.
   */
  private readonly zn: Float64Array;
  /** Coordinates ever updated (n > 0), in first-touch order, so exports skip the empty 2^bits. */
  private touched = new Uint32Array(1024);
  private touchedCount = 0;
  /** Weights of the current example, computed once in learn() for prediction and update. */
  private scratch = new Float64Array(128);
  private updateCount = 0;

  constructor(size: number, options: FtrlOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`bad model size ${size}`);
    this.params = resolveFtrlParams(options);
    this.size = size;
    this.zn = new Float64Array(2 * size);
  }

  /** Examples learnt so far. */
  get updates(): number {
    return this.updateCount;
  }

  /** Coordinates ever updated. */
  get touchedCoordinates(): number {
    return this.touchedCount;
  }

  weight(i: number): number {
    const z = this.zn[2 * i] as number;
    const { l1, l2, alpha, beta } = this.params;
    // Most coordinates of a sparse model sit inside the L1 ball: answer before reading n.
    if (z <= l1 && z >= -l1) return 0;
    return (
      -(z - (z > 0 ? l1 : -l1)) / ((beta + Math.sqrt(this.zn[2 * i + 1] as number)) / alpha + l2)
    );
  }

  /** P(y = 1) for the binary features `indices[0..count)`. */
  predict(indices: Uint32Array, count: number): number {
    let margin = 0;
    for (let k = 0; k < count; k++) margin += this.weight(indices[k] as number);
    return sigmoid(margin);
  }

  /**
   * One FTRL-Proximal step on example (x, y) and returns the prediction made before it, which
   * is what progressive validation scores.
   * NOTE: a coordinate listed twice (a hash collision between fields) is updated twice with the
   * same weight; the effect is that of x_i = 2 to first order, and collisions are rare at 2^20.
   */
  learn(indices: Uint32Array, count: number, label: 0 | 1): number {
    if (this.scratch.length < count) this.scratch = new Float64Array(count * 2);
    const w = this.scratch;
    let margin = 0;
    for (let k = 0; k < count; k++) {
      const wi = this.weight(indices[k] as number);
      w[k] = wi;
      margin += wi;
    }
    const p = sigmoid(margin);
    // Gradient of log-loss w.r.t. the margin; x_i = 1 for every active feature.
    const g = p - label;
    const g2 = g * g;
    const alpha = this.params.alpha;
    const zn = this.zn;
    for (let k = 0; k < count; k++) {
      const at = 2 * (indices[k] as number);
      const ni = zn[at + 1] as number;
      if (ni === 0 && g2 > 0) this.touch(at / 2);
      const sigma = (Math.sqrt(ni + g2) - Math.sqrt(ni)) / alpha;
      zn[at] = (zn[at] as number) + g - sigma * (w[k] as number);
      zn[at + 1] = ni + g2;
    }
    this.updateCount++;
    return p;
  }

  /** All weights, for a read-only serving copy where predict is a plain sum. */
  denseWeights(): Float32Array {
    const out = new Float32Array(this.size);
    for (let k = 0; k < this.touchedCount; k++) {
      const i = this.touched[k] as number;
      out[i] = this.weight(i);
    }
    return out;
  }

  /** The touched coordinates, ascending, for snapshots and for resuming training elsewhere. */
  exportSparse(): SparseFtrlState {
    const indices = this.touched.slice(0, this.touchedCount).sort();
    const z = new Float64Array(indices.length);
    const n = new Float64Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const at = 2 * (indices[k] as number);
      z[k] = this.zn[at] as number;
      n[k] = this.zn[at + 1] as number;
    }
    return { indices, z, n };
  }

  /** Replaces the state with `state` (e.g. a decoded snapshot) and the update count. */
  load(state: SparseFtrlState, updates = 0): void {
    for (let k = 0; k < state.indices.length; k++) {
      const i = state.indices[k] as number;
      if (i >= this.size) throw new RangeError(`coordinate ${i} outside a model of ${this.size}`);
    }
    for (let k = 0; k < this.touchedCount; k++) {
      const at = 2 * (this.touched[k] as number);
      this.zn[at] = 0;
      this.zn[at + 1] = 0;
    }
    this.touchedCount = 0;
    for (let k = 0; k < state.indices.length; k++) {
      const i = state.indices[k] as number;
      const n = state.n[k] as number;
      // Only touched coordinates (n > 0) carry state; anything else stays at zero.
      if (!(n > 0)) continue;
      if (this.zn[2 * i + 1] === 0) this.touch(i);
      this.zn[2 * i] = state.z[k] as number;
      this.zn[2 * i + 1] = n;
    }
    this.updateCount = updates;
  }

  private touch(i: number): void {
    if (this.touchedCount === this.touched.length) {
      const grown = new Uint32Array(this.touched.length * 2);
      grown.set(this.touched);
      this.touched = grown;
    }
    this.touched[this.touchedCount++] = i;
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
