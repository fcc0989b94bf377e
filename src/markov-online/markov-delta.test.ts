import { describe, expect, it } from 'vitest';
import { MarkovChain } from './markov-chain.js';
import { decodeDelta, encodeDelta, type MarkovDelta } from './markov-delta.js';
import { START } from './state-space.js';

function sampleDelta(): MarkovDelta {
  const chain = new MarkovChain({ order: 2, halfLifeMs: 60_000 });
  const paths = [
    ['ünïcödé 🚀', 'b'],
    ['b', 'x'.repeat(10_000), 'b'],
    ['a;b "quoted" \\ back', 'b'],
  ];
  paths.forEach((path, i) => {
    let state = START;
    for (const item of path) state = chain.step(state, item, 1_000 * i);
    chain.convert(state, 1_000 * i, 2, 19.99);
    chain.drop(state, 1_000 * i + 1);
  });
  return chain.exportDelta();
}

describe('Markov delta encoding', () => {
  it('round-trips exactly', () => {
    const delta = sampleDelta();
    const decoded = decodeDelta(encodeDelta(delta));
    expect(decoded).toEqual({ ok: true, value: delta });
  });

  it('is compact: about 20 bytes an edge plus the names', () => {
    const chain = new MarkovChain();
    for (let i = 0; i < 1_000; i++) {
      const a = chain.step(START, `p${i % 50}`, i);
      const b = chain.step(a, `p${(i * 7) % 50}`, i);
      chain.drop(b, i);
    }
    const delta = chain.exportDelta();
    const bytes = encodeDelta(delta);
    const nameBytes = delta.items.reduce((sum, name) => sum + name.length + 1, 0);
    expect(bytes.length).toBeLessThan(
      nameBytes + delta.states.length * 2 + delta.edges.from.length * 20 + 64,
    );
  });

  it('round-trips an empty delta (nothing counted, no decay reference)', () => {
    const delta = new MarkovChain().exportDelta();
    expect(delta.referenceTime).toBeNull();
    expect(decodeDelta(encodeDelta(delta))).toEqual({ ok: true, value: delta });
  });

  it('rejects every truncation of a valid delta without throwing', () => {
    const bytes = encodeDelta(sampleDelta());
    for (let length = 0; length < bytes.length; length += 97) {
      const result = decodeDelta(bytes.subarray(0, length));
      expect(result.ok).toBe(false);
    }
  });

  const valid = encodeDelta(sampleDelta());
  const corrupt = (at: number, byte: number): Uint8Array => {
    const copy = valid.slice();
    copy[at] = byte;
    return copy;
  };
  it.each([
    ['empty input', new Uint8Array(0), 'truncated'],
    ['bad magic', corrupt(0, 0x00), 'bad magic'],
    ['unknown version', corrupt(4, 9), 'version'],
    ['order 0', corrupt(5, 0), 'order'],
    ['trailing bytes', Uint8Array.from([...valid, 0]), 'trailing'],
    ['random bytes', Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) % 256), 'invalid'],
    [
      'huge edge count',
      Uint8Array.from([0x50, 0x43, 0x4d, 0x44, 1, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      'edge count',
    ],
  ])('rejects %s', (_name, bytes, reason) => {
    const result = decodeDelta(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('delta_invalid');
      expect(result.reason).toContain(reason);
    }
  });

  it('rejects negative or non-finite weights and edges into start', () => {
    const chain = new MarkovChain();
    chain.drop(chain.step(START, 'a', 0), 0);
    const delta = chain.exportDelta();
    for (const edges of [
      { ...delta.edges, weight: Float64Array.from([-1, 1]) },
      { ...delta.edges, weight: Float64Array.from([Number.NaN, 1]) },
      { ...delta.edges, value: Float64Array.from([Number.POSITIVE_INFINITY, 0]) },
      { ...delta.edges, to: Uint32Array.from([0, 2]) },
    ]) {
      const result = decodeDelta(encodeDelta({ ...delta, edges }));
      expect(result.ok).toBe(false);
    }
  });
});
