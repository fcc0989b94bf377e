import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PathcastError, silentLogger } from '../core/index.js';
import { MemoryEventLog } from '../ingest/index.js';
import { encodeCheckpoint, type Checkpoint } from './checkpoint-store.js';
import { KafkaCheckpointStore } from './kafka-checkpoint-store.js';
import {
  CHUNK_HEADER_BYTES,
  assembleSlot,
  chunkKey,
  decodeChunk,
  encodeChunks,
  parseChunkKey,
  type Chunk,
  type CorruptChunk,
} from './kafka-checkpoint-store-format.js';

const TOPIC = 't.checkpoints';
const EVENTS = 't.events';
const GROUP = 'processors';

function checkpoint(nextOffset: number, bytes: number): Checkpoint {
  return { nextOffset, state: randomBytes(bytes) };
}

function slotOf(values: readonly Buffer[]): Map<number, Chunk | CorruptChunk> {
  return new Map(values.map((value, index) => [index, decodeChunk(value)]));
}

describe('checkpoint chunk format', () => {
  it('splits a checkpoint into chunks and puts it back together', () => {
    const original = checkpoint(1234, 10_000);
    const chunks = encodeChunks(encodeCheckpoint(original), 1, 7, 4096);
    expect(chunks).toHaveLength(3);
    expect(Math.max(...chunks.map((c) => c.length))).toBe(4096 + CHUNK_HEADER_BYTES);
    const assembled = assembleSlot(slotOf(chunks));
    expect(assembled).toEqual({ ok: true, seq: 7, checkpoint: original });
  });

  it('detects a torn slot: a chunk still of the previous checkpoint', () => {
    const older = encodeChunks(encodeCheckpoint(checkpoint(10, 9_000)), 0, 1, 4096);
    const newer = encodeChunks(encodeCheckpoint(checkpoint(20, 9_000)), 0, 3, 4096);
    const torn = slotOf([newer[0]!, newer[1]!, older[2]!]);
    expect(assembleSlot(torn)).toEqual({ ok: false, reason: 'chunk 2 is of checkpoint 1' });
    expect(assembleSlot(slotOf([newer[0]!, newer[1]!]))).toEqual({
      ok: false,
      reason: 'chunk 2 missing',
    });
  });

  it('detects flipped bytes, garbage and a wrong header, and never throws', () => {
    const [only] = encodeChunks(encodeCheckpoint(checkpoint(5, 100)), 0, 2, 4096);
    const flipped = Buffer.from(only!);
    flipped[flipped.length - 1]! ^= 0xff;
    expect(assembleSlot(slotOf([flipped]))).toEqual({ ok: false, reason: 'digest mismatch' });
    expect(decodeChunk(Buffer.from('{"not":"a checkpoint"}'))).toEqual({
      corrupt: '22 bytes, no header',
    });
    const garbage = randomBytes(200);
    expect(assembleSlot(slotOf([garbage]))).toMatchObject({ ok: false });
    const badCount = Buffer.from(only!);
    badCount.writeUInt32BE(0, 20);
    expect(decodeChunk(badCount)).toEqual({ corrupt: 'chunk 0 of 0' });
  });

  it('keys chunks unambiguously and ignores keys that are not its own', () => {
    const address = { group: 'a"b,c', topic: 't.events', partition: 3 };
    expect(parseChunkKey(chunkKey(address, 1, 4))).toEqual({ ...address, slot: 1, chunk: 4 });
    for (const foreign of ['', 'x', '[]', '["g","t",1,2,0]', '["g","t",-1,0,0]', '{"a":1}']) {
      expect(parseChunkKey(foreign)).toBeUndefined();
    }
  });
});

