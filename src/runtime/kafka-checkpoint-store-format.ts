import { createHash } from 'node:crypto';
import { decodeCheckpoint, type Checkpoint } from './checkpoint-store.js';

/**
 * The records of a checkpoint on the compacted checkpoints topic (pure functions, unit-tested).
 *
 * A partition's checkpoint is written to one of two slots, alternately, as a few chunks. Each
 * chunk is a record of its own key — (group, topic, partition, slot, chunk) — so compaction
 * keeps the latest chunk of every key and never an older half of a checkpoint in place of a
 * newer one. A writer always overwrites the slot that does NOT hold the latest complete
 * checkpoint: a kill -9 between two chunks tears only the slot being written, and the other
 * still holds the previous checkpoint whole. Every chunk carries the checkpoint's sequence
 * number, the chunk count, the total length and a SHA-256 of the whole checkpoint, so a torn or
 * corrupt slot is detected on restore and never applied.
 */

const MAGIC = 0x50434332; // "PCC2"
const FORMAT_VERSION = 1;
/** Magic, version, slot, reserved, sequence, chunk index, chunk count, total length, digest. */
export const CHUNK_HEADER_BYTES = 4 + 1 + 1 + 2 + 8 + 4 + 4 + 4 + 32;

/** The two slots a partition's checkpoints alternate between. */
export type Slot = 0 | 1;

/** Which partition's checkpoint: the events topic, the consumer group, the partition. */
export interface CheckpointAddress {
  readonly topic: string;
  readonly group: string;
  readonly partition: number;
}

/** A record key decoded: whose checkpoint, which slot, which chunk. */
export interface ChunkKey extends CheckpointAddress {
  readonly slot: Slot;
  readonly chunk: number;
}

/** A chunk record's value decoded (not yet checked against its sibling chunks). */
export interface Chunk {
  readonly slot: Slot;
  readonly seq: number;
  readonly index: number;
  readonly count: number;
  readonly totalBytes: number;
  readonly digest: Buffer;
  readonly data: Buffer;
}

/** A record under a chunk key whose value could not be decoded. */
export interface CorruptChunk {
  readonly corrupt: string;
}

/** One partition's address as a string, for maps. */
export function addressKey(address: CheckpointAddress): string {
  return JSON.stringify([address.group, address.topic, address.partition]);
}

/** The record key of one chunk: JSON, so no group or topic name can collide with another. */
export function chunkKey(address: CheckpointAddress, slot: Slot, chunk: number): string {
  return JSON.stringify([address.group, address.topic, address.partition, slot, chunk]);
}

/** A record key of the checkpoints topic, or undefined when it is not a chunk key. */
export function parseChunkKey(key: string): ChunkKey | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    return undefined; // another writer's key: not ours to read
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) return undefined;
  const [group, topic, partition, slot, chunk] = parsed as unknown[];
  if (typeof group !== 'string' || typeof topic !== 'string') return undefined;
  if (!isIndex(partition) || (slot !== 0 && slot !== 1) || !isIndex(chunk)) return undefined;
  return { group, topic, partition, slot, chunk };
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function digestOf(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Splits an encoded checkpoint into chunk records' values of at most `chunkBytes` data each
 * (one chunk for an empty checkpoint).
 */
export function encodeChunks(
  encoded: Buffer,
  slot: Slot,
  seq: number,
  chunkBytes: number,
): Buffer[] {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`chunkBytes must be a positive integer, got ${chunkBytes}`);
  }
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`bad sequence ${seq}`);
  if (encoded.length > 0xffff_ffff) throw new RangeError('checkpoint over 4 GiB');
  const count = Math.max(1, Math.ceil(encoded.length / chunkBytes));
  const digest = digestOf(encoded);
  const chunks: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const data = encoded.subarray(index * chunkBytes, (index + 1) * chunkBytes);
    const header = Buffer.alloc(CHUNK_HEADER_BYTES);
    header.writeUInt32BE(MAGIC, 0);
    header.writeUInt8(FORMAT_VERSION, 4);
    header.writeUInt8(slot, 5);
    header.writeDoubleBE(seq, 8);
    header.writeUInt32BE(index, 16);
    header.writeUInt32BE(count, 20);
    header.writeUInt32BE(encoded.length, 24);
    digest.copy(header, 28);
    chunks.push(Buffer.concat([header, data]));
  }
  return chunks;
}

