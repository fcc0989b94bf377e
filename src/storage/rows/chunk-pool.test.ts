import { describe, expect, it } from 'vitest';
import { ChunkPool } from './chunk-pool.js';
import { TsvBuffer } from './tsv-buffer.js';

describe('ChunkPool', () => {
  it('reuses a chunk only when retired, all taken and every view released', () => {
    const pool = new ChunkPool(64, 4);
    const chunk = pool.acquire(10);
    const view = chunk.subarray(0, 10);
    pool.lend(view);
    pool.retire(chunk, true);
    expect(pool.acquire(10)).not.toBe(chunk); // still untaken
    pool.allTaken(view);
    expect(pool.acquire(10)).not.toBe(chunk); // still lent
    pool.release([view]);
    expect(pool.acquire(10)).toBe(chunk);
  });

  it('does not keep oversized chunks nor more than maxFree', () => {
    const pool = new ChunkPool(64, 1);
    const big = pool.acquire(1000);
    expect(big.length).toBe(1000);
    pool.retire(big, false);
    const [a, b] = [pool.acquire(1), pool.acquire(1)] as [Buffer, Buffer];
    pool.retire(a, false);
    pool.retire(b, false);
    const next = pool.acquire(1);
    expect([a, b]).toContain(next);
    expect(next).not.toBe(big);
    expect(pool.acquire(1)).not.toBe(next === a ? b : a); // only one was kept
  });

  it('ignores views it did not lend (a copied body)', () => {
    const pool = new ChunkPool(64);
    expect(() => pool.release([Buffer.from('x')])).not.toThrow();
  });
});

describe('TsvBuffer with recycled chunks', () => {
  it('never overwrites bytes taken and not released; reuses them after release', () => {
    const out = new TsvBuffer(64);
    const row = (i: number) => {
      out.text(`row ${i} ${'x'.repeat(20)}`);
      out.endRow();
    };
    for (let i = 0; i < 10; i++) row(i);
    const held = out.take(out.position);
    const heldText = Buffer.concat(held).toString();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) row(100 + i);
      out.release(out.take(out.position)); // these settle at once and get reused
    }
    expect(Buffer.concat(held).toString()).toBe(heldText);
    out.release(held);
    for (let i = 0; i < 30; i++) row(200 + i);
    expect(Buffer.concat(out.take(out.position)).toString()).toBe(
      Array.from({ length: 30 }, (_, i) => `row ${200 + i} ${'x'.repeat(20)}\n`).join(''),
    );
  });
});
