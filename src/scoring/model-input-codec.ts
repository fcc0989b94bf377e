import { fail, ok, type Result } from '../core/index.js';
import { ByteReader, ByteWriter, encodeDelta } from '../markov-online/index.js';
import { MAX_BITS, MIN_BITS } from './feature-hasher.js';
import { readDelta } from './model-codec.js';
import type { CountedSession, MarkovDeltas } from './session-chains.js';
import type { LabelledPrefix, LabelledSession } from './session-labeller.js';

/**
 * What a scoring process ships to the trainer role: one record of the model-inputs topic.
 * Shippers of this build send `closed` records; `labelled` and `deltas` (what earlier ones
 * sent) are still read, so a topic written by both during an upgrade is learnt in full.
 */
export type ModelInput =
  | {
      /**
       * A closed session to count (its path and channel touch) and its sampled prefixes to
       * learn (possibly none), one unit for the trainer's deduplication by session id.
       */
      readonly kind: 'closed';
      readonly session: CountedSession;
      /** Bits of the hasher the prefixes' indices were made with. */
      readonly bits: number;
      readonly prefixes: readonly LabelledPrefix[];
    }
  | { readonly kind: 'labelled'; readonly session: LabelledSession }
  | {
      readonly kind: 'deltas';
      readonly deltas: Partial<MarkovDeltas>;
      /**
       * Unique to this record (its shipper's, see ModelInputsShipper): the trainer merges a
       * deltas record with an id once, however often it is produced. Absent in format 1.
       */
      readonly id?: string;
    };

export type ModelInputErrorCode = 'model_input_invalid';

const MAGIC = [0x50, 0x43, 0x4d, 0x49] as const; // "PCMI"
/**
 * 2: a deltas record ends with its id. 3: closed records. Records of formats 1 and 2 are still
 * read.
 */
const FORMAT_VERSION = 3;
const KIND_LABELLED = 1;
const KIND_DELTAS = 2;
const KIND_CLOSED = 3;
const CONVERTED = 1;
const HAS_PAGE_FLOW = 1;
const HAS_CHANNELS = 2;
/** Smallest prefix: event count, label, index count (1 byte each, no index). */
const MIN_PREFIX_BYTES = 3;

/**
 * Binary form, little-endian: "PCMI", format version u8, kind u8, then (strings as varint
 * length + UTF-8)
 *   labelled (1): session id, then its prefixes: bits u8, prefix count varint, per prefix:
 *     event count varint, label u8, index count varint, the indices as varints (in the
 *     hasher's order: a prediction sums the weights in this order, so learning from a decoded
 *     session is bit-for-bit learning from the original);
 *   closed (3): session id, site, visitor, start and end f64 (ms), entry channel, flags u8
 *     (1 converted), revenue f64, path length varint and its page types, then its prefixes as
 *     in labelled;
 *   deltas (2): flags u8 (1 page flow, 2 channels), then each present delta length-prefixed
 *     (markov-online's "PCMD" encoding), then (format 2) the record's id (varint length + UTF-8;
 *     empty for none).
 * A 30-feature prefix of a 2^20 model takes about 95 bytes.
 */
export function encodeModelInput(input: ModelInput): Uint8Array {
  const w = new ByteWriter(
    input.kind === 'deltas'
      ? 1024
      : 256 + (input.kind === 'closed' ? input.prefixes : input.session.prefixes).length * 128,
  );
  for (const byte of MAGIC) w.u8(byte);
  w.u8(FORMAT_VERSION);
  if (input.kind === 'closed') {
    const { session } = input;
    w.u8(KIND_CLOSED);
    w.string(session.id);
    w.string(session.site);
    w.string(session.visitor);
    w.f64(session.startedAt);
    w.f64(session.endedAt);
    w.string(session.entryChannel);
    w.u8(session.converted ? CONVERTED : 0);
    w.f64(session.revenue);
    w.varint(session.path.length);
    for (const page of session.path) w.string(page);
    writePrefixes(w, input.bits, input.prefixes);
  } else if (input.kind === 'labelled') {
    w.u8(KIND_LABELLED);
    w.string(input.session.sessionId);
    writePrefixes(w, input.session.bits, input.session.prefixes);
  } else {
    const { pageFlow, channels } = input.deltas;
    w.u8(KIND_DELTAS);
    w.u8(
      (pageFlow === undefined ? 0 : HAS_PAGE_FLOW) | (channels === undefined ? 0 : HAS_CHANNELS),
    );
    if (pageFlow !== undefined) w.blob(encodeDelta(pageFlow));
    if (channels !== undefined) w.blob(encodeDelta(channels));
    w.string(input.id ?? '');
  }
  return w.finish();
}

function writePrefixes(w: ByteWriter, bits: number, prefixes: readonly LabelledPrefix[]): void {
  w.u8(bits);
  w.varint(prefixes.length);
  for (const prefix of prefixes) {
    w.varint(prefix.eventCount);
    w.u8(prefix.label);
    w.varint(prefix.indices.length);
    for (const index of prefix.indices) w.varint(index);
  }
}

/**
 * Parses and checks a model input from untrusted bytes (a Kafka record). Never throws: anything
 * malformed is a `model_input_invalid` failure naming the problem.
 */
