import { fail, ok, type Result } from '../core/index.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import type { EdgeArrays } from './edge-store.js';
import { FIRST_TRANSIENT } from './state-space.js';

/**
 * Counts one chain instance adds, in a form any other instance (with other ids) can merge:
 * names instead of ids. Counts are additive, so merging the deltas of every instance, in any
 * order, gives the counts of one instance that saw all events.
 */
export interface MarkovDelta {
  readonly order: number;
  readonly collapseRepeats: boolean;
  /** null: counts do not decay. */
  readonly halfLifeMs: number | null;
  /** Forward-decay reference of the weights (see forward-decay.ts); null without decay or counts. */
  readonly referenceTime: number | null;
  /** Newest event time the sender had seen; null if none. */
  readonly latestTime: number | null;
  readonly items: readonly string[];
  /** Transient states as tuples of indexes into `items`; tuple i is delta state FIRST_TRANSIENT + i. */
  readonly states: readonly (readonly number[])[];
  /** Edge endpoints are delta state ids: 0 start, 1 conversion, 2 null, then `states`. */
  readonly edges: EdgeArrays;
}

export type DeltaErrorCode = 'delta_invalid';

const MAGIC = [0x50, 0x43, 0x4d, 0x44] as const; // "PCMD"
const VERSION = 1;
const HAS_HALF_LIFE = 1;
const HAS_REFERENCE = 2;
const HAS_LATEST = 4;
const COLLAPSE = 8;

/**
 * Binary form, little-endian: "PCMD", version u8, order u8, flags u8,
 * [halfLife f64] [reference f64] [latest f64], items (varint count, then varint length + UTF-8
 * each), states (varint count, then u8 length + varint item index each), edges (varint count,
 * then varint from, varint to, f64 weight, f64 value). About 20 bytes an edge.
 */
export function encodeDelta(delta: MarkovDelta): Uint8Array {
  const w = new ByteWriter();
  for (const byte of MAGIC) w.u8(byte);
  w.u8(VERSION);
  w.u8(delta.order);
  w.u8(
    (delta.halfLifeMs !== null ? HAS_HALF_LIFE : 0) |
      (delta.referenceTime !== null ? HAS_REFERENCE : 0) |
      (delta.latestTime !== null ? HAS_LATEST : 0) |
      (delta.collapseRepeats ? COLLAPSE : 0),
  );
  if (delta.halfLifeMs !== null) w.f64(delta.halfLifeMs);
  if (delta.referenceTime !== null) w.f64(delta.referenceTime);
  if (delta.latestTime !== null) w.f64(delta.latestTime);
  w.varint(delta.items.length);
  for (const item of delta.items) w.string(item);
  w.varint(delta.states.length);
  for (const tuple of delta.states) {
    w.u8(tuple.length);
    for (const item of tuple) w.varint(item);
  }
  const { from, to, weight, value } = delta.edges;
  w.varint(from.length);
  for (let i = 0; i < from.length; i++) {
    w.varint(from[i] as number);
    w.varint(to[i] as number);
    w.f64(weight[i] as number);
    w.f64(value[i] as number);
  }
  return w.finish();
}

