import { createWriteStream, type WriteStream } from 'node:fs';
import { basename } from 'node:path';
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { closeAll, createLogger, type Logger, type Profile } from '../core/index.js';
import { loadProcessConfig, type Config, type KafkaConfig } from '../config/index.js';
import {
  DEFAULT_PROFILE_TABLE,
  KafkaProfileSink,
  KafkaProfileSource,
  PROFILE_FILE_FORMATS,
  PostgresProfileStore,
  ProfileFileError,
  formatFromPath,
  importProfileFile,
  profileTableIdentifier,
  profileTopicName,
  type ImportProgress,
  type ImportSummary,
  type ProfileFileFormat,
  type ProfileSink,
  type ProfileSource,
  type RowIssue,
} from '../crm/index.js';

/** Where the command writes; tests pass their own. */
export interface CrmIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal: a live progress line, or plain periodic lines. */
  readonly isTTY: boolean;
}

/** Destinations of an import, and sources of `crm get`, as the flags chose them. */
export interface CrmTargets {
  readonly postgres: { readonly url: string; readonly table: string } | undefined;
  readonly kafka: { readonly config: KafkaConfig; readonly topic: string } | undefined;
}

export interface CrmCommandDeps {
  readonly io?: CrmIo;
  readonly loadConfig?: () => Config;
  /** Seams for tests: what the targets become. Default: the PostgreSQL and Kafka stores. */
  readonly openSinks?: (targets: CrmTargets, logger: Logger) => ProfileSink[];
  readonly openSource?: (targets: CrmTargets, logger: Logger) => ProfileSource;
  /** Default: JSON lines at warn level on stderr. */
  readonly logger?: Logger;
}

const processIo: CrmIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
};

/** Bad rows printed one by one before the rest are only counted (use --issues for all). */
const MAX_PRINTED_ISSUES = 20;
const TTY_REFRESH_MS = 100;
const PLAIN_PROGRESS_MS = 5_000;

interface ImportFlags {
  readonly format?: ProfileFileFormat;
  readonly delimiter?: string;
  readonly postgres?: string | true;
  readonly table?: string;
  readonly kafka?: string | true;
  readonly topic?: string;
  readonly dryRun: boolean;
  readonly batchSize: number;
  readonly progress: boolean;
  readonly issues?: string;
  readonly json: boolean;
}

interface GetFlags {
  readonly postgres?: string | true;
  readonly table?: string;
  readonly kafka?: string | true;
  readonly topic?: string;
}

/**
 * `pathcast crm import FILE` and `pathcast crm get USER...`: CRM profiles from CSV or NDJSON
 * files into PostgreSQL and/or the compacted Kafka topic, and a look at what a source holds.
 * Parsing, validation and the stores live in src/crm; only I/O and flags live here.
 */
export function registerCrmCommand(program: Command, deps: CrmCommandDeps = {}): Command {
  const io = deps.io ?? processIo;
  const crm = program.command('crm').description('CRM profiles: import files, look users up');

  crm
    .command('import')
    .description(
      'import CRM profiles from a CSV or NDJSON file (bad rows are reported and skipped)',
    )
    .argument('<file>', 'a .csv (with a header line) or .ndjson/.jsonl file, UTF-8')
    .option('--format <format>', 'csv or ndjson (default: from the file extension)', parseFormat)
    .option('--delimiter <char>', 'CSV field delimiter (default ",")', parseDelimiter)
    .option(
      '--postgres [url]',
      'upsert into a PostgreSQL table (default URL: PATHCAST_POSTGRES_URL); the table is created if missing',
    )
    .option(
      '--table <name>',
      `PostgreSQL table (default: PATHCAST_POSTGRES_TABLE, else ${DEFAULT_PROFILE_TABLE})`,
    )
    .option(
      '--kafka [brokers]',
      'publish to the compacted Kafka topic (default brokers: PATHCAST_KAFKA_BROKERS); created if missing',
    )
    .option('--topic <name>', 'Kafka topic (default: <PATHCAST_KAFKA_TOPIC_PREFIX>.crm-profiles)')
    .option('--dry-run', 'only parse and validate; write nothing', false)
    .option('--batch-size <rows>', 'rows per write', parsePositive, 5_000)
    .option('--no-progress', 'no progress line')
    .option('--issues <file>', 'write every skipped row and warning to FILE as JSON lines')
    .option('--json', 'print the summary as JSON', false)
    .addHelpText(
      'after',
      '\nColumns (any case; user_id = userId = "User ID"): user_id (required), email (hashed, never\n' +
        'stored) or email_hash, segment, lifetime_value, orders, first_order_at, last_order_at (ISO\n' +
        '8601 or epoch ms), tenure_days, churned (true/false/1/0/yes/no), updated_at; any other\n' +
        'column becomes a custom attribute. Later rows of the same user win.\n' +
        'Put FILE before --postgres/--kafka (or write --postgres=URL): an optional value takes the\n' +
        'next word.\n\n' +
        'Examples:\n' +
        '  pathcast crm import profiles.csv --postgres\n' +
        '  pathcast crm import export.jsonl --kafka 127.0.0.1:9092 --postgres postgres://u@host/db\n' +
        '  pathcast crm import profiles.csv --dry-run --issues bad-rows.ndjson\n',
    )
    .action(async (file: string, flags: ImportFlags) => {
      await runImport(file, flags, io, deps);
    });

  crm
    .command('get')
    .description('print the profiles of some users as JSON (null for unknown users)')
    .argument('<userIds...>')
    .option('--postgres [url]', 'read the PostgreSQL table (default URL: PATHCAST_POSTGRES_URL)')
    .option(
      '--table <name>',
      `PostgreSQL table (default: PATHCAST_POSTGRES_TABLE, else ${DEFAULT_PROFILE_TABLE})`,
    )
    .option(
      '--kafka [brokers]',
      'read the whole compacted Kafka topic (default: PATHCAST_KAFKA_BROKERS)',
    )
    .option('--topic <name>', 'Kafka topic (default: <PATHCAST_KAFKA_TOPIC_PREFIX>.crm-profiles)')
    .action(async (userIds: string[], flags: GetFlags) => {
      await runGet(userIds, flags, io, deps);
    });

  return crm;
}

