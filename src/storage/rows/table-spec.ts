import type { TsvBuffer } from './tsv-buffer.js';

/** One row as a plain object: column name to cell value (tests, tools, JSONEachRow). */
export type Row = Readonly<Record<string, unknown>>;

/**
 * How items of type T are stored in one table: the columns an insert names (always all of them,
 * in this order), the row an item becomes, and the same row written as TabSeparated bytes.
 * Built by `defineTable` (define-table.ts) from one list of columns, so the three agree.
 */
export interface TableSpec<T, C extends string = string> {
  readonly table: string;
  readonly columns: readonly [C, ...C[]];
  /** The item's row with exactly the keys of `columns`, in order. */
  toRow(item: T): Readonly<Record<C, unknown>>;
  /** Appends the item's row to `out` as one TSV line: the writer's path, no row object. */
  encode(item: T, out: TsvBuffer): void;
  /** The monthly partition an item's row lands in, for tables partitioned by time. */
  partitionOf?(item: T): number;
}
