import { describe, expect, it } from 'vitest';
import { activeStates, gaussSeidel, transpose, type CsrMatrix } from './absorption-solver.js';

/** CSR from dense rows (tests only). */
function csr(rows: number[][]): CsrMatrix {
  const rowStart = [0];
  const column: number[] = [];
  const probability: number[] = [];
  const diagonal = rows.map((row, i) => row[i] ?? 0);
  rows.forEach((row, i) => {
    row.forEach((p, j) => {
      if (p !== 0 && i !== j) {
        column.push(j);
        probability.push(p);
      }
    });
    rowStart.push(column.length);
  });
  return {
    size: rows.length,
    rowStart: Int32Array.from(rowStart),
    column: Int32Array.from(column),
    probability: Float64Array.from(probability),
    diagonal: Float64Array.from(diagonal),
  };
}

const SETTINGS = { tolerance: 1e-14, maxIterations: 10_000 };

describe('gaussSeidel', () => {
  it('solves a two-state loop with a self-loop exactly', () => {
    // x0 = 0.5 x1 + 0.25 x0 + 0.25 ; x1 = 0.5 x0 + 0.1 (rest to null)
    const q = csr([
      [0.25, 0.5],
      [0.5, 0],
    ]);
    const reward = Float64Array.from([0.25, 0.1]);
    const x = new Float64Array(2);
    const stats = gaussSeidel(
      q,
      reward,
      x,
      activeStates(transpose(q), reward, undefined),
      SETTINGS,
    );
    // 0.75 x0 - 0.5 x1 = 0.25 ; -0.5 x0 + x1 = 0.1 -> x0 = 0.3 / 0.5 = 0.6, x1 = 0.4
    expect(stats.converged).toBe(true);
    expect(x[0]).toBeCloseTo(0.6, 12);
    expect(x[1]).toBeCloseTo(0.4, 12);
  });

  it('gives 0, not a stale warm start, to a closed loop that never reaches a reward', () => {
    const q = csr([
      [0, 0.5, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    const reward = Float64Array.from([0.5, 0, 0]);
    const x = Float64Array.from([0.9, 0.9, 0.9]);
    gaussSeidel(q, reward, x, activeStates(transpose(q), reward, undefined), SETTINGS);
    expect(Array.from(x)).toEqual([0.5, 0, 0]);
  });

  it('treats blocked states as absorbing in null', () => {
    const q = csr([
      [0, 0.5, 0.5],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const reward = Float64Array.from([0, 1, 1]);
    const x = new Float64Array(3);
    const blocked = Uint8Array.from([0, 1, 0]);
    gaussSeidel(q, reward, x, activeStates(transpose(q), reward, blocked), SETTINGS);
    expect(x[0]).toBeCloseTo(0.5, 14);
    expect(x[1]).toBe(0);
  });

  it('stops at maxIterations and says it did not converge', () => {
    const q = csr([
      [0, 0.999],
      [0.999, 0],
    ]);
    const reward = Float64Array.from([0.001, 0]);
    const x = new Float64Array(2);
    const stats = gaussSeidel(q, reward, x, activeStates(transpose(q), reward, undefined), {
      tolerance: 1e-15,
      maxIterations: 3,
    });
    expect(stats).toMatchObject({ iterations: 3, converged: false });
  });

  it('converges in one sweep from the exact answer (warm start)', () => {
    const q = csr([
      [0.25, 0.5],
      [0.5, 0],
    ]);
    const reward = Float64Array.from([0.25, 0.1]);
    const x = Float64Array.from([0.6, 0.4]);
    const stats = gaussSeidel(q, reward, x, activeStates(transpose(q), reward, undefined), {
      tolerance: 1e-12,
      maxIterations: 100,
    });
    expect(stats.iterations).toBe(1);
  });
});
