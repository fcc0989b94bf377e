/**
 * Dense Gaussian elimination with partial pivoting, for the simulator's small exact systems
 * (a dozen page types, nine channels). The live models solve far larger sparse chains
 * iteratively; the ground truth wants exact answers on small ones, which this gives to
 * rounding.
 */

/** Solves A X = B for X; `a` is n x n, `b` is n x m. Inputs are not modified. */
export function solveLinear(
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
): Float64Array[] {
  const n = a.length;
  const m = b[0]?.length ?? 0;
  if (b.length !== n) throw new RangeError(`solveLinear: ${n} rows in A but ${b.length} in B`);
  const lhs = a.map((row) => {
    if (row.length !== n) throw new RangeError('solveLinear: A must be square');
    return Float64Array.from(row);
  });
  const rhs = b.map((row) => Float64Array.from(row));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) {
      if (Math.abs(at(lhs, row, col)) > Math.abs(at(lhs, pivot, col))) pivot = row;
    }
    if (Math.abs(at(lhs, pivot, col)) < 1e-14) {
      throw new RangeError(`solveLinear: singular matrix (column ${col})`);
    }
    swap(lhs, col, pivot);
    swap(rhs, col, pivot);
    const pivotRow = rowOf(lhs, col);
    const pivotRhs = rowOf(rhs, col);
    const p = pivotRow[col] ?? 1;
    for (let row = col + 1; row < n; row++) {
      const target = rowOf(lhs, row);
      const factor = (target[col] ?? 0) / p;
      if (factor === 0) continue;
      for (let k = col; k < n; k++) target[k] = (target[k] ?? 0) - factor * (pivotRow[k] ?? 0);
      const targetRhs = rowOf(rhs, row);
      for (let k = 0; k < m; k++) targetRhs[k] = (targetRhs[k] ?? 0) - factor * (pivotRhs[k] ?? 0);
    }
  }
  const x = Array.from({ length: n }, () => new Float64Array(m));
  for (let row = n - 1; row >= 0; row--) {
    const lhsRow = rowOf(lhs, row);
    const out = rowOf(x, row);
    const rhsRow = rowOf(rhs, row);
    for (let k = 0; k < m; k++) {
      let sum = rhsRow[k] ?? 0;
      for (let j = row + 1; j < n; j++) sum -= (lhsRow[j] ?? 0) * (rowOf(x, j)[k] ?? 0);
      out[k] = sum / (lhsRow[row] ?? 1);
    }
  }
  return x;
}

function rowOf(matrix: Float64Array[], i: number): Float64Array {
  const row = matrix[i];
  if (row === undefined) throw new RangeError(`row ${i} out of range`);
  return row;
}

function at(matrix: Float64Array[], i: number, j: number): number {
  return rowOf(matrix, i)[j] ?? 0;
}

function swap(matrix: Float64Array[], i: number, j: number): void {
  if (i === j) return;
  const tmp = rowOf(matrix, i);
  matrix[i] = rowOf(matrix, j);
  matrix[j] = tmp;
}
