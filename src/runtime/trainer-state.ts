import { fail, ok, type Result } from '../core/index.js';
import {
  decodeModel,
  encodeModel,
  type ModelErrorCode,
  type ModelSnapshot,
} from '../scoring/index.js';

/**
 * What the trainer role saves on the models topic beside the input offset it covers (the
 * checkpoint's nextOffset): the model, and the hashes of the sessions it learnt last (see
 * RecentSessions), so that a new trainer deduplicates like the old one.
 *
 * Binary form: "PCTS" u32 BE, format version u8, hash count u32 BE, the hashes as f64 BE,
 * then the encoded model (scoring's "PCMS" format) to the end.
 */
export interface TrainerState {
  readonly model: ModelSnapshot;
  /** Hashes of recently learnt session ids, oldest first. */
  readonly recent: Float64Array;
}

export type TrainerStateErrorCode = 'trainer_state_invalid' | ModelErrorCode;

const MAGIC = 0x50435453; // "PCTS"
const FORMAT_VERSION = 1;
const HEADER_BYTES = 4 + 1 + 4;

export function encodeTrainerState(model: ModelSnapshot, recent: Float64Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES + recent.length * 8);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt8(FORMAT_VERSION, 4);
  header.writeUInt32BE(recent.length, 5);
  for (let k = 0; k < recent.length; k++) {
    header.writeDoubleBE(recent[k] as number, HEADER_BYTES + k * 8);
  }
  return Buffer.concat([header, encodeModel(model)]);
}

/** Parses a saved trainer state from untrusted bytes. Never throws. */
export function decodeTrainerState(bytes: Buffer): Result<TrainerState, TrainerStateErrorCode> {
  if (bytes.length < HEADER_BYTES || bytes.readUInt32BE(0) !== MAGIC) {
    return fail('trainer_state_invalid', 'not a Pathcast trainer state');
  }
  const version = bytes.readUInt8(4);
  if (version !== FORMAT_VERSION) {
    return fail('trainer_state_invalid', `unsupported trainer state format ${version}`);
  }
  const count = bytes.readUInt32BE(5);
  const modelAt = HEADER_BYTES + count * 8;
  if (modelAt > bytes.length) {
    return fail('trainer_state_invalid', `${count} session hashes exceed the input`);
  }
  const recent = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const hash = bytes.readDoubleBE(HEADER_BYTES + k * 8);
    if (!Number.isSafeInteger(hash) || hash < 0) {
      return fail('trainer_state_invalid', `session hash ${k} is not a 48-bit integer`);
    }
    recent[k] = hash;
  }
  const model = decodeModel(bytes.subarray(modelAt));
  if (!model.ok) return model;
  return ok({ model: model.value, recent });
}
