import { ValidationError, type Profile } from '../core/index.js';
import { CsvParser, type CsvRecord } from './csv-parser.js';
import { LineSplitter, type TextLine } from './line-splitter.js';
import {
  buildProfile,
  inputFromObject,
  profileField,
  type FieldIssue,
  type ProfileField,
  type ProfileInput,
  type RawValue,
} from './profile-record.js';
import { quote } from './profile-values.js';

export const PROFILE_FILE_FORMATS = ['csv', 'ndjson'] as const;
export type ProfileFileFormat = (typeof PROFILE_FILE_FORMATS)[number];

/** The format a file name implies: .csv; .ndjson or .jsonl. */
export function formatFromPath(path: string): ProfileFileFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  return undefined;
}

/** A row that was skipped (error) or imported with a remark (warning), by line. */
export interface RowIssue extends FieldIssue {
  readonly line: number;
  readonly severity: 'error' | 'warning';
}

export type ProfileRow =
  | { readonly ok: true; readonly line: number; readonly profile: Profile }
  | { readonly ok: false; readonly issue: RowIssue };

/** The file as a whole cannot be read as profiles (no header, no user id column, ...). */
export class ProfileFileError extends ValidationError {
  constructor(message: string) {
    super('crm_file_invalid', message);
  }
}

export interface ProfileRowParserOptions {
  readonly format: ProfileFileFormat;
  /** updatedAt of rows without an updated_at value: the import time, ms. */
  readonly now: number;
  /** CSV only; default ','. */
  readonly delimiter?: string;
  /** CSV: longest field; NDJSON: longest line. Defaults 1 MiB and 4 MiB. */
  readonly maxFieldChars?: number;
}

/** Turns streamed text into validated rows; throws ProfileFileError when the file is unusable. */
export interface ProfileRowParser {
  push(chunk: string): ProfileRow[];
  end(): ProfileRow[];
}

export function createProfileRowParser(options: ProfileRowParserOptions): ProfileRowParser {
  return options.format === 'csv' ? new CsvRows(options) : new NdjsonRows(options);
}

interface Column {
  readonly name: string;
  readonly field: ProfileField | undefined;
}

class CsvRows implements ProfileRowParser {
  private readonly parser: CsvParser;
  private readonly now: number;
  private columns: Column[] | undefined;

  constructor(options: ProfileRowParserOptions) {
    this.parser = new CsvParser({
      ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
      ...(options.maxFieldChars === undefined ? {} : { maxFieldChars: options.maxFieldChars }),
    });
    this.now = options.now;
  }

  push(chunk: string): ProfileRow[] {
    return this.rows(this.parser.push(chunk));
  }

  end(): ProfileRow[] {
    const rows = this.rows(this.parser.end());
    if (this.columns === undefined) {
      throw new ProfileFileError(
        'the file is empty: a CSV file needs a header line naming its columns (user_id, email, segment, ...)',
      );
    }
    return rows;
  }

  private rows(records: CsvRecord[]): ProfileRow[] {
    const out: ProfileRow[] = [];
    for (const record of records) {
      if (this.columns === undefined) {
        this.columns = headerColumns(record);
        continue;
      }
      out.push(this.row(record, this.columns));
    }
    return out;
  }

  private row(record: CsvRecord, columns: Column[]): ProfileRow {
    const { line } = record;
    if (record.error !== undefined) {
      return rowIssue(line, { field: null, code: 'malformed_csv', reason: record.error });
    }
    if (record.fields.length !== columns.length) {
      return rowIssue(line, {
        field: null,
        code: 'field_count',
        reason: `has ${record.fields.length} fields; the header has ${columns.length}`,
      });
    }
    const fields: Partial<Record<ProfileField, RawValue>> = {};
    const attributes: Array<readonly [string, unknown]> = [];
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as Column;
      const value = record.fields[i];
      if (column.field === undefined) attributes.push([column.name, value]);
      else fields[column.field] = { column: column.name, value };
    }
    return toRow(line, { fields, attributes }, this.now);
  }
}

/** Reads the header: every column named once, and one of them the user id. */
function headerColumns(record: CsvRecord): Column[] {
  if (record.error !== undefined) {
    throw new ProfileFileError(`line ${record.line}: the header is malformed: ${record.error}`);
  }
  const columns: Column[] = [];
  const seen = new Map<string, string>();
  for (const [index, raw] of record.fields.entries()) {
    const name = raw.trim();
    if (name === '') {
      throw new ProfileFileError(`line ${record.line}: header column ${index + 1} has no name`);
    }
    const field = profileField(name);
    const key = field ?? `attribute:${name}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new ProfileFileError(
        `line ${record.line}: the header names the same column twice (${quote(earlier)} and ${quote(name)})`,
      );
    }
    seen.set(key, name);
    columns.push({ name, field });
  }
  if (!columns.some((column) => column.field === 'userId')) {
    const found = record.fields
      .slice(0, 5)
      .map((f) => quote(f))
      .join(', ');
    throw new ProfileFileError(
      `line ${record.line}: no user id column; the first line must be a header naming the columns ` +
        `(user_id or userId, email, segment, ...), found ${found}`,
    );
  }
  return columns;
}

class NdjsonRows implements ProfileRowParser {
  private readonly lines: LineSplitter;
  private readonly now: number;

  constructor(options: ProfileRowParserOptions) {
    this.lines = new LineSplitter(options.maxFieldChars);
    this.now = options.now;
  }

  push(chunk: string): ProfileRow[] {
    return this.lines.push(chunk).map((line) => this.row(line));
  }

  end(): ProfileRow[] {
    return this.lines.end().map((line) => this.row(line));
  }

  private row({ line, text, error }: TextLine): ProfileRow {
    if (error !== undefined)
      return rowIssue(line, { field: null, code: 'malformed_json', reason: error });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (thrown) {
      return rowIssue(line, {
        field: null,
        code: 'malformed_json',
        reason: `invalid JSON: ${(thrown as Error).message}`,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return rowIssue(line, {
        field: null,
        code: 'not_an_object',
        reason: `expected a JSON object per line, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
      });
    }
    const input = inputFromObject(parsed as Readonly<Record<string, unknown>>);
    if (!input.ok) return rowIssue(line, input.issue);
    return toRow(line, input.input, this.now);
  }
}

function toRow(line: number, input: ProfileInput, now: number): ProfileRow {
  const built = buildProfile(input, now);
  return built.ok ? { ok: true, line, profile: built.profile } : rowIssue(line, built.issue);
}

function rowIssue(line: number, issue: FieldIssue): ProfileRow {
  return { ok: false, issue: { ...issue, line, severity: 'error' } };
}

/** Parses a whole text at once; for tests and small inputs. */
export function parseProfileText(text: string, options: ProfileRowParserOptions): ProfileRow[] {
  const parser = createProfileRowParser(options);
  return [...parser.push(text), ...parser.end()];
}
