import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { retry, systemClock, type Clock, type Profile, type RetryOptions } from '../core/index.js';
import type { ProfileSink } from './profile-source.js';
import {
  createProfileRowParser,
  type ProfileFileFormat,
  type ProfileRow,
  type RowIssue,
} from './profile-rows.js';

export interface ImportProgress {
  /** Data rows read so far, good and bad. */
  readonly rows: number;
  /** Rows the sink has confirmed (durable). */
  readonly imported: number;
  /** Rows skipped with an error. */
  readonly bad: number;
  /** Rows whose user id an earlier row already had (imported: the later row wins). */
  readonly duplicates: number;
  readonly bytesRead: number;
  /** Size of the input when known (a file), for a percentage. */
  readonly totalBytes: number | undefined;
  readonly elapsedMs: number;
}

export interface ImportSummary extends ImportProgress {
  /** Rows read per second over the whole import. */
  readonly rowsPerSecond: number;
  /** False when the file had more users than duplicate detection keeps track of. */
  readonly duplicatesComplete: boolean;
  /** True when the signal stopped the import early; rows read until then were written. */
  readonly aborted: boolean;
}

export interface ImportOptions {
  readonly format: ProfileFileFormat;
  /** CSV delimiter; default ','. */
  readonly delimiter?: string;
  /** Rows per sink write. Default 5,000. */
  readonly batchSize?: number;
  /** Default 250 ms. */
  readonly progressIntervalMs?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Every skipped row (severity error) and every duplicate (warning), as found. */
  readonly onIssue?: (issue: RowIssue) => void;
  /** Stops the import after the batch in hand is written. */
  readonly signal?: AbortSignal;
}

export interface ImportDeps {
  readonly clock?: Clock;
  /** Retries of a failed sink write (default: 5, jittered backoff from 100 ms); a test seam. */
  readonly writeRetry?: Pick<RetryOptions, 'retries' | 'initialMs' | 'maxMs' | 'sleep'>;
}

/** Users remembered for duplicate detection; beyond this the import goes on without it. */
const MAX_TRACKED_USERS = 1_000_000;

/**
 * Streams profile rows from text chunks into a sink (none = validate only): batches of
 * `batchSize`, one write in flight while the next batch is parsed, failed writes retried when
 * the sink says they may pass. Bad rows are reported through onIssue and skipped; they never
 * stop the import. A file that cannot be read as profiles at all (no header) throws
 * ProfileFileError; a sink that keeps failing throws its error.
 */
export async function importProfiles(
  chunks: AsyncIterable<string>,
  sink: ProfileSink | undefined,
  options: ImportOptions,
  deps: ImportDeps & { readonly bytesRead?: () => number; readonly totalBytes?: number } = {},
): Promise<ImportSummary> {
  const clock = deps.clock ?? systemClock;
  const started = clock.now();
  const parser = createProfileRowParser({
    format: options.format,
    now: started,
    ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
  });
  const batchSize = options.batchSize ?? 5_000;
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError('batchSize must be a whole number >= 1');
  }
  const progressIntervalMs = options.progressIntervalMs ?? 250;
  const firstLine = new Map<string, number>();
  let rows = 0;
  let imported = 0;
  let bad = 0;
  let duplicates = 0;
  let batch: Profile[] = [];
  let inFlight: Promise<void> | undefined;
  let writeFailure: { error: unknown } | undefined;
  let lastProgressAt = started;
  let aborted = false;

  const progress = (): ImportProgress => ({
    rows,
    imported,
    bad,
    duplicates,
    bytesRead: deps.bytesRead?.() ?? 0,
    totalBytes: deps.totalBytes,
    elapsedMs: clock.now() - started,
  });

  const take = (row: ProfileRow): void => {
    rows += 1;
    if (!row.ok) {
      bad += 1;
      options.onIssue?.(row.issue);
      return;
    }
    const { userId } = row.profile;
    const earlier = firstLine.get(userId);
    if (earlier !== undefined) {
      duplicates += 1;
      options.onIssue?.({
        line: row.line,
        field: null,
        code: 'duplicate_user_id',
        severity: 'warning',
        reason: `user id also on line ${earlier}; this later row wins`,
      });
    } else if (firstLine.size < MAX_TRACKED_USERS) {
      firstLine.set(userId, row.line);
    }
    batch.push(row.profile);
  };

  // A function, not an inline check: TypeScript cannot see the assignment in the callbacks.
  const throwIfWriteFailed = (): void => {
    if (writeFailure !== undefined) throw writeFailure.error;
  };

  const write = async (): Promise<void> => {
    throwIfWriteFailed();
    if (batch.length === 0) return;
    const profiles = batch;
    batch = [];
    await inFlight;
    throwIfWriteFailed();
    if (sink === undefined) {
      imported += profiles.length;
      return;
    }
    // NOTE: the handler is attached at once, so a failure while the next batch is parsed is
    // not an unhandled rejection; it is rethrown at the next write.
    inFlight = retry(() => sink.write(profiles), { retries: 5, ...deps.writeRetry }).then(
      () => {
        imported += profiles.length;
      },
      (error: unknown) => {
        writeFailure = { error };
      },
    );
  };

  const report = (): void => {
    if (options.onProgress === undefined) return;
    const now = clock.now();
    if (now - lastProgressAt < progressIntervalMs) return;
    lastProgressAt = now;
    options.onProgress(progress());
  };

  try {
    for await (const chunk of chunks) {
      for (const row of parser.push(chunk)) {
        take(row);
        if (batch.length >= batchSize) await write();
      }
      report();
      if (options.signal?.aborted === true) {
        aborted = true;
        break;
      }
    }
    if (!aborted) for (const row of parser.end()) take(row);
    await write();
  } finally {
    await inFlight;
  }
  throwIfWriteFailed();

  const final = progress();
  options.onProgress?.(final);
  return {
    ...final,
    rowsPerSecond: final.elapsedMs > 0 ? (rows * 1000) / final.elapsedMs : rows,
    duplicatesComplete: firstLine.size < MAX_TRACKED_USERS,
    aborted,
  };
}

/** importProfiles over a file, with the bytes read for progress. The file must be UTF-8. */
export async function importProfileFile(
  path: string,
  sink: ProfileSink | undefined,
  options: ImportOptions,
  deps: ImportDeps = {},
): Promise<ImportSummary> {
  const { size } = await stat(path);
  let bytesRead = 0;
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  const decoder = new TextDecoder('utf-8');
  async function* text(): AsyncGenerator<string> {
    for await (const buffer of stream as AsyncIterable<Buffer>) {
      bytesRead += buffer.length;
      // stream: true keeps a character split between two reads whole.
      yield decoder.decode(buffer, { stream: true });
    }
    yield decoder.decode();
  }
  try {
    return await importProfiles(text(), sink, options, {
      ...deps,
      bytesRead: () => bytesRead,
      totalBytes: size,
    });
  } finally {
    stream.destroy();
  }
}
