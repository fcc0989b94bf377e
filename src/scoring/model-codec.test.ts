import { beforeAll, describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../markov-online/index.js';
import {
  createFeatureHasher,
  FEATURE_SCHEMA_VERSION,
  FeatureVector,
  type FeatureHasher,
} from './feature-hasher.js';
import { decodeModel, encodeModel } from './model-codec.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { seededRandom } from './random.js';
import { SessionBuilder } from './testing/session-builder.js';
import { trainSmallModel } from './testing/trained-model.js';

let hasher: FeatureHasher;
let model: ModelSnapshot;
let bytes: Uint8Array;
beforeAll(async () => {
  hasher = await createFeatureHasher({ bits: 14 });
  model = trainSmallModel(hasher);
  bytes = encodeModel(model);
});

function decoded(input: Uint8Array): ModelSnapshot {
  const result = decodeModel(input);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

describe('encodeModel / decodeModel', () => {
  it('round-trips a trained model', () => {
    const copy = decoded(bytes);
    const { classifier, calibrator, metrics, ...header } = model.parts;
    expect(copy.parts).toMatchObject({
      ...header,
      pageFlowCounts: expect.anything(),
      channelCounts: expect.anything(),
    });
    expect(copy.parts.metrics).toEqual(metrics);
    expect(copy.parts.calibrator).toEqual(calibrator);
    expect(calibrator.knots).toBeGreaterThan(1);
    // The classifier travels as float32.
    expect(Array.from(copy.parts.classifier.indices)).toEqual(Array.from(classifier.indices));
    expect(Array.from(copy.parts.classifier.z)).toEqual(Array.from(classifier.z, Math.fround));
    expect(Array.from(copy.parts.classifier.n)).toEqual(Array.from(classifier.n, Math.fround));
    // Re-encoding the decoded model gives the same bytes.
    expect(encodeModel(copy)).toEqual(bytes);
  });

  it('reads a Node Buffer, also one that is a view into a bigger pool', () => {
    expect(decodeModel(Buffer.from(bytes)).ok).toBe(true);
    const pool = Buffer.alloc(bytes.length + 13);
    pool.set(bytes, 7);
    expect(decodeModel(pool.subarray(7, 7 + bytes.length)).ok).toBe(true);
  });

  it('serves the same scores after a round trip', () => {
    const copy = decoded(bytes);
    const builder = new SessionBuilder({ id: 'probe', channel: 'Email' });
    builder.event({ at: 1_700_000_000_000, page: '/home' });
    const update = builder.event({ at: 1_700_000_030_000, page: '/cart' });
    const vector = new FeatureVector();
    for (const path of [['/home'], ['/home', '/cart'], ['/blog'], []]) {
      expect(copy.markovProbability(path)).toBeCloseTo(model.markovProbability(path), 12);
      expect(copy.nextPages(path)).toEqual(model.nextPages(path));
    }
    hasher.extract(update, { markovProbability: 0.2 }, vector);
    expect(copy.propensity(vector.indices, vector.count)).toBeCloseTo(
      model.propensity(vector.indices, vector.count),
      6,
    );
    expect(copy.channels.expectedValue()).toBeCloseTo(model.channels.expectedValue(), 9);
  });

  it('is compact: about 11 bytes a touched coordinate plus the counts', () => {
    const coordinates = model.parts.classifier.indices.length;
    expect(coordinates).toBeGreaterThan(50);
    expect(bytes.length).toBeLessThan(coordinates * 11 + 4000);
  });

  it('fails, never throws, on every truncation and on random garbage', () => {
    for (let length = 0; length < bytes.length; length++) {
      const result = decodeModel(bytes.subarray(0, length));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.code).toBe('model_invalid');
    }
    const random = seededRandom(4);
    for (let trial = 0; trial < 200; trial++) {
      const garbage = Uint8Array.from({ length: 5 + Math.floor(random() * 300) }, () =>
        Math.floor(random() * 256),
      );
      if (trial % 2 === 0) garbage.set([0x50, 0x43, 0x4d, 0x53, 1]);
      expect(decodeModel(garbage).ok).toBe(false);
    }
  });

  it('never throws on single flipped bytes', () => {
    const random = seededRandom(8);
    for (let trial = 0; trial < 400; trial++) {
      const copy = bytes.slice();
      const at = Math.floor(random() * copy.length);
      copy[at] = (copy[at] as number) ^ (1 + Math.floor(random() * 255));
      expect(() => decodeModel(copy)).not.toThrow();
    }
  });

  it.each<[string, (w: ByteWriter) => void, string]>([
    ['a bad magic', (w) => w.u8(0), 'bad magic'],
    ['another format version', (w) => magic(w, 9), 'unsupported format version 9'],
    ['bits out of range', (w) => header(w, { bits: 40 }), 'bits 40'],
    ['bad FTRL parameters', (w) => header(w, { alpha: -1 }), 'bad FTRL parameters'],
    [
      'a huge coordinate count',
      (w) => {
        header(w, {});
        w.varint(2 ** 32 - 1);
      },
      'coordinate count exceeds input',
    ],
    [
      'a coordinate outside the model',
      (w) => {
        header(w, { bits: 8 });
        w.varint(1);
        w.varint(256);
        w.f32(1);
        w.f32(1);
      },
      'coordinate 256 outside',
    ],
    [
      'a NaN state',
      (w) => {
        header(w, {});
        w.varint(1);
        w.varint(3);
        w.f32(Number.NaN);
        w.f32(1);
      },
      'bad state',
    ],
    [
      'knots out of order',
      (w) => {
        header(w, {});
        w.varint(0);
        w.varint(2);
        w.f64(0.5);
        w.f64(0.2);
        w.f64(0.4);
        w.f64(0.3);
      },
      'breaks monotonicity',
    ],
  ])('refuses %s with a reason', (_what, write, reason) => {
    const w = new ByteWriter();
    write(w);
    for (let i = 0; i < 64; i++) w.u8(0);
    const result = decodeModel(w.finish());
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('model_invalid');
      expect(result.reason).toContain(reason);
    }
  });

  it('refuses trailing bytes and models of another feature schema', () => {
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    const trailing = decodeModel(longer);
    expect(trailing.ok).toBe(false);
    if (!trailing.ok) expect(trailing.reason).toContain('trailing bytes');
    const other = bytes.slice();
    // Schema byte: after magic (4), format (1), version varint, name, createdAt (8).
    const r = new ByteReader(other);
    for (let i = 0; i < 5; i++) r.u8();
    r.varint();
    r.string();
    r.f64();
    const at = other.length - r.remaining;
    other[at] = 99;
    const result = decodeModel(other);
    expect(result.ok ? 'ok' : result.code).toBe('model_incompatible');
  });
});

function magic(w: ByteWriter, format = 1): void {
  for (const byte of [0x50, 0x43, 0x4d, 0x53]) w.u8(byte);
  w.u8(format);
}

function header(w: ByteWriter, over: { bits?: number; alpha?: number }): void {
  magic(w);
  w.varint(1);
  w.string('ftrl');
  w.f64(0);
  w.u8(FEATURE_SCHEMA_VERSION);
  w.u8(over.bits ?? 10);
  for (const v of [over.alpha ?? 0.1, 1, 1, 1, 0]) w.f64(v);
}
