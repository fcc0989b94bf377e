/**
 * Expected data problems are values, not exceptions: a step returns `ok(value)` or
 * `fail(code, reason)`, and the caller routes failures (e.g. to the failed-events log).
 */

export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

export interface Fail<C extends string = string> {
  readonly ok: false;
  /** Stable, machine-readable reason code (snake_case). */
  readonly code: C;
  /** Human-readable explanation. */
  readonly reason: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Result<T, C extends string = string> = Ok<T> | Fail<C>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function fail<C extends string>(
  code: C,
  reason: string,
  details?: Readonly<Record<string, unknown>>,
): Fail<C> {
  return details === undefined ? { ok: false, code, reason } : { ok: false, code, reason, details };
}

export function isOk<T, C extends string>(result: Result<T, C>): result is Ok<T> {
  return result.ok;
}

/** Applies `fn` to a success, passes a failure through untouched. */
export function mapResult<T, U, C extends string>(
  result: Result<T, C>,
  fn: (value: T) => U,
): Result<U, C> {
  return result.ok ? ok(fn(result.value)) : result;
}

/** Chains steps that can fail; the first failure wins. */
export function andThen<T, U, C extends string, D extends string>(
  result: Result<T, C>,
  fn: (value: T) => Result<U, D>,
): Result<U, C | D> {
  return result.ok ? fn(result.value) : result;
}
