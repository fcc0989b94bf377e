import { Command, CommanderError } from 'commander';
import { ConfigError, VERSION, createLogger } from '../core/index.js';
import { loadProcessConfig, maskSecrets, type Config } from '../config/index.js';
import { Runtime } from '../runtime/index.js';
import { registerAttributionCommand } from './attribution.js';

/** Exit codes: 0 ok, 1 failure at run time, 2 usage or configuration error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('pathcast')
    .description('Real-time clickstream-to-conversion engine')
    .version(VERSION, '-v, --version')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('config')
    .description('print the resolved configuration (secrets masked) and exit')
    .action(() => {
      console.log(JSON.stringify(maskSecrets(loadProcessConfig()), null, 2));
    });

  program
    .command('start')
    .description('run Pathcast until Ctrl-C (embedded log and chdb unless configured otherwise)')
    .option('--demo', 'embedded everything, for a first look')
    .action(async () => {
      await startUntilSignal(loadProcessConfig());
    });

  registerAttributionCommand(program);

  return program;
}

async function startUntilSignal(config: Config): Promise<void> {
  const logger = createLogger({ level: config.runtime.logLevel });
  const runtime = new Runtime(config, { logger });
  await runtime.start();
  const status = runtime.status();
  console.log(
    `pathcast ${VERSION} is running\n` +
      `  event log: ${status.log === 'kafka' ? `Kafka at ${config.kafka.brokers.join(',')}` : 'embedded (in memory)'}\n` +
      `  history:   ${status.history === 'server' ? `ClickHouse server at ${status.historyLocation}` : `embedded chdb in ${status.historyLocation}`}\n` +
      '  press Ctrl-C to stop',
  );
  await new Promise<void>((resolve) => {
    // NOTE: signal listeners do not keep Node's event loop alive; this timer does, until a signal.
    const keepAlive = setInterval(() => undefined, 60_000);
    const stop = (): void => {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await runtime.close();
  console.log('pathcast stopped');
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0; usage errors were printed.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      console.error(`pathcast: configuration error: ${error.message}`);
      return EXIT.usage;
    }
    console.error(`pathcast: ${(error as Error).stack ?? String(error)}`);
    return EXIT.failure;
  }
}
