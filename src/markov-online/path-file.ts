import { fail, ok, type Result } from '../core/index.js';

/**
 * Reader for ChannelAttribution's aggregated path format:
 *
 *     path;total_conversions;total_conversion_value;total_null
 *     alpha > beta > alpha;3;12.5;10
 *
 * Columns are found by header name, so their order does not matter; `path` and
 * `total_conversions` are required, value and null columns optional. Channels are split on `>`
 * and trimmed (the package splits on the first character of its `sep`, ">", and trims spaces).
 * A bad line is reported with its number and skipped; only a missing header stops the read.
 */

export interface Journey {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly channels: readonly string[];
  readonly conversions: number;
  readonly value: number;
  readonly nulls: number;
}

export interface LineIssue {
  readonly line: number;
  readonly reason: string;
}

export interface PathFile {
  readonly journeys: readonly Journey[];
  readonly issues: readonly LineIssue[];
  readonly hasValueColumn: boolean;
  readonly hasNullColumn: boolean;
}

export type PathFileErrorCode = 'path_file_empty' | 'path_file_header';

const COLUMNS = {
  path: 'path',
  conversions: 'total_conversions',
  value: 'total_conversion_value',
  nulls: 'total_null',
} as const;

const NUMBER = /^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parsePathFile(text: string): Result<PathFile, PathFileErrorCode> {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const headerLine = lines.findIndex((line) => line.trim() !== '');
  if (headerLine < 0) return fail('path_file_empty', 'the file has no header and no data');
  const header = (lines[headerLine] as string)
    .replace(/\r$/, '')
    .split(';')
    .map((f) => f.trim());
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) {
    return fail('path_file_header', `line ${headerLine + 1}: column "${duplicate}" appears twice`);
  }
  const at = {
    path: header.indexOf(COLUMNS.path),
    conversions: header.indexOf(COLUMNS.conversions),
    value: header.indexOf(COLUMNS.value),
    nulls: header.indexOf(COLUMNS.nulls),
  };
  if (at.path < 0 || at.conversions < 0) {
    return fail(
      'path_file_header',
      `line ${headerLine + 1}: expected a header with columns ${Object.values(COLUMNS).join(';')} ` +
        `(path and total_conversions required), got "${truncate(header.join(';'))}"`,
    );
  }
  const journeys: Journey[] = [];
  const issues: LineIssue[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const parsed = parseLine(raw, header.length, at, i + 1);
    if (typeof parsed === 'string') issues.push({ line: i + 1, reason: parsed });
    else journeys.push(parsed);
  }
  return ok({ journeys, issues, hasValueColumn: at.value >= 0, hasNullColumn: at.nulls >= 0 });
}

interface ColumnIndexes {
  readonly path: number;
  readonly conversions: number;
  readonly value: number;
  readonly nulls: number;
}

/** A Journey, or why the line is bad. */
function parseLine(raw: string, width: number, at: ColumnIndexes, line: number): Journey | string {
  const fields = raw.split(';');
  if (fields.length !== width) {
    return `expected ${width} fields separated by ";", got ${fields.length}`;
  }
  const path = (fields[at.path] as string).trim();
  if (path === '') return 'path is empty';
  const channels = path.split('>').map((channel) => channel.trim());
  const empty = channels.indexOf('');
  if (empty >= 0) return `empty channel name at position ${empty + 1} of the path`;
  const conversions = count(fields[at.conversions], COLUMNS.conversions);
  if (typeof conversions === 'string') return conversions;
  const value = at.value >= 0 ? count(fields[at.value], COLUMNS.value) : 0;
  if (typeof value === 'string') return value;
  const nulls = at.nulls >= 0 ? count(fields[at.nulls], COLUMNS.nulls) : 0;
  if (typeof nulls === 'string') return nulls;
  return { line, channels, conversions, value, nulls };
}

/** A finite number >= 0, or why not. */
function count(field: string | undefined, column: string): number | string {
  const text = (field ?? '').trim();
  if (text === '') return `${column} is empty`;
  if (text.startsWith('-')) return `${column} must not be negative, got "${truncate(text)}"`;
  if (!NUMBER.test(text)) return `${column} is not a number: "${truncate(text)}"`;
  const value = Number(text);
  if (!Number.isFinite(value)) return `${column} is too large: "${truncate(text)}"`;
  return value;
}

function truncate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}
