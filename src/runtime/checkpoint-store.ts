import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { PathcastError } from '../core/index.js';

/**
 * A partition's checkpoint: the offset after the last record whose effects it includes, and the
 * partition's state at that point (the sessionizer's snapshot). Outputs are flushed before a
 * checkpoint is taken, so no pending output needs to be stored beside them.
 */
export interface Checkpoint {
  readonly nextOffset: number;
  readonly state: Buffer;
}

export interface CheckpointStore {
  load(topic: string, group: string, partition: number): Promise<Checkpoint | undefined>;
  /** Resolves once the checkpoint is durable. */
  save(topic: string, group: string, partition: number, checkpoint: Checkpoint): Promise<void>;
}

const MAGIC = 0x50434b31; // "PCK1"

export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32BE(MAGIC, 0);
  header.writeDoubleBE(checkpoint.nextOffset, 4);
  return Buffer.concat([header, checkpoint.state]);
}

export function decodeCheckpoint(bytes: Buffer): Checkpoint {
  if (bytes.length < 12 || bytes.readUInt32BE(0) !== MAGIC) {
    throw new PathcastError('checkpoint_corrupt', 'not a Pathcast partition checkpoint');
  }
  const nextOffset = bytes.readDoubleBE(4);
  if (!Number.isSafeInteger(nextOffset) || nextOffset < 0) {
    throw new PathcastError('checkpoint_corrupt', `bad offset ${nextOffset} in checkpoint`);
  }
  return { nextOffset, state: bytes.subarray(12) };
}

/**
 * Checkpoints as files under the data directory (the embedded shape, and processes on one
 * machine sharing it). Written to a temporary file, fsynced, then renamed over the old one, so a
 * kill -9 at any point leaves either the old or the new checkpoint whole.
 */
export class FileCheckpointStore implements CheckpointStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'checkpoints');
  }

  private file(topic: string, group: string, partition: number): string {
    const safe = (text: string): string => text.replace(/[^A-Za-z0-9._-]/g, '_');
    return join(this.dir, `${safe(group)}--${safe(topic)}--${partition}.ckpt`);
  }

  async load(topic: string, group: string, partition: number): Promise<Checkpoint | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file(topic, group, partition));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
      throw error;
    }
    return decodeCheckpoint(bytes);
  }

  async save(
    topic: string,
    group: string,
    partition: number,
    checkpoint: Checkpoint,
  ): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.file(topic, group, partition);
    const temporary = `${target}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(encodeCheckpoint(checkpoint));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  }
}
