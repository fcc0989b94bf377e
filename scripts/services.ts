/**
 * `npm run services -- up|down|status|env|install [service...]`: the real Kafka, ClickHouse and
 * PostgreSQL for integration tests, without Docker. See scripts/services/index.ts for the API
 * (re-exported here), which the vitest global setup uses too.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import {
  isServiceName,
  SERVICE_NAMES,
  serviceEnv,
  servicesDown,
  servicesInstall,
  servicesRoot,
  servicesStatus,
  servicesUp,
  type ServiceName,
} from './services/index.js';
import { formatSeconds } from './services/common.js';

export * from './services/index.js';

function parseNames(names: readonly string[]): ServiceName[] {
  for (const name of names) {
    if (!isServiceName(name)) {
      throw new Error(
        `unknown service ${JSON.stringify(name)}; known: ${SERVICE_NAMES.join(', ')}`,
      );
    }
  }
  return names.length === 0 ? [...SERVICE_NAMES] : (names as ServiceName[]);
}

function buildProgram(): Command {
  const program = new Command('services')
    .description(
      `Kafka (KRaft), ClickHouse and PostgreSQL on loopback for tests; data in ${servicesRoot()}`,
    )
    .showHelpAfterError();

  program
    .command('up')
    .description('install what is missing, start the services, wait until healthy')
    .argument('[services...]', `some of: ${SERVICE_NAMES.join(', ')} (default: all)`)
    .action(async (names: string[]) => {
      const result = await servicesUp({ only: parseNames(names) });
      for (const [name, outcome] of Object.entries(result.outcomes)) {
        const how = {
          started: 'started',
          running: 'already running',
          external: 'already answering (not started from this folder; left alone by down)',
        }[outcome.state];
        console.error(
          `[services] ${name.padEnd(10)} ${how}, healthy after ${formatSeconds(outcome.elapsedMs)}`,
        );
      }
      console.error(`[services] all healthy in ${formatSeconds(result.elapsedMs)}`);
      console.error('[services] for your shell: eval "$(npm run -s services -- env)"');
    });

  program
    .command('down')
    .description('stop the services this folder started (pid files); nothing else')
    .argument('[services...]', `some of: ${SERVICE_NAMES.join(', ')} (default: all)`)
    .action(async (names: string[]) => {
      const outcomes = await servicesDown(parseNames(names));
      for (const [name, outcome] of Object.entries(outcomes)) {
        console.error(`[services] ${name.padEnd(10)} ${outcome}`);
      }
    });

  program
    .command('status')
    .description(
      'print each service as healthy/stopped with its address (exit 3 unless all healthy)',
    )
    .argument('[services...]', `some of: ${SERVICE_NAMES.join(', ')} (default: all)`)
    .action(async (names: string[]) => {
      const statuses = await servicesStatus({ only: parseNames(names) });
      for (const s of statuses) {
        console.log(`${s.name.padEnd(10)} ${s.state.padEnd(22)} ${s.address}`);
      }
      if (statuses.some((s) => s.state !== 'healthy' && s.state !== 'external')) {
        process.exitCode = 3;
      }
    });

  program
    .command('env')
    .description('print `export` lines for the running services (PATHCAST_TEST_* and PATHCAST_*)')
    .action(async () => {
      const statuses = await servicesStatus();
      const running = statuses
        .filter((s) => s.state === 'healthy' || s.state === 'external')
        .map((s) => s.name);
      if (running.length === 0) console.error('[services] nothing is running; try `up`');
      for (const [key, value] of Object.entries(serviceEnv(running))) {
        console.log(`export ${key}=${value}`);
      }
    });

  program
    .command('install')
    .description(
      'install every apt package (clickhouse-server, postgresql, chromium) and fetch the Kafka jars',
    )
    .action(async () => {
      await servicesInstall();
    });

  return program;
}

function isMain(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && realpathSync(entry) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  let finished = false;
  // A command whose awaited work leaves nothing keeping the event loop alive would otherwise end
  // the process with status 0 and no word: make that a visible failure.
  process.on('exit', () => {
    if (!finished && process.exitCode === undefined) {
      console.error('[services] exited before the command finished (a bug in scripts/services)');
      process.exitCode = 1;
    }
  });
  buildProgram()
    .parseAsync()
    .then(
      () => (finished = true),
      (error: unknown) => {
        finished = true;
        console.error(`[services] ${(error as Error).message}`);
        process.exitCode = 1;
      },
    );
}
