/**
 * The real Kafka, ClickHouse and PostgreSQL that integration tests run against, on loopback
 * ports, with data and logs under `servicesRoot()`. Used by `npm run services` and by the vitest
 * global setup (test/global-setup.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createAptInstaller, type AptInstaller, type AptPackage } from './apt.js';
import { CLICKHOUSE_PACKAGES, clickhouseService } from './clickhouse.js';
import {
  formatSeconds,
  SERVICE_NAMES,
  servicesRoot,
  type Log,
  type ServiceName,
} from './common.js';
import { ensureKafkaJars, KAFKA_PACKAGES, kafkaService } from './kafka.js';
import {
  downService,
  serviceState,
  upService,
  type ServiceState,
  type UpOutcome,
} from './lifecycle.js';
import { POSTGRES_PACKAGES, postgresService } from './postgres.js';
import type { Service, ServiceContext } from './service.js';

export { SERVICE_NAMES, isServiceName, servicesRoot, type ServiceName } from './common.js';
export { ServiceStartError } from './lifecycle.js';

export const SERVICES: Readonly<Record<ServiceName, Service>> = {
  kafka: kafkaService,
  clickhouse: clickhouseService,
  postgres: postgresService,
};

/** Where browser tests find Chromium (Debian's `chromium` package). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface ServicesOptions {
  /** Which services; all by default. */
  readonly only?: readonly ServiceName[];
  readonly log?: Log;
}

const defaultLog: Log = (line) => console.error(`[services] ${line}`);

function context(name: ServiceName, log: Log, apt: AptInstaller): ServiceContext {
  return { runDir: join(servicesRoot(), name), log, apt };
}

function selected(options: ServicesOptions): Service[] {
  return (options.only ?? SERVICE_NAMES).map((name) => SERVICES[name]);
}

/** PATHCAST_TEST_* and PATHCAST_* variables for the given services. */
export function serviceEnv(names: readonly ServiceName[]): Record<string, string> {
  return Object.assign({}, ...names.map((name) => SERVICES[name].env)) as Record<string, string>;
}

export interface ServicesUpResult {
  /** PATHCAST_TEST_* and PATHCAST_* variables of every requested service. */
  readonly env: Readonly<Record<string, string>>;
  /** What this call started (and so what `servicesDown(started)` should stop). */
  readonly started: readonly ServiceName[];
  readonly outcomes: Readonly<Partial<Record<ServiceName, UpOutcome>>>;
  readonly elapsedMs: number;
}

/**
 * Brings the services up in parallel (installing what is missing) and resolves when all are
 * healthy. All or nothing: if one fails, the ones this call started are stopped again.
 */
export async function servicesUp(options: ServicesOptions = {}): Promise<ServicesUpResult> {
  const log = options.log ?? defaultLog;
  const apt = createAptInstaller(log);
  const began = performance.now();
  const services = selected(options);
  const results = await Promise.allSettled(
    services.map((s) => upService(s, context(s.name, log, apt))),
  );
  const outcomes: Partial<Record<ServiceName, UpOutcome>> = {};
  const started: ServiceName[] = [];
  const failures: unknown[] = [];
  results.forEach((result, i) => {
    const name = (services[i] as Service).name;
    if (result.status === 'rejected') {
      failures.push(result.reason);
      return;
    }
    outcomes[name] = result.value;
    if (result.value.state === 'started') started.push(name);
  });
  if (failures.length > 0) {
    if (started.length > 0) {
      log(`stopping what this run started: ${started.join(', ')}`);
      await servicesDown(started, { log });
    }
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, failures.map((f) => (f as Error).message).join('\n'));
  }
  return {
    env: serviceEnv(services.map((s) => s.name)),
    started,
    outcomes,
    elapsedMs: performance.now() - began,
  };
}

/** Stops the named services if this run folder started them (pid files); others are left be. */
export async function servicesDown(
  names: readonly ServiceName[] = SERVICE_NAMES,
  options: Pick<ServicesOptions, 'log'> = {},
): Promise<Partial<Record<ServiceName, 'stopped' | 'killed' | 'not-running'>>> {
  const log = options.log ?? defaultLog;
  const apt = createAptInstaller(log);
  const outcomes = await Promise.all(
    names.map(
      async (name) => [name, await downService(SERVICES[name], context(name, log, apt))] as const,
    ),
  );
  return Object.fromEntries(outcomes);
}

export interface ServiceStatus {
  readonly name: ServiceName;
  readonly state: ServiceState;
  readonly address: string;
}

export async function servicesStatus(options: ServicesOptions = {}): Promise<ServiceStatus[]> {
  const log = options.log ?? defaultLog;
  const apt = createAptInstaller(log);
  return Promise.all(
    selected(options).map(async (s) => ({
      name: s.name,
      state: await serviceState(s, context(s.name, log, apt)),
      address: s.address,
    })),
  );
}

const CHROMIUM_PACKAGE: AptPackage = {
  name: 'chromium',
  isInstalled: () => existsSync(CHROMIUM_PATH),
};

/** Installs Chromium for the browser tests (not part of `up`: no service needs it). */
export async function ensureChromium(options: Pick<ServicesOptions, 'log'> = {}): Promise<string> {
  await createAptInstaller(options.log ?? defaultLog).ensure([CHROMIUM_PACKAGE]);
  return CHROMIUM_PATH;
}

/** Everything `up` may need, fetched ahead: apt packages (and Chromium) and the Kafka jars. */
export async function servicesInstall(options: Pick<ServicesOptions, 'log'> = {}): Promise<void> {
  const log = options.log ?? defaultLog;
  const apt = createAptInstaller(log);
  const began = performance.now();
  // Java and Maven first; then Maven downloads while one apt-get installs all the rest.
  await apt.ensure(KAFKA_PACKAGES);
  await Promise.all([
    ensureKafkaJars(log),
    apt.ensure([...CLICKHOUSE_PACKAGES, ...POSTGRES_PACKAGES, CHROMIUM_PACKAGE]),
  ]);
  log(`installed everything in ${formatSeconds(performance.now() - began)}`);
}