async function runImport(
  file: string,
  flags: ImportFlags,
  io: CrmIo,
  deps: CrmCommandDeps,
): Promise<void> {
  const format = flags.format ?? formatFromPath(file);
  if (format === undefined) {
    stop(
      io,
      `cannot tell the format of ${file} from its name; pass --format csv or --format ndjson`,
    );
  }
  if (flags.delimiter !== undefined && format !== 'csv')
    stop(io, '--delimiter applies to CSV files only');
  if (flags.dryRun && (flags.postgres !== undefined || flags.kafka !== undefined)) {
    stop(io, '--dry-run writes nothing; leave out --postgres and --kafka');
  }
  if (!flags.dryRun && flags.postgres === undefined && flags.kafka === undefined) {
    stop(io, 'choose where to import: --postgres [URL], --kafka [BROKERS] (or both), or --dry-run');
  }
  const config = (deps.loadConfig ?? loadProcessConfig)();
  const targets = resolveTargets(flags, config, io);
  const logger =
    deps.logger ?? createLogger({ level: 'warn', destination: 2, name: 'pathcast-crm' });
  const sinks = flags.dryRun ? [] : (deps.openSinks ?? openSinks)(targets, logger);
  const sink = sinks.length === 0 ? undefined : sinks.length === 1 ? sinks[0] : fanOut(sinks);
  const where = describeTargets(targets, flags.dryRun);
  const progress = new ProgressLine(io, basename(file), flags.progress);
  const issues = new IssuePrinter(io, file, progress, flags.issues);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  let summary: ImportSummary;
  try {
    await Promise.all(sinks.map((s) => s.start()));
    summary = await importProfileFile(file, sink, {
      format,
      batchSize: flags.batchSize,
      ...(flags.delimiter === undefined ? {} : { delimiter: flags.delimiter }),
      progressIntervalMs: io.isTTY ? TTY_REFRESH_MS : PLAIN_PROGRESS_MS,
      onProgress: (p) => progress.update(p),
      onIssue: (issue) => issues.add(issue),
      signal: controller.signal,
    });
  } catch (error) {
    progress.clear();
    if (error instanceof ProfileFileError) stop(io, `${file}: ${error.message}`);
    if ((error as { code?: unknown }).code === 'ENOENT')
      stop(io, `cannot read ${file}: no such file`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    try {
      await closeAll(sinks);
    } finally {
      await issues.close();
    }
  }
  progress.clear();
  issues.printRest();
  if (flags.json) {
    io.stdout(`${JSON.stringify({ file, format, destination: where, ...summary }, null, 2)}\n`);
  } else {
    io.stdout(`${summaryLine(summary, where)}\n`);
  }
  if (summary.rows === 0) io.stderr(`pathcast crm import: warning: ${file} has no data rows\n`);
  if (summary.aborted) {
    throw new CommanderError(130, 'pathcast.crm.interrupted', 'import interrupted');
  }
}

async function runGet(
  userIds: string[],
  flags: GetFlags,
  io: CrmIo,
  deps: CrmCommandDeps,
): Promise<void> {
  if ((flags.postgres === undefined) === (flags.kafka === undefined)) {
    stop(io, 'choose one source: --postgres [URL] or --kafka [BROKERS]');
  }
  const config = (deps.loadConfig ?? loadProcessConfig)();
  const targets = resolveTargets(flags, config, io);
  const logger =
    deps.logger ?? createLogger({ level: 'warn', destination: 2, name: 'pathcast-crm' });
  const source = (deps.openSource ?? openSource)(targets, logger);
  try {
    await source.start();
    const found = await source.getMany(userIds);
    const out: Record<string, Profile | null> = {};
    for (const userId of userIds) out[userId] = found.get(userId) ?? null;
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await source.close();
  }
}

function resolveTargets(
  flags: Pick<ImportFlags, 'postgres' | 'table' | 'kafka' | 'topic'>,
  config: Config,
  io: CrmIo,
): CrmTargets {
  let postgres: CrmTargets['postgres'];
  if (flags.postgres !== undefined) {
    const url = flags.postgres === true ? config.postgres.url : flags.postgres;
    if (url === undefined) {
      stop(io, 'no PostgreSQL URL: pass --postgres URL or set PATHCAST_POSTGRES_URL');
    }
    if (!/^postgres(ql)?:\/\//.test(url)) {
      // Commander gives an optional option-argument the next word, the file name included.
      stop(
        io,
        `--postgres expects a postgres:// URL, got "${url}" (write --postgres=URL, or the file first)`,
      );
    }
    const table = flags.table ?? config.postgres.table;
    try {
      profileTableIdentifier(table);
    } catch (error) {
      stop(io, `--table: ${(error as Error).message}`);
    }
    postgres = { url, table };
  }
  let kafka: CrmTargets['kafka'];
  if (flags.kafka !== undefined) {
    const brokers =
      flags.kafka === true
        ? config.kafka.brokers
        : flags.kafka
            .split(',')
            .map((b) => b.trim())
            .filter((b) => b !== '');
    if (brokers.length === 0) {
      stop(
        io,
        'no Kafka brokers: pass --kafka HOST:PORT[,HOST:PORT] or set PATHCAST_KAFKA_BROKERS',
      );
    }
    const bad = brokers.find((b) => !/^[^\s:/]+:\d{1,5}$/.test(b));
    if (bad !== undefined) {
      stop(
        io,
        `--kafka expects HOST:PORT[,HOST:PORT], got "${bad}" (write --kafka=BROKERS, or the file first)`,
      );
    }
    kafka = {
      config: { ...config.kafka, brokers },
      topic: flags.topic ?? profileTopicName(config.kafka.topicPrefix),
    };
  }
  return { postgres, kafka };
}

function openSinks(targets: CrmTargets, logger: Logger): ProfileSink[] {
  const sinks: ProfileSink[] = [];
  if (targets.postgres !== undefined) {
    sinks.push(
      new PostgresProfileStore(
        { url: targets.postgres.url, table: targets.postgres.table },
        { logger },
      ),
    );
  }
  if (targets.kafka !== undefined) {
    sinks.push(
      new KafkaProfileSink({ kafka: targets.kafka.config, topic: targets.kafka.topic }, { logger }),
    );
  }
  return sinks;
}

function openSource(targets: CrmTargets, logger: Logger): ProfileSource {
  if (targets.postgres !== undefined) {
    return new PostgresProfileStore(
      { url: targets.postgres.url, table: targets.postgres.table, migrate: false },
      { logger },
    );
  }
  if (targets.kafka !== undefined) {
    return new KafkaProfileSource(
      { kafka: targets.kafka.config, topic: targets.kafka.topic },
      { logger },
    );
  }
  throw new RangeError('no source chosen');
}

/** Writes every batch to all sinks; a batch is done when all have it. */
function fanOut(sinks: readonly ProfileSink[]): ProfileSink {
  return {
    name: sinks.map((s) => s.name).join('+'),
    start: async () => undefined,
    close: async () => undefined,
    write: async (profiles) => {
      await Promise.all(sinks.map((s) => s.write(profiles)));
    },
    delete: async (userIds) => {
      await Promise.all(sinks.map((s) => s.delete(userIds)));
    },
  };
}

function describeTargets(targets: CrmTargets, dryRun: boolean): string {
  if (dryRun) return 'nowhere (dry run)';
  const parts: string[] = [];
  if (targets.postgres !== undefined) {
    parts.push(`PostgreSQL table ${targets.postgres.table} at ${safeUrl(targets.postgres.url)}`);
  }
  if (targets.kafka !== undefined) {
    parts.push(`Kafka topic ${targets.kafka.topic} at ${targets.kafka.config.brokers.join(',')}`);
  }
  return parts.join(' and ');
}

/** The URL without its password, for messages. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

function summaryLine(s: ImportSummary, where: string): string {
  const seconds = s.elapsedMs / 1000;
  const verb = where.startsWith('nowhere') ? 'validated' : 'imported';
  return (
    `${verb} ${count(s.imported)} of ${count(s.rows)} rows into ${where} in ${seconds.toFixed(1)} s ` +
    `(${count(Math.round(s.rowsPerSecond))} rows/s); ${count(s.bad)} bad rows skipped, ` +
    `${count(s.duplicates)} duplicate user ids` +
    (s.duplicatesComplete ? '' : ' (duplicate detection stopped at 1,000,000 users)') +
    (s.aborted ? '; interrupted: the rest of the file was not read' : '')
  );
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * The progress display: on a terminal one line redrawn in place (bar, %, rows, rows/s, bad);
 * otherwise a plain line every few seconds, which logs and CI output keep readable.
 */
class ProgressLine {
  private readonly io: CrmIo;
  private readonly name: string;
  private readonly enabled: boolean;
  private shown = false;

  constructor(io: CrmIo, name: string, enabled: boolean) {
    this.io = io;
    this.name = name;
    this.enabled = enabled;
  }

  update(p: ImportProgress): void {
    if (!this.enabled) return;
    const rate = p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
    const fraction =
      p.totalBytes !== undefined && p.totalBytes > 0
        ? Math.min(1, p.bytesRead / p.totalBytes)
        : undefined;
    const percent = fraction === undefined ? '' : `${(fraction * 100).toFixed(0).padStart(3)}% `;
    const figures = `${count(p.rows)} rows, ${count(rate)} rows/s, ${count(p.bad)} bad`;
    if (this.io.isTTY) {
      const width = 24;
      const filled = Math.round((fraction ?? 0) * width);
      const bar =
        fraction === undefined ? '' : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] `;
      this.io.stderr(`\r\x1b[K${this.name} ${bar}${percent}${figures}`);
      this.shown = true;
    } else {
      this.io.stderr(`pathcast crm import: ${this.name}: ${percent}${figures}\n`);
    }
  }

  /** Clears the live line (before other output, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.io.stderr('\r\x1b[K');
    this.shown = false;
  }
}

/** Prints the first issues as they come, counts the rest, and writes all to --issues FILE. */
class IssuePrinter {
  private readonly io: CrmIo;
  private readonly file: string;
  private readonly progress: ProgressLine;
  private readonly out: WriteStream | undefined;
  private printed = 0;
  private unprinted = 0;
  private writeError: Error | undefined;

  constructor(io: CrmIo, file: string, progress: ProgressLine, issuesFile: string | undefined) {
    this.io = io;
    this.file = file;
    this.progress = progress;
    this.out =
      issuesFile === undefined ? undefined : createWriteStream(issuesFile, { encoding: 'utf8' });
    // Reported when the import ends (close()); without a listener the error would crash.
    this.out?.on('error', (error) => {
      this.writeError ??= error;
    });
  }

  add(issue: RowIssue): void {
    this.out?.write(`${JSON.stringify(issue)}\n`);
    if (this.printed >= MAX_PRINTED_ISSUES) {
      this.unprinted += 1;
      return;
    }
    this.printed += 1;
    this.progress.clear();
    const what = issue.severity === 'error' ? 'skipped' : 'warning';
    const field = issue.field === null ? '' : `${issue.field}: `;
    this.io.stderr(
      `pathcast crm import: ${this.file}:${issue.line}: ${what}: ${field}${issue.reason}\n`,
    );
  }

  printRest(): void {
    if (this.unprinted === 0) return;
    this.io.stderr(
      `pathcast crm import: ${this.file}: ${count(this.unprinted)} more issues not shown` +
        (this.out === undefined ? ' (--issues FILE lists them all)' : '') +
        '\n',
    );
  }

  async close(): Promise<void> {
    const out = this.out;
    if (out === undefined) return;
    if (this.writeError === undefined && !out.destroyed) {
      await new Promise<void>((resolve) => {
        out.once('error', () => resolve());
        out.end(() => resolve());
      });
    }
    if (this.writeError !== undefined) {
      throw new Error(`cannot write the issues file: ${this.writeError.message}`, {
        cause: this.writeError,
      });
    }
  }
}

function parseFormat(value: string): ProfileFileFormat {
  const format = PROFILE_FILE_FORMATS.find((f) => f === value.trim().toLowerCase());
  if (format === undefined)
    throw new InvalidArgumentError(`expected ${PROFILE_FILE_FORMATS.join(' or ')}.`);
  return format;
}

function parseDelimiter(value: string): string {
  const delimiter = value === '\\t' || value.toLowerCase() === 'tab' ? '\t' : value;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new InvalidArgumentError('expected one character (or "tab"), not a quote or newline.');
  }
  return delimiter;
}

function parsePositive(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError('expected a whole number >= 1.');
  }
  return parsed;
}

/** Prints the reason and ends the command with a non-zero exit (main maps it to the usage code). */
function stop(io: CrmIo, message: string): never {
  io.stderr(`pathcast crm: ${message}\n`);
  throw new CommanderError(1, 'pathcast.crm', message);
}
