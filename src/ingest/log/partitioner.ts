/**
 * Kafka's DefaultPartitioner for keyed records, as a pure function: a key goes to
 * `toPositive(murmur2(utf8(key))) % partitions`. The in-memory log places keys with it, and the
 * Kafka producer uses kafkajs's Java-compatible partitioner, which computes the same number —
 * so a visitor's events land on the same partition number in both shapes, and on the same
 * partition a Java, librdkafka (`murmur2_random`) or kafkajs producer would choose.
 */

const SEED = 0x9747b28c;
// Mixing constants of MurmurHash2 (Austin Appleby), as in org.apache.kafka.common.utils.Utils.
const M = 0x5bd1e995;
const R = 24;

/**
 * 32-bit MurmurHash2 exactly as Java's `Utils.murmur2(byte[])` of the first `length` bytes:
 * signed result, 32-bit wrap-around multiplication (Math.imul) where Java's int overflows.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = SEED ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  // Java's switch falls through from case 3 to case 1; the same as cumulative ifs.
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: masks the sign bit (not Math.abs, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's DefaultPartitioner gives a keyed record. Strings hash as UTF-8. */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
  if (typeof key !== 'string') return toPositive(murmur2(key)) % partitions;
  // A key's UTF-8 takes at most 3 bytes per UTF-16 unit: short keys hash from a reused buffer.
  if (key.length * 3 <= scratch.length) {
    return toPositive(murmur2(scratch, scratch.write(key, 'utf8'))) % partitions;
  }
  return toPositive(murmur2(Buffer.from(key, 'utf8'))) % partitions;
}

const scratch = Buffer.allocUnsafe(768);
