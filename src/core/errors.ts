/**
 * One error hierarchy for the whole project.
 *
 * Every error carries a stable `code` (safe to match on, to show in an HTTP body, to count in
 * metrics), whether retrying can help (`retriable`), and the error it wraps (`cause`). Data
 * problems that are expected (a bad event, a late event) are not errors at all: they are
 * `Result` values, see result.ts.
 */

export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface PathcastErrorOptions {
  readonly cause?: unknown;
  readonly retriable?: boolean;
  readonly details?: ErrorDetails;
}

export class PathcastError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, options: PathcastErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

/** A configuration value is missing or invalid; start-up must stop. */
export class ConfigError extends PathcastError {
  readonly variable: string;

  constructor(variable: string, message: string, options: PathcastErrorOptions = {}) {
    super('config_invalid', `${variable}: ${message}`, { ...options, retriable: false });
    this.variable = variable;
  }
}

/** Input from outside broke a contract (schema, size, limits). Never retriable. */
export class ValidationError extends PathcastError {
  constructor(
    code: string,
    message: string,
    options: Omit<PathcastErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: false });
  }
}

/** A dependency (broker, database, network) failed in a way that may pass. */
export class TransientError extends PathcastError {
  constructor(
    code: string,
    message: string,
    options: Omit<PathcastErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: true });
  }
}

/** A component was used after close(), before start(), or otherwise out of order. */
export class StateError extends PathcastError {
  constructor(
    code: string,
    message: string,
    options: Omit<PathcastErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: false });
  }
}

const PROGRAMMER_ERRORS: ReadonlyArray<new (...args: never[]) => Error> = [
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
];

/** Bugs, not weather: retrying them only hides them. */
export function isProgrammerError(error: unknown): boolean {
  return PROGRAMMER_ERRORS.some((ctor) => error instanceof ctor);
}

const RETRIABLE_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether an error is worth retrying: our own errors say so; third-party errors that carry a
 * boolean `retriable` (kafkajs does) are believed; socket-level failures are retriable;
 * programmer errors never are.
 */
export function isRetriable(error: unknown): boolean {
  if (isProgrammerError(error)) return false;
  if (error instanceof PathcastError) return error.retriable;
  if (typeof error !== 'object' || error === null) return false;
  const flag = (error as { retriable?: unknown }).retriable;
  if (typeof flag === 'boolean') return flag;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && RETRIABLE_SYSTEM_CODES.has(code);
}

/** Turns anything thrown into an Error without losing it. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new PathcastError('non_error_thrown', `non-error thrown: ${safeString(thrown)}`, {
    cause: thrown,
  });
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
