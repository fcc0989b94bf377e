import { wellFormed } from '../sql.js';

/**
 * Conversions from domain values to JSONEachRow cells. Each is total: whatever a producer hands
 * over, the cell is valid for its column, because one bad cell would fail the whole batch on
 * every retry and stall the writer.
 */

/** String column: well-formed UTF-16 (a lone surrogate cannot be stored, see sql.ts). */
export const text = (value: string): string => wellFormed(value);

export const nullableText = (value: string | null): string | null =>
  value === null ? null : wellFormed(value);

export const flag = (value: boolean): 0 | 1 => (value ? 1 : 0);

/**
 * UInt column from a ms time or a count: truncated to an integer and clamped to [0, 2^53), the
 * range JSON numbers carry exactly. Non-finite values become 0.
 */
export function uint(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.trunc(value), Number.MAX_SAFE_INTEGER);
}

export const nullableUint = (value: number | null): number | null =>
  value === null ? null : uint(value);

/** Signed Int column (clock skew, offsets). */
export function int(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.max(Math.min(Math.trunc(value), Number.MAX_SAFE_INTEGER), Number.MIN_SAFE_INTEGER);
}

/**
 * Float64 column: no NaN or Infinity (they have no portable spelling), and no subnormals, which
 * 18.16's parser refuses (5e-324 fails with ERANGE); both become 0.
 */
export const float = (value: number): number =>
  Number.isFinite(value) && Math.abs(value) >= 2.2250738585072014e-308 ? value : 0;

/**
 * YYYYMM of a ms time in UTC: the partition a row lands in (ddl.ts `monthPartition`), for
 * splitting inserts that would touch too many partitions.
 * NOTE: runs once per written row; rows come in time order, so the last month's bounds answer
 * almost every call without building a Date.
 */
export function utcMonth(ms: number): number {
  const t = uint(ms);
  if (t >= lastMonth.from && t < lastMonth.to) return lastMonth.month;
  const date = new Date(t);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  lastMonth = {
    from: Date.UTC(year, month, 1),
    to: Date.UTC(year, month + 1, 1),
    month: year * 100 + month + 1,
  };
  return lastMonth.month;
}

let lastMonth = { from: 0, to: 0, month: 197001 };
