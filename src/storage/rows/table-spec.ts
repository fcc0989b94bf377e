/** One row as @clickhouse/client sends it in JSONEachRow: column name to cell. */
export type Row = Readonly<Record<string, unknown>>;

/**
 * How items of type T are stored in one table: the columns an insert names (always all of them,
 * in this order) and the mapping of an item to a row with exactly those keys.
 */
export interface TableSpec<T> {
  readonly table: string;
  readonly columns: readonly [string, ...string[]];
  toRow(item: T): Row;
  /** The monthly partition a row lands in, for tables partitioned by time. */
  partitionOf?(row: Row): number;
}
