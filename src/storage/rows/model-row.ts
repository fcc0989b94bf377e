import { TABLES } from '../schema/table-names.js';
import type { TableSpec } from './table-spec.js';
import { text, uint } from './values.js';

/** A model snapshot as the registry keeps it. */
export interface StoredModel {
  /** e.g. 'markov', 'ftrl'. */
  readonly kind: string;
  readonly version: string;
  readonly createdAt: number;
  /** Held-out metrics (AUC, log loss, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The serialised model; stored as base64 text (18.16 has no binary-safe JSON String path). */
  readonly snapshot: Uint8Array;
}

export const MODEL_COLUMNS = ['kind', 'version', 'created_at', 'metrics', 'snapshot'] as const;

export type ModelColumn = (typeof MODEL_COLUMNS)[number];

export function modelRow(m: StoredModel): Record<ModelColumn, unknown> {
  return {
    kind: text(m.kind),
    version: text(m.version),
    created_at: uint(m.createdAt),
    // Non-finite metrics would not survive JSON; they become null.
    metrics: JSON.stringify(m.metrics),
    snapshot: Buffer.from(m.snapshot.buffer, m.snapshot.byteOffset, m.snapshot.byteLength).toString(
      'base64',
    ),
  };
}

export const MODELS_SPEC: TableSpec<StoredModel> = {
  table: TABLES.models,
  columns: MODEL_COLUMNS,
  toRow: modelRow,
};
