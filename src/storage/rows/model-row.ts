import { TABLES } from '../schema/table-names.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';

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

const c = cellsOf<StoredModel>();

export const MODELS_SPEC = defineTable(TABLES.models, {
  kind: c.text((m) => m.kind),
  version: c.text((m) => m.version),
  created_at: c.uint((m) => m.createdAt),
  // Non-finite metrics would not survive JSON; they become null.
  metrics: c.text((m) => JSON.stringify(m.metrics)),
  snapshot: c.text((m) =>
    Buffer.from(m.snapshot.buffer, m.snapshot.byteOffset, m.snapshot.byteLength).toString('base64'),
  ),
});

export const MODEL_COLUMNS = MODELS_SPEC.columns;

export type ModelColumn = (typeof MODEL_COLUMNS)[number];

/** The stored row of a model snapshot, as an object. */
export const modelRow = (m: StoredModel): Readonly<Record<ModelColumn, unknown>> =>
  MODELS_SPEC.toRow(m);
