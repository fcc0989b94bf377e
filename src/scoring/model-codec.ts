import { fail, ok, type Result } from '../core/index.js';
import {
  ByteReader,
  ByteWriter,
  decodeDelta,
  encodeDelta,
  type MarkovDelta,
} from '../markov-online/index.js';
import type { ReliabilityBin } from './calibration-curve.js';
import { FEATURE_SCHEMA_VERSION, MAX_BITS, MIN_BITS } from './feature-hasher.js';
import type { FtrlParams } from './ftrl.js';
import { IsotonicCalibrator } from './isotonic.js';
import { ModelSnapshot, type ModelParts } from './model-snapshot.js';
import type { ModelMetrics } from './progressive-validation.js';

export type ModelErrorCode = 'model_invalid' | 'model_incompatible';

const MAGIC = [0x50, 0x43, 0x4d, 0x53] as const; // "PCMS"
const FORMAT_VERSION = 1;
/** Smallest encoding of a classifier coordinate: 1-byte index gap, f32 z, f32 n. */
const MIN_COORDINATE_BYTES = 9;
const KNOT_BYTES = 16;
const BIN_BYTES = 40;

/**
 * Binary model format, little-endian:
 *   "PCMS", format version u8,
 *   model version varint, name (varint length + UTF-8), createdAt f64,
 *   feature schema u8, bits u8, FTRL alpha/beta/l1/l2 f64, updates f64,
 *   classifier: coordinate count varint, then per touched coordinate (ascending index):
 *     index gap varint (index - previous index - 1; the first is the index), z f32, n f32,
 *   calibration: knot count varint, then x f64, y f64 per knot,
 *   metrics: 9 x f64 (examples, positives, lifetimeLogLoss, window, auc, logLoss, rawLogLoss,
 *     ece, rawEce), bin count varint, then 5 x f64 per bin,
 *   page-flow counts, channel counts: each a length-prefixed markov-online delta ("PCMD").
 *
 * The classifier is sparse (only coordinates ever updated, about 11 bytes each) and its (z, n)
 * are stored as float32: half the bytes of float64, and a relative error of 6e-8 changes no
 * prediction that matters. Markov counts travel as the chains' own additive deltas, so a
 * snapshot's counts can also be merged into another process's chains.
 */
export function encodeModel(model: ModelSnapshot | ModelParts): Uint8Array {
  const parts = model instanceof ModelSnapshot ? model.parts : model;
  const pageFlow = encodeDelta(parts.pageFlowCounts);
  const channels = encodeDelta(parts.channelCounts);
  const coordinates = parts.classifier.indices.length;
  const w = new ByteWriter(
    128 +
      coordinates * 11 +
      parts.calibrator.knots * KNOT_BYTES +
      pageFlow.length +
      channels.length,
  );
  for (const byte of MAGIC) w.u8(byte);
  w.u8(FORMAT_VERSION);
  w.varint(parts.version);
  w.string(parts.name);
  w.f64(parts.createdAt);
  w.u8(parts.featureSchema);
  w.u8(parts.bits);
  w.f64(parts.ftrl.alpha);
  w.f64(parts.ftrl.beta);
  w.f64(parts.ftrl.l1);
  w.f64(parts.ftrl.l2);
  w.f64(parts.updates);

  const { indices, z, n } = parts.classifier;
  w.varint(coordinates);
  let previous = -1;
  for (let k = 0; k < coordinates; k++) {
    const index = indices[k] as number;
    w.varint(index - previous - 1);
    w.f32(z[k] as number);
    w.f32(n[k] as number);
    previous = index;
  }

  const { x, y } = parts.calibrator;
  w.varint(x.length);
  for (let k = 0; k < x.length; k++) {
    w.f64(x[k] as number);
    w.f64(y[k] as number);
  }

  const m = parts.metrics;
  for (const value of [
    m.examples,
    m.positives,
    m.lifetimeLogLoss,
    m.window,
    m.auc,
    m.logLoss,
    m.rawLogLoss,
    m.ece,
    m.rawEce,
  ]) {
    w.f64(value);
  }
  w.varint(m.reliability.length);
  for (const bin of m.reliability) {
    w.f64(bin.lower);
    w.f64(bin.upper);
    w.f64(bin.count);
    w.f64(bin.meanPredicted);
    w.f64(bin.observedRate);
  }

  w.blob(pageFlow);
  w.blob(channels);
  return w.finish();
}

/**
 * Parses and checks a model from untrusted bytes (a compacted topic, a file) and rebuilds its
 * solved chains. Never throws: bad bytes are a `model_invalid` failure, a model made for another
 * feature schema a `model_incompatible` one.
 */
export function decodeModel(bytes: Uint8Array): Result<ModelSnapshot, ModelErrorCode> {
  const parts = decodeParts(bytes);
  if (!parts.ok) return parts;
  try {
    return ok(ModelSnapshot.fromParts(parts.value));
  } catch (error) {
    // The deltas passed their own checks; a chain may still refuse them (e.g. too many states).
    return fail('model_invalid', `invalid model: Markov counts rejected: ${String(error)}`, {
      cause: error,
    });
  }
}

