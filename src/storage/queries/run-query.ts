import type { ClickHouseClient } from '@clickhouse/client';
import { PathcastError } from '../../core/index.js';
import { clickHouseFailure } from '../clickhouse-errors.js';
import { QUERY_SETTINGS } from './filters.js';

/** Where queries run: a ClickHouseHandle satisfies this. */
export interface QueryTarget {
  readonly client: ClickHouseClient;
  readonly database: string;
}

export type ResultRow = Readonly<Record<string, unknown>>;

/** Runs a SELECT built by this folder and returns its rows as parsed JSON. */
export async function selectRows(
  target: QueryTarget,
  query: string,
  signal?: AbortSignal,
): Promise<ResultRow[]> {
  try {
    const result = await target.client.query({
      query,
      format: 'JSONEachRow',
      clickhouse_settings: QUERY_SETTINGS,
      ...(signal === undefined ? {} : { abort_signal: signal }),
    });
    return await result.json<ResultRow>();
  } catch (error) {
    throw clickHouseFailure('clickhouse_query_failed', 'query failed', error);
  }
}

function unexpected(key: string, expected: string, value: unknown): PathcastError {
  return new PathcastError(
    'clickhouse_unexpected_row',
    `column ${key}: expected ${expected}, got ${typeof value}`,
  );
}

/** Typed reads of a result row: the engine's answer is parsed, not trusted. */
export const read = {
  string(row: ResultRow, key: string): string {
    const value = row[key];
    if (typeof value !== 'string') throw unexpected(key, 'a string', value);
    return value;
  },
  nullableString(row: ResultRow, key: string): string | null {
    const value = row[key];
    if (value === null) return null;
    if (typeof value !== 'string') throw unexpected(key, 'a string or null', value);
    return value;
  },
  number(row: ResultRow, key: string): number {
    const value = row[key];
    // 64-bit integers may come quoted if a server overrides our setting; accept both.
    const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || Number.isNaN(n)) throw unexpected(key, 'a number', value);
    return n;
  },
  nullableNumber(row: ResultRow, key: string): number | null {
    return row[key] === null ? null : read.number(row, key);
  },
  boolean(row: ResultRow, key: string): boolean {
    return read.number(row, key) !== 0;
  },
  strings(row: ResultRow, key: string): string[] {
    const value = row[key];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw unexpected(key, 'an array of strings', value);
    }
    return value as string[];
  },
  numbers(row: ResultRow, key: string): number[] {
    const value = row[key];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) {
      throw unexpected(key, 'an array of numbers', value);
    }
    return value as number[];
  },
};