export function decodeModelInput(bytes: Uint8Array): Result<ModelInput, ModelInputErrorCode> {
  const r = new ByteReader(bytes);
  for (const byte of MAGIC) if (r.u8() !== byte) r.fail('not a model input (bad magic)');
  const format = r.u8();
  if (r.problem === undefined && (format < 1 || format > FORMAT_VERSION)) {
    r.fail(`unsupported format version ${format}`);
  }
  const kind = r.u8();
  let input: ModelInput | undefined;
  if (r.problem === undefined) {
    if (kind === KIND_LABELLED) input = readLabelled(r);
    else if (kind === KIND_DELTAS) input = readDeltas(r, format);
    else if (kind === KIND_CLOSED && format >= 3) input = readClosed(r);
    else r.fail(`unknown kind ${kind}`);
  }
  if (r.problem === undefined && !r.atEnd) r.fail('trailing bytes');
  if (r.problem !== undefined || input === undefined) {
    return fail('model_input_invalid', `invalid model input: ${r.problem ?? 'empty'}`);
  }
  return ok(input);
}

function readLabelled(r: ByteReader): ModelInput | undefined {
  const sessionId = readSessionId(r);
  const { bits, prefixes } = readPrefixes(r);
  return { kind: 'labelled', session: { sessionId, bits, prefixes } };
}

function readSessionId(r: ByteReader): string {
  const sessionId = r.string();
  if (r.problem === undefined && sessionId === '') r.fail('empty session id');
  return sessionId;
}

function readClosed(r: ByteReader): ModelInput | undefined {
  const id = readSessionId(r);
  const site = r.string();
  const visitor = r.string();
  const startedAt = r.f64();
  const endedAt = r.f64();
  if (
    r.problem === undefined &&
    !(Number.isFinite(startedAt) && Number.isFinite(endedAt) && endedAt >= startedAt)
  ) {
    r.fail(`session times ${startedAt}..${endedAt}`);
  }
  const entryChannel = r.string();
  const flags = r.u8();
  if (r.problem === undefined && (flags & ~CONVERTED) !== 0) r.fail(`unknown flags ${flags}`);
  const revenue = r.f64();
  if (r.problem === undefined && !Number.isFinite(revenue)) r.fail(`revenue ${revenue}`);
  const length = r.varint();
  // Each page type takes a byte at least (its length).
  if (r.problem === undefined && length > r.remaining) r.fail('path length exceeds input');
  const path: string[] = [];
  for (let k = 0; k < length && r.problem === undefined; k++) path.push(r.string());
  const { bits, prefixes } = readPrefixes(r);
  const session: CountedSession = {
    id,
    site,
    visitor,
    startedAt,
    endedAt,
    path,
    entryChannel,
    converted: (flags & CONVERTED) !== 0,
    revenue,
  };
  return { kind: 'closed', session, bits, prefixes };
}

function readPrefixes(r: ByteReader): { bits: number; prefixes: LabelledPrefix[] } {
  const bits = r.u8();
  if (r.problem === undefined && (bits < MIN_BITS || bits > MAX_BITS)) {
    r.fail(`bits ${bits} outside ${MIN_BITS}..${MAX_BITS}`);
  }
  const size = 2 ** bits;
  const count = r.varint();
  if (r.problem === undefined && count * MIN_PREFIX_BYTES > r.remaining) {
    r.fail('prefix count exceeds input');
  }
  const prefixes: LabelledPrefix[] = [];
  for (let p = 0; p < count && r.problem === undefined; p++) {
    const eventCount = r.varint();
    const label = r.u8();
    if (r.problem === undefined && eventCount < 1) r.fail(`prefix ${p} has no event`);
    if (r.problem === undefined && label !== 0 && label !== 1) r.fail(`prefix ${p} label ${label}`);
    const length = r.varint();
    if (r.problem === undefined && length > r.remaining)
      r.fail(`prefix ${p} index count exceeds input`);
    const indices = new Uint32Array(r.problem === undefined ? length : 0);
    for (let k = 0; k < indices.length && r.problem === undefined; k++) {
      const index = r.varint();
      if (index >= size) r.fail(`prefix ${p} index ${index} outside 2^${bits}`);
      indices[k] = index;
    }
    prefixes.push({ indices, label: label === 1 ? 1 : 0, eventCount });
  }
  return { bits, prefixes };
}

function readDeltas(r: ByteReader, format: number): ModelInput | undefined {
  const flags = r.u8();
  if (r.problem === undefined && (flags & ~(HAS_PAGE_FLOW | HAS_CHANNELS)) !== 0) {
    r.fail(`unknown delta flags ${flags}`);
  }
  const pageFlow = (flags & HAS_PAGE_FLOW) !== 0 ? readDelta(r, 'page-flow') : undefined;
  const channels = (flags & HAS_CHANNELS) !== 0 ? readDelta(r, 'channel') : undefined;
  const id = format >= 2 ? r.string() : '';
  return {
    kind: 'deltas',
    ...(id === '' ? {} : { id }),
    deltas: {
      ...(pageFlow === undefined ? {} : { pageFlow }),
      ...(channels === undefined ? {} : { channels }),
    },
  };
}
