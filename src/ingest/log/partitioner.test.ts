import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, toPositive } from './partitioner.js';
import { visitorKey } from './record-key.js';

const { Partitioners } = kafkajs;

/** kafkajs's Java-compatible partitioner, asked for a keyed record on `partitions` partitions. */
function kafkajsPartition(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('murmur2', () => {
  // Apache Kafka's own vectors (clients UtilsTest.testMurmur2): the Java client's results.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as the Java client does', (input, expected) => {
    expect(murmur2(Buffer.from(input))).toBe(expected);
  });

  it('covers every tail length and bytes above 0x7f', () => {
    const bytes = Uint8Array.from([0xff, 0x80, 0x7f, 0x00, 0xfe, 0x01, 0xaa]);
    const hashes = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => murmur2(bytes.subarray(0, n)));
    expect(new Set(hashes).size).toBe(8);
    for (const hash of hashes) expect(Number.isInteger(hash) && hash === (hash | 0)).toBe(true);
  });
});

describe('partitionForKey', () => {
  it('masks the sign bit like Kafka, which is not Math.abs', () => {
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(partitionForKey('foobar', 50)).toBe(16);
  });

  it('agrees with kafkajs DefaultPartitioner on many keys and partition counts', () => {
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'ünïcödé',
      '日本語のキー',
      '🙂 emoji',
      'x'.repeat(1_000),
      'é'.repeat(256),
      '日'.repeat(256),
      '🙂'.repeat(200),
      ...Array.from({ length: 2_000 }, (_, i) => visitorKey(`site-${i % 7}`, `anon-${i * 7919}`)),
    ];
    for (const partitions of [1, 2, 3, 8, 12, 64, 1_000]) {
      for (const key of keys) {
        expect(partitionForKey(key, partitions), `${key} on ${partitions}`).toBe(
          kafkajsPartition(key, partitions),
        );
      }
    }
  });

  it('hashes a string as its UTF-8 bytes', () => {
    expect(partitionForKey('日本', 97)).toBe(partitionForKey(Buffer.from('日本', 'utf8'), 97));
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %d partitions', (partitions) => {
    expect(() => partitionForKey('k', partitions)).toThrow(RangeError);
  });
});