/** Parses and checks a delta from untrusted bytes (a Kafka message, a file). */
export function decodeDelta(bytes: Uint8Array): Result<MarkovDelta, DeltaErrorCode> {
  const r = new ByteReader(bytes);
  for (const byte of MAGIC) if (r.u8() !== byte) r.fail('not a Markov delta (bad magic)');
  const version = r.u8();
  if (r.problem === undefined && version !== VERSION) r.fail(`unsupported version ${version}`);
  const order = r.u8();
  if (r.problem === undefined && (order < 1 || order > 3)) r.fail(`order ${order} not in 1..3`);
  const flags = r.u8();
  const halfLifeMs = (flags & HAS_HALF_LIFE) !== 0 ? r.f64() : null;
  if (halfLifeMs !== null && !(halfLifeMs > 0 && Number.isFinite(halfLifeMs))) {
    r.fail('half-life must be a positive finite number');
  }
  const referenceTime =
    (flags & HAS_REFERENCE) !== 0 ? finiteOrFail(r, r.f64(), 'reference') : null;
  const latestTime = (flags & HAS_LATEST) !== 0 ? finiteOrFail(r, r.f64(), 'latest time') : null;

  const items: string[] = [];
  const itemCount = r.varint();
  for (let i = 0; i < itemCount && r.problem === undefined; i++) items.push(r.string());

  const states: number[][] = [];
  const stateCount = r.varint();
  for (let i = 0; i < stateCount && r.problem === undefined; i++) {
    const length = r.u8();
    if (length < 1 || length > order) r.fail(`state tuple of length ${length}`);
    const tuple: number[] = [];
    for (let j = 0; j < length && r.problem === undefined; j++) {
      const item = r.varint();
      if (item >= items.length) r.fail(`item index ${item} out of range`);
      tuple.push(item);
    }
    states.push(tuple);
  }

  const edgeCount = r.varint();
  // Each edge takes at least 18 bytes: refuse absurd counts before allocating for them.
  if (r.problem === undefined && edgeCount * 18 > bytes.length) r.fail('edge count exceeds input');
  const n = r.problem === undefined ? edgeCount : 0;
  const edges = {
    from: new Uint32Array(n),
    to: new Uint32Array(n),
    weight: new Float64Array(n),
    value: new Float64Array(n),
  };
  const stateLimit = FIRST_TRANSIENT + states.length;
  for (let i = 0; i < n && r.problem === undefined; i++) {
    edges.from[i] = r.varint();
    edges.to[i] = r.varint();
    edges.weight[i] = r.f64();
    edges.value[i] = r.f64();
    checkEdge(r, edges, i, stateLimit);
  }
  if (r.problem === undefined && !r.atEnd) r.fail('trailing bytes');
  if (r.problem !== undefined) {
    return fail('delta_invalid', `invalid Markov delta: ${r.problem}`);
  }
  return ok({
    order,
    collapseRepeats: (flags & COLLAPSE) !== 0,
    halfLifeMs,
    referenceTime,
    latestTime,
    items,
    states,
    edges,
  });
}

function checkEdge(r: ByteReader, edges: EdgeArrays, i: number, stateLimit: number): void {
  const from = edges.from[i] as number;
  const to = edges.to[i] as number;
  const weight = edges.weight[i] as number;
  const value = edges.value[i] as number;
  if (from >= stateLimit || to >= stateLimit) r.fail(`edge ${i} names an unknown state`);
  // Edges leave start or a transient state, and never enter start.
  else if (from === 1 || from === 2 || to === 0) r.fail(`edge ${i} has impossible endpoints`);
  else if (!(weight >= 0 && Number.isFinite(weight))) r.fail(`edge ${i} has a bad weight`);
  else if (!(value >= 0 && Number.isFinite(value))) r.fail(`edge ${i} has a bad value`);
}

function finiteOrFail(r: ByteReader, value: number, what: string): number {
  if (!Number.isFinite(value)) r.fail(`${what} must be finite`);
  return value;
}

/**
 * Why a delta built in memory (not decoded) is unusable, or undefined if it is sound: the same
 * checks the decoder makes while reading.
 */
export function deltaProblem(delta: MarkovDelta): string | undefined {
  for (const tuple of delta.states) {
    if (tuple.length < 1 || tuple.length > delta.order)
      return `state tuple of length ${tuple.length}`;
    for (const item of tuple) {
      if (!Number.isInteger(item) || item < 0 || item >= delta.items.length) {
        return `item index ${item} out of range`;
      }
    }
  }
  const { from, to, weight, value } = delta.edges;
  if (to.length !== from.length || weight.length !== from.length || value.length !== from.length) {
    return 'edge arrays differ in length';
  }
  const r = new ByteReader(new Uint8Array(0));
  const stateLimit = FIRST_TRANSIENT + delta.states.length;
  for (let i = 0; i < from.length && r.problem === undefined; i++)
    checkEdge(r, delta.edges, i, stateLimit);
  return r.problem;
}
