import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Every address binds to loopback: these servers are for tests on this machine only. */
export const HOST = '127.0.0.1';

/**
 * Non-default ports, so a developer's own Kafka, ClickHouse or PostgreSQL on the usual ports
 * neither collides with ours nor gets mistaken for ours.
 */
export const DEFAULT_PORTS = {
  kafkaBroker: 19092,
  kafkaController: 19093,
  clickhouseHttp: 18123,
  clickhouseTcp: 19000,
  postgres: 15432,
} as const;

export type Ports = { readonly [K in keyof typeof DEFAULT_PORTS]: number };

/**
 * The ports, shifted by PATHCAST_SERVICES_PORT_OFFSET (default 0): with PATHCAST_SERVICES_DIR,
 * a second set of services (another checkout, a parallel CI job) runs beside the first.
 */
export function servicePorts(env: NodeJS.ProcessEnv = process.env): Ports {
  const raw = env['PATHCAST_SERVICES_PORT_OFFSET'];
  const offset = raw === undefined || raw === '' ? 0 : Number(raw);
  if (!Number.isInteger(offset) || offset < 0 || offset > 40_000) {
    throw new Error(`PATHCAST_SERVICES_PORT_OFFSET must be an integer 0..40000, not ${raw}`);
  }
  const d = DEFAULT_PORTS;
  return {
    kafkaBroker: d.kafkaBroker + offset,
    kafkaController: d.kafkaController + offset,
    clickhouseHttp: d.clickhouseHttp + offset,
    clickhouseTcp: d.clickhouseTcp + offset,
    postgres: d.postgres + offset,
  };
}

export const PORTS: Ports = servicePorts();

export const SERVICE_NAMES = ['kafka', 'clickhouse', 'postgres'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

export type Log = (line: string) => void;

/** `$XDG_CACHE_HOME/pathcast`, else `~/.cache/pathcast`: downloads (Kafka jars) live here. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return resolve(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'pathcast');
}

/** `PATHCAST_SERVICES_DIR`, else `<cache>/services`: one folder per service (data, logs, pid). */
export function servicesRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['PATHCAST_SERVICES_DIR'];
  return override !== undefined && override !== ''
    ? resolve(override)
    : join(cacheRoot(env), 'services');
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The last `count` lines of `text` (a trailing newline does not count as an empty line). */
export function lastLines(text: string, count: number): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(Math.max(0, lines.length - count));
}
