import { flag, float, int, nullableText, nullableUint, text, uint } from './values.js';

/**
 * The cell types a column can have, each with its conversion from a domain value (values.ts)
 * and the TsvBuffer method that writes it (tsv-buffer.ts has one method per type, same name).
 */
export interface CellValues {
  readonly text: string;
  readonly nullableText: string | null;
  readonly uint: number;
  readonly nullableUint: number | null;
  readonly int: number;
  readonly float: number;
  readonly flag: boolean;
  readonly textArray: readonly string[];
  readonly floatArray: readonly number[];
}

export type CellType = keyof CellValues;

/** One column of a table: its type and how to read its value from an item. */
export interface Column<T, K extends CellType = CellType> {
  readonly type: K;
  readonly get: (item: T) => CellValues[K];
}

/** Columns by name, in insert order (object key order: column names are never integers). */
export type Columns<T> = Readonly<Record<string, Column<T>>>;

/** The item type columns read from. */
export type ItemOf<C> = C[keyof C] extends Column<infer T> ? T : never;

/** The row value of a cell: what `toRow` holds for it (and JSONEachRow would send). */
export const CELL_CONVERSIONS: {
  readonly [K in CellType]: (value: CellValues[K]) => unknown;
} = {
  text,
  nullableText,
  uint,
  nullableUint,
  int,
  float,
  flag,
  textArray: (values) => values.map(text),
  floatArray: (values) => values.map(float),
};

function column<K extends CellType>(type: K) {
  return <T>(get: (item: T) => CellValues[K]): Column<T, K> => ({ type, get });
}

/** Column constructors, one per cell type (see `cellsOf`). */
export type CellConstructors<T> = {
  readonly [K in CellType]: (get: (item: T) => CellValues[K]) => Column<T, K>;
};

const CONSTRUCTORS: CellConstructors<never> = {
  text: column('text'),
  nullableText: column('nullableText'),
  uint: column('uint'),
  nullableUint: column('nullableUint'),
  int: column('int'),
  float: column('float'),
  flag: column('flag'),
  textArray: column('textArray'),
  floatArray: column('floatArray'),
};

/**
 * Column constructors for items of type T, e.g. `const c = cellsOf<ClickEvent>()`, then
 * `id: c.text((e) => e.id)`. A getter returns the domain value; the cell type converts it
 * (totally: one bad cell would fail a whole batch on every retry).
 */
export function cellsOf<T>(): CellConstructors<T> {
  return CONSTRUCTORS as unknown as CellConstructors<T>;
}
