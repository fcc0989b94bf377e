import { Command, CommanderError } from 'commander';
import { ConfigError, VERSION, createLogger, hugePagesHint } from '../core/index.js';
import { loadProcessConfig, maskSecrets, type Config } from '../config/index.js';
import { Runtime, type RuntimeParts } from '../runtime/index.js';
import { buildApp } from '../gateway/index.js';
import { GEO_ATTRIBUTION } from '../ingest/index.js';
import { registerAttributionCommand } from './attribution.js';
import { registerCrmCommand } from './crm.js';
import { registerSimulateCommand } from './simulate.js';
import { startDemoTraffic, type DemoTraffic } from './demo.js';

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
    .option('--config <file>', 'sites and keys: {"sites": [{"id", "writeKey", "secretKey", ...}]}')
    .option('--demo', 'embedded everything plus simulated visitors, for a first look')
    .action(async (options: { config?: string; demo?: boolean }) => {
      if (options.demo === true) {
        const configFile = options.config === undefined ? {} : { configFile: options.config };
        await startUntilSignal(loadProcessConfig({ ...configFile, demo: true }), { demo: true });
        return;
      }
      await startUntilSignal(
        loadProcessConfig(options.config === undefined ? {} : { configFile: options.config }),
        { demo: false },
      );
    });

  registerAttributionCommand(program);
  registerCrmCommand(program);
  registerSimulateCommand(program);

  return program;
}

async function startUntilSignal(config: Config, mode: { demo: boolean }): Promise<void> {
  const logger = createLogger({ level: config.runtime.logLevel });
  const runtime = new Runtime(config, {
    logger,
    buildApp: (parts: RuntimeParts) =>
      buildApp({
        sites: config.sites.sites,
        log: parts.log,
        topics: parts.topics,
        geo: parts.geo,
        clock: parts.clock,
        logger: parts.logger.child({ component: 'gateway' }),
        rateLimit: config.collector.rateLimit,
        trustProxy: config.http.trustProxy,
        runtime: parts,
        // The gateway's own checks (log and lag, ClickHouse, model) cover the runtime.
        readiness: [],
      }),
  });
  await runtime.start();
  const hint = hugePagesHint(process.platform, config.runtime.hugePages);
  if (hint !== undefined) logger.info('huge_pages_not_advised', { hint });
  const status = runtime.status();
  const lines = [
    `pathcast ${VERSION} is running`,
    `  collector: ${status.url ?? '(not listening)'}/v1/batch   tracker: ${status.url ?? ''}/t.js`,
    `  event log: ${status.log === 'kafka' ? `Kafka at ${config.kafka.brokers.join(',')}` : 'embedded (in memory)'}`,
    `  history:   ${status.history === 'server' ? `ClickHouse server at ${status.historyLocation}` : `embedded chdb in ${status.historyLocation}`}`,
  ];
  if (config.sites.generatedDemo) {
    const demo = config.sites.sites[0];
    lines.push(
      `  site "demo": write key ${demo?.writeKey ?? ''}   secret key ${demo?.secretKey ?? ''}`,
    );
  }
  let traffic: DemoTraffic | undefined;
  const site = config.sites.sites[0];
  if (mode.demo && status.url !== undefined && site !== undefined) {
    traffic = startDemoTraffic(status.url, site.writeKey, undefined, logger);
    lines.push(
      `  dashboard: ${status.url}/   log in as site "${site.id}" with its secret key ${site.secretKey}`,
      '  traffic:   simulated visitors (the last hours replayed, then live)',
    );
  }
  lines.push(`  ${GEO_ATTRIBUTION}`, '  press Ctrl-C to stop');
  console.log(lines.join('\n'));
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
  // Traffic first, so the runtime's flush sees no new events arrive while it drains.
  await traffic?.stop();
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