/** A chunk record's value, or what is wrong with it. Never throws. */
export function decodeChunk(value: Buffer): Chunk | CorruptChunk {
  if (value.length < CHUNK_HEADER_BYTES) return { corrupt: `${value.length} bytes, no header` };
  if (value.readUInt32BE(0) !== MAGIC) return { corrupt: 'not a checkpoint chunk' };
  const version = value.readUInt8(4);
  if (version !== FORMAT_VERSION) return { corrupt: `unknown chunk format ${version}` };
  const slot = value.readUInt8(5);
  const seq = value.readDoubleBE(8);
  const index = value.readUInt32BE(16);
  const count = value.readUInt32BE(20);
  const totalBytes = value.readUInt32BE(24);
  if (slot !== 0 && slot !== 1) return { corrupt: `bad slot ${slot}` };
  if (!Number.isSafeInteger(seq) || seq < 1) return { corrupt: `bad sequence ${seq}` };
  if (count < 1 || index >= count) return { corrupt: `chunk ${index} of ${count}` };
  return {
    slot,
    seq,
    index,
    count,
    totalBytes,
    digest: Buffer.from(value.subarray(28, CHUNK_HEADER_BYTES)),
    data: Buffer.from(value.subarray(CHUNK_HEADER_BYTES)),
  };
}

export function isCorrupt(chunk: Chunk | CorruptChunk): chunk is CorruptChunk {
  return 'corrupt' in chunk;
}

/** A slot put back together: the checkpoint and its sequence, or why it cannot be used. */
export type AssembledSlot =
  | { readonly ok: true; readonly seq: number; readonly checkpoint: Checkpoint }
  | { readonly ok: false; readonly reason: string };

/**
 * The checkpoint a slot holds, from the latest record of each of its chunk keys: every chunk of
 * the first chunk's checkpoint present, of the same checkpoint, and the whole matching its
 * digest and decoding. Pure; never throws.
 */
export function assembleSlot(chunks: ReadonlyMap<number, Chunk | CorruptChunk>): AssembledSlot {
  const first = chunks.get(0);
  if (first === undefined) return { ok: false, reason: 'no first chunk' };
  if (isCorrupt(first)) return { ok: false, reason: `first chunk: ${first.corrupt}` };
  const parts: Buffer[] = [];
  for (let index = 0; index < first.count; index++) {
    const chunk = chunks.get(index);
    if (chunk === undefined) return { ok: false, reason: `chunk ${index} missing` };
    if (isCorrupt(chunk)) return { ok: false, reason: `chunk ${index}: ${chunk.corrupt}` };
    const same =
      chunk.seq === first.seq &&
      chunk.count === first.count &&
      chunk.totalBytes === first.totalBytes &&
      chunk.digest.equals(first.digest);
    // A torn write: this chunk is still the older checkpoint's.
    if (!same) return { ok: false, reason: `chunk ${index} is of checkpoint ${chunk.seq}` };
    parts.push(chunk.data);
  }
  const encoded = Buffer.concat(parts);
  if (encoded.length !== first.totalBytes) {
    return { ok: false, reason: `${encoded.length} bytes, expected ${first.totalBytes}` };
  }
  if (!digestOf(encoded).equals(first.digest)) return { ok: false, reason: 'digest mismatch' };
  try {
    return { ok: true, seq: first.seq, checkpoint: decodeCheckpoint(encoded) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
