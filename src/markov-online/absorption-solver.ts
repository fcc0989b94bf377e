/**
 * Absorption probabilities of a sparse absorbing Markov chain by Gauss-Seidel.
 *
 * For transient states the unknowns satisfy x = Q x + r, where Q holds transient-to-transient
 * probabilities (CSR) and r the one-step reward: r_s = P(s -> conversion) gives the probability
 * of ending in conversion; r_s = P(s -> conversion) * mean value gives the expected value. The
 * exact answer is x = (I - Q)^-1 r = N r, N the fundamental matrix; we never form N: one
 * Gauss-Seidel sweep costs one pass over the non-zeros, and a warm start from the last solution
 * makes the timer-driven re-solve of a slowly changing chain take a few sweeps.
 *
 * Convergence: the solver first keeps only states from which some reward is reachable (a reverse
 * search over the transpose). Every kept state can leave the kept set with positive probability,
 * so Q restricted to it has spectral radius < 1 and Gauss-Seidel converges from any start;
 * dropped states have x = 0 exactly. Without that pruning a closed loop with no exit would keep
 * a stale warm-start value forever.
 */

/**
 * Transient-to-transient transition probabilities in compressed sparse row form. Self-loops are
 * kept apart in `diagonal`, so the inner loop of a sweep is a plain dot product.
 */
export interface CsrMatrix {
  readonly size: number;
  /** size + 1 offsets into column/probability. */
  readonly rowStart: Int32Array;
  /** Off-diagonal entries only. */
  readonly column: Int32Array;
  readonly probability: Float64Array;
  /** P(s -> s); all zeros when repeats are collapsed. */
  readonly diagonal: Float64Array;
}

export interface SolverSettings {
  /** Stop when no unknown moved more than this (relative to max(1, |x|)) in a sweep. */
  readonly tolerance: number;
  /** Hard cap on sweeps, so a solve on a timer is bounded. */
  readonly maxIterations: number;
}

export interface SolveStats {
  readonly iterations: number;
  readonly converged: boolean;
  /** Largest change in the last sweep. */
  readonly lastChange: number;
}

/** The transpose of `m`'s off-diagonal part (used for reverse reachability). */
export function transpose(m: CsrMatrix): CsrMatrix {
  const counts = new Int32Array(m.size + 1);
  for (let k = 0; k < m.column.length; k++) counts[(m.column[k] as number) + 1]! += 1;
  for (let i = 0; i < m.size; i++) counts[i + 1]! += counts[i] as number;
  const rowStart = counts.slice();
  const fill = counts.slice(0, m.size);
  const column = new Int32Array(m.column.length);
  const probability = new Float64Array(m.column.length);
  for (let row = 0; row < m.size; row++) {
    for (let k = m.rowStart[row] as number; k < (m.rowStart[row + 1] as number); k++) {
      const col = m.column[k] as number;
      const at = fill[col]!++;
      column[at] = row;
      probability[at] = m.probability[k] as number;
    }
  }
  return { size: m.size, rowStart, column, probability, diagonal: m.diagonal };
}

/**
 * States that can reach a positive reward without passing through a blocked state, in
 * descending id order (the sweep order: ids are handed out along paths, so successors tend to
 * have larger ids, and sweeping backwards propagates values in one pass on tree-like chains).
 */
export function activeStates(
  transposed: CsrMatrix,
  reward: Float64Array,
  blocked: Uint8Array | undefined,
): Int32Array {
  const n = transposed.size;
  const seen = new Uint8Array(n);
  const stack: number[] = [];
  for (let s = 0; s < n; s++) {
    if ((reward[s] as number) > 0 && !(blocked !== undefined && blocked[s] === 1)) {
      seen[s] = 1;
      stack.push(s);
    }
  }
  while (stack.length > 0) {
    const s = stack.pop() as number;
    for (
      let k = transposed.rowStart[s] as number;
      k < (transposed.rowStart[s + 1] as number);
      k++
    ) {
      const pred = transposed.column[k] as number;
      if (seen[pred] === 1 || (blocked !== undefined && blocked[pred] === 1)) continue;
      seen[pred] = 1;
      stack.push(pred);
    }
  }
  let count = 0;
  for (let s = 0; s < n; s++) count += seen[s] as number;
  const active = new Int32Array(count);
  let at = 0;
  for (let s = n - 1; s >= 0; s--) if (seen[s] === 1) active[at++] = s;
  return active;
}

/**
 * Solves x = Q x + r in place over `active` states (see activeStates); every other entry of `x`
 * is set to 0. `x` comes in as the warm start.
 */
export function gaussSeidel(
  q: CsrMatrix,
  reward: Float64Array,
  x: Float64Array,
  active: Int32Array,
  settings: SolverSettings,
): SolveStats {
  const isActive = new Uint8Array(q.size);
  for (let i = 0; i < active.length; i++) isActive[active[i] as number] = 1;
  for (let s = 0; s < q.size; s++) if (isActive[s] === 0) x[s] = 0;
  const { rowStart, column, probability, diagonal } = q;
  let iterations = 0;
  let lastChange = Infinity;
  while (iterations < settings.maxIterations) {
    iterations++;
    lastChange = 0;
    for (let i = 0; i < active.length; i++) {
      const s = active[i] as number;
      let sum = reward[s] as number;
      const end = rowStart[s + 1] as number;
      for (let k = rowStart[s] as number; k < end; k++) {
        sum += (probability[k] as number) * (x[column[k] as number] as number);
      }
      // NOTE: an active state always has some exit, so the self-loop is < 1; the guard is for rounding.
      const stay = diagonal[s] as number;
      const next = stay < 1 ? sum / (1 - stay) : 0;
      const change = Math.abs(next - (x[s] as number)) / Math.max(1, Math.abs(next));
      if (change > lastChange) lastChange = change;
      x[s] = next;
    }
    if (lastChange <= settings.tolerance) return { iterations, converged: true, lastChange };
  }
  return { iterations, converged: false, lastChange };
}
