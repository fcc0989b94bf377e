import type { CsrMatrix } from './absorption-solver.js';
import type { EdgeArrays } from './edge-store.js';
import { CONVERSION, NULL } from './state-space.js';

/** A chain's counts as the solver wants them. */
export interface ChainMatrices {
  readonly q: CsrMatrix;
  readonly toConversion: Float64Array;
  readonly toNull: Float64Array;
  readonly valueReward: Float64Array;
  readonly rowWeight: Float64Array;
}

/**
 * Counts -> row-normalised CSR over transient states (self-loops apart) plus the one-step
 * rewards: P(s -> conversion), P(s -> null), and P(s -> conversion) * mean value per conversion
 * from s. O(edges); rows never left (no counts yet) stay empty.
 */
export function buildChainMatrices(n: number, edges: EdgeArrays): ChainMatrices {
  const rowWeight = new Float64Array(n);
  const toConversion = new Float64Array(n);
  const toNull = new Float64Array(n);
  const valueReward = new Float64Array(n);
  const rowStart = new Int32Array(n + 1);
  for (let i = 0; i < edges.from.length; i++) {
    const from = edges.from[i] as number;
    const to = edges.to[i] as number;
    const w = edges.weight[i] as number;
    rowWeight[from] = (rowWeight[from] as number) + w;
    if (to === CONVERSION) {
      toConversion[from] = (toConversion[from] as number) + w;
      valueReward[from] = (valueReward[from] as number) + (edges.value[i] as number);
    } else if (to === NULL) {
      toNull[from] = (toNull[from] as number) + w;
    } else if (w > 0 && to !== from) {
      rowStart[from + 1] = (rowStart[from + 1] as number) + 1;
    }
  }
  for (let s = 0; s < n; s++)
    rowStart[s + 1] = (rowStart[s + 1] as number) + (rowStart[s] as number);
  const fill = rowStart.slice(0, n);
  const column = new Int32Array(rowStart[n] as number);
  const probability = new Float64Array(column.length);
  const diagonal = new Float64Array(n);
  for (let i = 0; i < edges.from.length; i++) {
    const from = edges.from[i] as number;
    const to = edges.to[i] as number;
    const w = edges.weight[i] as number;
    if (to === CONVERSION || to === NULL || w <= 0) continue;
    if (to === from) {
      diagonal[from] = (diagonal[from] as number) + w / (rowWeight[from] as number);
      continue;
    }
    const at = fill[from] as number;
    fill[from] = at + 1;
    column[at] = to;
    probability[at] = w / (rowWeight[from] as number);
  }
  for (let s = 0; s < n; s++) {
    const total = rowWeight[s] as number;
    if (total <= 0) continue;
    toConversion[s] = (toConversion[s] as number) / total;
    toNull[s] = (toNull[s] as number) / total;
    // P(s -> conversion) * mean value per conversion from s = value / total.
    valueReward[s] = (valueReward[s] as number) / total;
  }
  return {
    q: { size: n, rowStart, column, probability, diagonal },
    toConversion,
    toNull,
    valueReward,
    rowWeight,
  };
}
