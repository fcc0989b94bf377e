import { readFile } from 'node:fs/promises';
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { attribute, parsePathFile, type LineIssue } from '../markov-online/index.js';

/** Where the command writes; tests pass their own. */
export interface AttributionIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: AttributionIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Bad lines reported one by one before the rest are only counted (a broken file is not a log flood). */
const MAX_REPORTED_ISSUES = 20;

/**
 * `pathcast attribution FILE [--order K] [--with-null]`: Markov removal-effect attribution plus
 * first/last/linear touch on a ChannelAttribution path file, printed as JSON. Only I/O lives
 * here; parsing and the model are in src/markov-online.
 */
export function registerAttributionCommand(
  program: Command,
  io: AttributionIo = processIo,
): Command {
  return program
    .command('attribution')
    .description(
      'multi-touch attribution (Markov removal effects, first, last, linear) of a path file',
    )
    .argument(
      '<file>',
      'ChannelAttribution format: path;total_conversions;total_conversion_value;total_null',
    )
    .option('--order <k>', 'Markov order, 1 to 3', parseOrder, 1)
    .option('--with-null', 'also use non-converting journeys (the total_null column)', false)
    .action(async (file: string, options: { order: number; withNull: boolean }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        stop(io, `cannot read ${file}: ${(error as Error).message}`);
      }
      const parsed = parsePathFile(text);
      if (!parsed.ok) stop(io, `${file}: ${parsed.reason}`);
      const { journeys, issues, hasNullColumn } = parsed.value;
      reportIssues(io, file, issues);
      if (options.withNull && !hasNullColumn) {
        stop(io, `${file}: --with-null needs a total_null column`);
      }
      const result = attribute(journeys, { order: options.order, withNull: options.withNull });
      if (!result.solve.converged) {
        io.stderr(
          `pathcast attribution: warning: solver stopped after ${result.solve.iterations} ` +
            `iterations (last change ${result.solve.lastChange})\n`,
        );
      }
      io.stdout(`${JSON.stringify(result.report, null, 2)}\n`);
    });
}

function parseOrder(value: string): number {
  const order = Number(value);
  if (!/^[123]$/.test(value.trim()) || !Number.isInteger(order)) {
    throw new InvalidArgumentError('the order must be 1, 2 or 3.');
  }
  return order;
}

function reportIssues(io: AttributionIo, file: string, issues: readonly LineIssue[]): void {
  for (const issue of issues.slice(0, MAX_REPORTED_ISSUES)) {
    io.stderr(`pathcast attribution: ${file}:${issue.line}: skipped: ${issue.reason}\n`);
  }
  if (issues.length > MAX_REPORTED_ISSUES) {
    io.stderr(
      `pathcast attribution: ${file}: ${issues.length - MAX_REPORTED_ISSUES} more bad lines skipped\n`,
    );
  }
}

/** Prints the reason and ends the command with a non-zero exit (main maps it to the usage code). */
function stop(io: AttributionIo, message: string): never {
  io.stderr(`pathcast attribution: ${message}\n`);
  throw new CommanderError(1, 'pathcast.attribution', message);
}
