import { ConfigError } from '../core/index.js';

/** The environment as a plain map; tests pass their own instead of process.env. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Typed readers for one variable each. An unset or empty variable takes the default; a set but
 * invalid one throws a ConfigError that names the variable and what is allowed.
 */
export class EnvReader {
  private readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  raw(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${value}"`);
    }
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    throw new ConfigError(
      name,
      `expected one of true, false, 1, 0, yes, no, on, off; got "${value}"`,
    );
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}; got "${value}"`);
  }

  list(name: string, fallback: readonly string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return [...fallback];
    return value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
  }

  /** A URL with one of the given protocols (e.g. `http:`). */
  url(name: string, protocols: readonly string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `expected a URL (${protocols.join(' or ')}), got "${value}"`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(
        name,
        `expected a URL with protocol ${protocols.join(' or ')}, got "${parsed.protocol}"`,
      );
    }
    return value;
  }

  /** host:port pairs, comma-separated. */
  hostPorts(name: string): string[] {
    const items = this.list(name, []);
    for (const item of items) {
      const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
      const port = match?.[2] === undefined ? NaN : Number(match[2]);
      if (match === null || !(port > 0 && port < 65536)) {
        throw new ConfigError(name, `expected host:port[,host:port...], got "${item}"`);
      }
    }
    return items;
  }

  json(name: string): unknown {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      throw new ConfigError(name, `expected JSON: ${(error as Error).message}`, { cause: error });
    }
  }
}