function decodeParts(bytes: Uint8Array): Result<ModelParts, ModelErrorCode> {
  const r = new ByteReader(bytes);
  for (const byte of MAGIC) if (r.u8() !== byte) r.fail('not a pathcast model (bad magic)');
  const format = r.u8();
  if (r.problem === undefined && format !== FORMAT_VERSION) {
    r.fail(`unsupported format version ${format}`);
  }
  const version = r.varint();
  const name = r.string();
  const createdAt = r.f64();
  if (!Number.isFinite(createdAt)) r.fail('createdAt must be finite');
  const featureSchema = r.u8();
  if (r.problem === undefined && featureSchema !== FEATURE_SCHEMA_VERSION) {
    return fail(
      'model_incompatible',
      `model uses feature schema ${featureSchema}, this build ${FEATURE_SCHEMA_VERSION}`,
    );
  }
  const bits = r.u8();
  if (r.problem === undefined && (bits < MIN_BITS || bits > MAX_BITS)) {
    r.fail(`bits ${bits} outside ${MIN_BITS}..${MAX_BITS}`);
  }
  const ftrl: FtrlParams = { alpha: r.f64(), beta: r.f64(), l1: r.f64(), l2: r.f64() };
  if (
    r.problem === undefined &&
    !(
      ftrl.alpha > 0 &&
      Number.isFinite(ftrl.alpha) &&
      [ftrl.beta, ftrl.l1, ftrl.l2].every((v) => v >= 0 && Number.isFinite(v))
    )
  ) {
    r.fail('bad FTRL parameters');
  }
  const updates = r.f64();
  if (r.problem === undefined && !(Number.isInteger(updates) && updates >= 0)) {
    r.fail('bad update count');
  }

  const coordinates = r.varint();
  if (r.problem === undefined && coordinates * MIN_COORDINATE_BYTES > r.remaining) {
    r.fail('coordinate count exceeds input');
  }
  const count = r.problem === undefined ? coordinates : 0;
  const indices = new Uint32Array(count);
  const z = new Float64Array(count);
  const n = new Float64Array(count);
  const size = 2 ** bits;
  let previous = -1;
  for (let k = 0; k < count && r.problem === undefined; k++) {
    const index = previous + 1 + r.varint();
    const zk = r.f32();
    const nk = r.f32();
    if (index >= size) r.fail(`coordinate ${index} outside 2^${bits}`);
    else if (!Number.isFinite(zk) || !(nk > 0 && Number.isFinite(nk))) {
      r.fail(`coordinate ${index} has a bad state`);
    }
    indices[k] = index;
    z[k] = zk;
    n[k] = nk;
    previous = index;
  }

  const knots = r.varint();
  if (r.problem === undefined && knots * KNOT_BYTES > r.remaining)
    r.fail('knot count exceeds input');
  const knotCount = r.problem === undefined ? knots : 0;
  const x = new Float64Array(knotCount);
  const y = new Float64Array(knotCount);
  for (let k = 0; k < knotCount && r.problem === undefined; k++) {
    x[k] = r.f64();
    y[k] = r.f64();
    const xk = x[k] as number;
    const yk = y[k] as number;
    if (!Number.isFinite(xk) || !(yk >= 0 && yk <= 1)) r.fail(`knot ${k} out of range`);
    else if (k > 0 && !(xk > (x[k - 1] as number) && yk >= (y[k - 1] as number))) {
      r.fail(`knot ${k} breaks monotonicity`);
    }
  }

  const metrics = readMetrics(r);
  const pageFlowCounts = readDelta(r, 'page-flow');
  const channelCounts = readDelta(r, 'channel');
  if (r.problem === undefined && !r.atEnd) r.fail('trailing bytes');
  if (r.problem !== undefined || pageFlowCounts === undefined || channelCounts === undefined) {
    return fail('model_invalid', `invalid model: ${r.problem ?? 'bad counts'}`);
  }
  return ok({
    version,
    name,
    createdAt,
    featureSchema,
    bits,
    ftrl,
    updates,
    classifier: { indices, z, n },
    calibrator: new IsotonicCalibrator(x, y),
    metrics,
    pageFlowCounts,
    channelCounts,
  });
}

function readMetrics(r: ByteReader): ModelMetrics {
  const [examples, positives, lifetimeLogLoss, window, auc, logLoss, rawLogLoss, ece, rawEce] =
    Array.from({ length: 9 }, () => r.f64()) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
  if (
    r.problem === undefined &&
    ![examples, positives, window].every((v) => Number.isInteger(v) && v >= 0)
  ) {
    r.fail('bad metric counts');
  }
  const bins = r.varint();
  if (r.problem === undefined && bins * BIN_BYTES > r.remaining) r.fail('bin count exceeds input');
  const reliability: ReliabilityBin[] = [];
  for (let b = 0; b < bins && r.problem === undefined; b++) {
    reliability.push({
      lower: r.f64(),
      upper: r.f64(),
      count: r.f64(),
      meanPredicted: r.f64(),
      observedRate: r.f64(),
    });
  }
  return {
    examples,
    positives,
    lifetimeLogLoss,
    window,
    auc,
    logLoss,
    rawLogLoss,
    ece,
    rawEce,
    reliability,
  };
}

/** A length-prefixed Markov delta; a bad one is recorded as the reader's problem. */
export function readDelta(r: ByteReader, what: string): MarkovDelta | undefined {
  const bytes = r.blob();
  if (r.problem !== undefined) return undefined;
  const delta = decodeDelta(bytes);
  if (!delta.ok) {
    r.fail(`${what} counts: ${delta.reason}`);
    return undefined;
  }
  return delta.value;
}