describe('KafkaCheckpointStore (on the in-memory log)', () => {
  const closing: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const item of closing.splice(0).reverse()) await item.close();
  });

  async function setUp(chunkBytes = 4096) {
    const log = new MemoryEventLog({}, { logger: silentLogger });
    await log.start();
    closing.push(log);
    await log.ensureTopics([{ name: TOPIC, partitions: 1, compacted: true }]);
    const open = async (): Promise<KafkaCheckpointStore> => {
      const store = new KafkaCheckpointStore(
        { log, topic: TOPIC, logger: silentLogger },
        { chunkBytes, catchUpTimeoutMs: 5_000 },
      );
      await store.start();
      closing.push(store);
      return store;
    };
    return { log, open };
  }

  it('restores the latest of several checkpoints, in another process', async () => {
    const { open } = await setUp();
    const writer = await open();
    expect(await writer.load(EVENTS, GROUP, 0)).toBeUndefined();
    const saved: Checkpoint[] = [];
    for (let n = 1; n <= 5; n++) {
      const c = checkpoint(n * 100, 3_000 + n * 2_000);
      saved.push(c);
      await writer.save(EVENTS, GROUP, 0, c);
    }
    await writer.save(EVENTS, GROUP, 1, checkpoint(7, 10));
    await writer.save(EVENTS, 'other-group', 0, checkpoint(9, 10));
    const reader = await open();
    expect(await reader.load(EVENTS, GROUP, 0)).toEqual(saved[4]);
    expect((await reader.load(EVENTS, GROUP, 1))?.nextOffset).toBe(7);
    expect((await reader.load(EVENTS, 'other-group', 0))?.nextOffset).toBe(9);
    expect(await reader.load(EVENTS, GROUP, 2)).toBeUndefined();
    expect(await writer.load(EVENTS, GROUP, 0)).toEqual(saved[4]);
  });

  it('restores the previous checkpoint when the newest one was torn, and keeps it safe', async () => {
    const { log, open } = await setUp();
    const writer = await open();
    const good = checkpoint(500, 12_000);
    await writer.save(EVENTS, GROUP, 0, checkpoint(400, 12_000));
    await writer.save(EVENTS, GROUP, 0, good);
    // A kill -9 after the first chunk of the next checkpoint (slot 0 = the older one's).
    const address = { topic: EVENTS, group: GROUP, partition: 0 };
    const next = encodeChunks(encodeCheckpoint(checkpoint(600, 12_000)), 0, 3, 4096);
    await log.produce(TOPIC, [{ key: chunkKey(address, 0, 0), value: next[0]! }]);

    const restarted = await open();
    expect(await restarted.load(EVENTS, GROUP, 0)).toEqual(good);
    // The next save goes to the torn slot, never over the good one: tear it again.
    const later = checkpoint(700, 12_000);
    await restarted.save(EVENTS, GROUP, 0, later);
    expect(await (await open()).load(EVENTS, GROUP, 0)).toEqual(later);
    const torn = encodeChunks(encodeCheckpoint(checkpoint(800, 12_000)), 1, 5, 4096);
    await log.produce(TOPIC, [{ key: chunkKey(address, 1, 0), value: torn[0]! }]);
    expect(await (await open()).load(EVENTS, GROUP, 0)).toEqual(later);
  });

  it('never applies a corrupt record, and refuses to guess when no slot is readable', async () => {
    const { log, open } = await setUp();
    const writer = await open();
    const first = checkpoint(10, 100);
    await writer.save(EVENTS, GROUP, 0, first);
    await writer.save(EVENTS, GROUP, 0, checkpoint(20, 100));
    const address = { topic: EVENTS, group: GROUP, partition: 0 };
    // The newest slot (1) overwritten by garbage: the older slot is restored.
    await log.produce(TOPIC, [{ key: chunkKey(address, 1, 0), value: randomBytes(300) }]);
    expect(await (await open()).load(EVENTS, GROUP, 0)).toEqual(first);
    await log.produce(TOPIC, [{ key: chunkKey(address, 0, 0), value: Buffer.from('garbage') }]);
    const error = await (await open()).load(EVENTS, GROUP, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PathcastError);
    expect(error).toMatchObject({ code: 'checkpoint_corrupt', retriable: false });
  });

  it('sees a checkpoint another store saved after it started', async () => {
    const { open } = await setUp();
    const [a, b] = [await open(), await open()];
    expect(await b.load(EVENTS, GROUP, 3)).toBeUndefined();
    const handed = checkpoint(42, 9_000);
    await a.save(EVENTS, GROUP, 3, handed);
    expect(await b.load(EVENTS, GROUP, 3)).toEqual(handed);
  });

  it('hands followers every newer complete checkpoint, whoever saved it, never a torn one', async () => {
    const { log, open } = await setUp();
    const [writer, follower] = [await open(), await open()];
    const early = checkpoint(1, 5_000);
    await writer.save(EVENTS, GROUP, 0, early);
    await follower.load(EVENTS, GROUP, 0); // caught up: the follower has read `early`
    const seen: Array<[number, number]> = [];
    const unfollow = follower.follow(EVENTS, GROUP, 0, (c, seq) => seen.push([c.nextOffset, seq]));
    // At once with the newest already read.
    expect(seen).toEqual([[1, 1]]);
    await writer.save(EVENTS, GROUP, 1, checkpoint(99, 10)); // another address: not followed
    const later = checkpoint(2, 9_000);
    await writer.save(EVENTS, GROUP, 0, later);
    await follower.load(EVENTS, GROUP, 0);
    expect(seen).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // A torn write (the first of three chunks) is not handed on; the whole next one is.
    const address = { topic: EVENTS, group: GROUP, partition: 0 };
    const torn = encodeChunks(encodeCheckpoint(checkpoint(3, 12_000)), 0, 3, 4096);
    await log.produce(TOPIC, [{ key: chunkKey(address, 0, 0), value: torn[0]! }]);
    await follower.load(EVENTS, GROUP, 0);
    expect(seen).toHaveLength(2);
    await log.produce(TOPIC, [
      { key: chunkKey(address, 0, 1), value: torn[1]! },
      { key: chunkKey(address, 0, 2), value: torn[2]! },
    ]);
    await follower.load(EVENTS, GROUP, 0);
    expect(seen[2]).toEqual([3, 3]);
    unfollow();
    await writer.save(EVENTS, GROUP, 0, checkpoint(4, 10));
    await follower.load(EVENTS, GROUP, 0);
    expect(seen).toHaveLength(3);
  });
});
