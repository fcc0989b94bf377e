/**
 * Global setup of the `integration` project: finds the real Kafka, ClickHouse and PostgreSQL, or
 * starts them with the same code as `npm run services -- up`.
 *
 * - A service whose PATHCAST_TEST_* variable is set is used as it is.
 * - The others are brought up (already running ones are reused); at teardown only those this
 *   setup started are stopped, unless PATHCAST_KEEP_SERVICES=1.
 */
import type { TestProject } from 'vitest/node';
import { serviceEnv, servicesDown, servicesUp, type ServiceName } from '../scripts/services.js';
import { ensureWebBuilt } from '../scripts/ensure-web.js';
// Types only: test/services.ts uses vitest's worker-side `inject`, not for this process.
import type { ServiceAddresses } from './services.js';

/** The variables that point tests at existing services, and the service each one stands for. */
const VARIABLES = {
  kafkaBrokers: { name: 'PATHCAST_TEST_KAFKA_BROKERS', service: 'kafka' },
  clickhouseUrl: { name: 'PATHCAST_TEST_CLICKHOUSE_URL', service: 'clickhouse' },
  postgresUrl: { name: 'PATHCAST_TEST_POSTGRES_URL', service: 'postgres' },
} as const satisfies Record<keyof ServiceAddresses, { name: string; service: ServiceName }>;

const KEYS = Object.keys(VARIABLES) as (keyof ServiceAddresses)[];

const read = (key: keyof ServiceAddresses): string | undefined => {
  const value = process.env[VARIABLES[key].name];
  return value === undefined || value === '' ? undefined : value;
};

const log = (line: string): void => console.error(`[global-setup] ${line}`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The dashboard and demo tests serve the built web app; built once here, before any of them.
  await ensureWebBuilt(log);
  const missing = KEYS.filter((key) => read(key) === undefined);
  let started: readonly ServiceName[] = [];
  if (missing.length > 0) {
    const names = missing.map((key) => VARIABLES[key].service);
    const variables = missing.map((key) => VARIABLES[key].name).join(', ');
    log(`bringing up ${names.join(', ')} (set ${variables} to use your own)`);
    const result = await servicesUp({ only: names, log });
    started = result.started;
    log(
      `services healthy in ${(result.elapsedMs / 1000).toFixed(1)} s` +
        (started.length > 0 ? `; started ${started.join(', ')}` : '; all were already running'),
    );
    // Test workers are forked after this and inherit the environment; src/config reads the
    // PATHCAST_* runtime variables, tests the PATHCAST_TEST_* ones.
    Object.assign(process.env, serviceEnv(names));
  }
  const address = (key: keyof ServiceAddresses): string => {
    const value = read(key);
    if (value === undefined)
      throw new Error(`${VARIABLES[key].name} is still unset after start-up`);
    return value;
  };
  project.provide('pathcastServices', {
    kafkaBrokers: address('kafkaBrokers'),
    clickhouseUrl: address('clickhouseUrl'),
    postgresUrl: address('postgresUrl'),
  });

  return async () => {
    if (started.length === 0) return;
    if (process.env['PATHCAST_KEEP_SERVICES'] === '1') {
      log(`PATHCAST_KEEP_SERVICES=1: leaving ${started.join(', ')} running`);
      return;
    }
    log(`stopping ${started.join(', ')} (started by this run)`);
    await servicesDown(started, { log });
  };
}
