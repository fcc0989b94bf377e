import { ValidationError } from '../core/index.js';
import { quoteIdentifier } from './clickhouse.js';

/**
 * The one place where a value becomes SQL text.
 *
 * Debian's ClickHouse 18.16 has no server-side query parameters, so every filter value is
 * formatted on the client. Values go through `sqlString` / `sqlNumber` / `sqlInt` / `sqlArray`;
 * identifiers (tables, columns) come from allow-lists in our code and pass `quoteIdentifier`.
 * Nothing else may splice text into a query.
 */

/**
 * A lone UTF-16 surrogate cannot be encoded as UTF-8: Node would write U+FFFD anyway, and both
 * engines refuse it inside JSON input. Replacing it up front makes what is stored and what is
 * compared the same string.
 *
 * NOTE: this runs on every string cell the writers store (~40 per event), so it must be cheap:
 * Node 20's native String.prototype.isWellFormed is ~10x faster than a \p{Surrogate} regex
 * test (our ES2023 lib typings do not declare it, hence the cast).
 */
export function wellFormed(text: string): string {
  const ok = (text as WellFormedString).isWellFormed?.() ?? !LONE_SURROGATE.test(text);
  return ok ? text : text.replace(LONE_SURROGATES, '\ufffd');
}

interface WellFormedString {
  isWellFormed?(): boolean;
}

const LONE_SURROGATE = /\p{Surrogate}/u;
const LONE_SURROGATES = /\p{Surrogate}/gu;

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// Backslash, quote, and every C0 control character and DEL: the rest of Unicode is sent as
// UTF-8 bytes, which ClickHouse keeps as they are inside a quoted literal.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\'\u0000-\u001f\u007f]/g;

/**
 * A ClickHouse string literal holding exactly `value` (after `wellFormed`). Backslash escapes
 * are understood by every ClickHouse version; control characters become `\xHH` so a literal
 * never contains a raw newline or NUL.
 */
export function sqlString(value: string): string {
  if (typeof value !== 'string') {
    throw new ValidationError('invalid_sql_value', `expected a string, got ${typeof value}`);
  }
  const escaped = wellFormed(value).replace(
    NEEDS_ESCAPE,
    (ch) => ESCAPES[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `'${escaped}'`;
}

const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * A finite number as a literal. JavaScript's own spelling (`0.5`, `1e-7`, `1e+21`) is a valid
 * ClickHouse literal on every version; NaN and the infinities are refused, not quoted.
 */
export function sqlNumber(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(
      'invalid_sql_value',
      `expected a finite number, got ${String(value)}`,
    );
  }
  // TRICKY (18.16): the parser fails on subnormal literals (5e-324: strtod reports ERANGE).
  if (value !== 0 && Math.abs(value) < MIN_NORMAL) {
    throw new ValidationError('invalid_sql_value', `number too close to zero: ${String(value)}`);
  }
  return String(value);
}

/** A safe integer within [min, max]; for timestamps, limits and counts. */
export function sqlInt(value: number, min = 0, max = Number.MAX_SAFE_INTEGER): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(
      'invalid_sql_value',
      `expected an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return String(value);
}

/** An array literal of strings or numbers, each element formatted as above. */
export function sqlArray(values: readonly (string | number)[]): string {
  return `[${values.map((v) => (typeof v === 'string' ? sqlString(v) : sqlNumber(v))).join(', ')}]`;
}

/** The right side of `x IN (...)`: a parenthesised list; an empty list is a caller's bug. */
export function sqlList(values: readonly (string | number)[]): string {
  if (values.length === 0) {
    throw new ValidationError('invalid_sql_value', 'an IN list needs at least one value');
  }
  return `(${values.map((v) => (typeof v === 'string' ? sqlString(v) : sqlNumber(v))).join(', ')})`;
}

/** `database`.`table` for names that come from our own constants. */
export function qualifiedTable(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/**
 * Picks the SQL for a user-chosen option from an allow-list, e.g. a sort column or a time bucket:
 * the user's text never reaches the query, only our constant does.
 */
export function fromAllowList<K extends string, V>(
  allowed: Readonly<Record<K, V>>,
  key: string,
  what: string,
): V {
  if (!Object.prototype.hasOwnProperty.call(allowed, key)) {
    throw new ValidationError(
      'invalid_filter',
      `${what} must be one of ${Object.keys(allowed).join(', ')}, got ${JSON.stringify(key.slice(0, 100))}`,
    );
  }
  return allowed[key as K];
}
