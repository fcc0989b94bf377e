import { pino, type Logger as PinoLogger } from 'pino';

export type LogFields = Readonly<Record<string, unknown>>;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * Structured logging: every line is an event with a snake_case name and fields, e.g.
 * `logger.info('partition_assigned', { partition: 3 })`. Components receive a Logger; they never
 * create one or write to the console.
 */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly name?: string;
  /** Where lines go; defaults to stdout. A file descriptor or a writable stream. */
  readonly destination?: number | NodeJS.WritableStream;
}

class PinoAdapter implements Logger {
  private readonly inner: PinoLogger;

  constructor(inner: PinoLogger) {
    this.inner = inner;
  }

  debug(event: string, fields?: LogFields): void {
    this.inner.debug({ event, ...fields });
  }

  info(event: string, fields?: LogFields): void {
    this.inner.info({ event, ...fields });
  }

  warn(event: string, fields?: LogFields): void {
    this.inner.warn({ event, ...fields });
  }

  error(event: string, fields?: LogFields): void {
    this.inner.error({ event, ...fields });
  }

  child(bindings: LogFields): Logger {
    return new PinoAdapter(this.inner.child(bindings));
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination =
    options.destination === undefined
      ? pino.destination(1)
      : typeof options.destination === 'number'
        ? pino.destination(options.destination)
        : options.destination;
  return new PinoAdapter(
    pino(
      {
        level: options.level ?? 'info',
        name: options.name ?? 'pathcast',
        // Errors are logged as fields; keep their code and cause chain.
        serializers: { err: pino.stdSerializers.errWithCause },
      },
      destination,
    ),
  );
}

/** For tests and silent tools. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** A logger that keeps lines in memory, for assertions in tests. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: string; event: string; fields: LogFields }>;
  private readonly bindings: LogFields;

  constructor(
    lines: Array<{ level: string; event: string; fields: LogFields }> = [],
    bindings: LogFields = {},
  ) {
    this.lines = lines;
    this.bindings = bindings;
  }

  debug(event: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'debug', event, fields: { ...this.bindings, ...fields } });
  }

  info(event: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'info', event, fields: { ...this.bindings, ...fields } });
  }

  warn(event: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'warn', event, fields: { ...this.bindings, ...fields } });
  }

  error(event: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'error', event, fields: { ...this.bindings, ...fields } });
  }

  child(bindings: LogFields): Logger {
    return new MemoryLogger(this.lines, { ...this.bindings, ...bindings });
  }
}
