/** One CSV record (row) as text fields, with the line it starts on. */
export interface CsvRecord {
  /** 1-based line of the file where the record starts (a quoted field may span lines). */
  readonly line: number;
  readonly fields: string[];
  /** Set when the record is malformed; the fields are then only a best effort. */
  readonly error?: string;
}

export interface CsvParserOptions {
  /** One character; default ','. */
  readonly delimiter?: string;
  /**
   * Longest field kept, in characters (default 1 MiB). A longer field marks its record
   * malformed and is dropped while parsing goes on, so an unclosed quote cannot swallow a large
   * file into memory.
   */
  readonly maxFieldChars?: number;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = 0xfeff;

// Parser states. Numbers, not an enum: enums are not erasable syntax.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote seen inside a quoted field: either the first of "" or the closing quote. */
const QUOTE_IN_QUOTED = 3;
/** A CR ended a record; a LF right after it belongs to the same line end. */
const AFTER_CR = 4;
type State = 0 | 1 | 2 | 3 | 4;

/**
 * A streaming RFC 4180 parser: feed text chunks in any split (a chunk may end mid-field,
 * mid-quote or between CR and LF), get complete records out.
 *
 * - quoted fields may hold delimiters, quotes (doubled) and line breaks;
 * - records end at CRLF, LF or a lone CR; a leading byte-order mark is dropped;
 * - blank lines are skipped;
 * - a quote inside an unquoted field is kept literally (as Excel and Python's csv do: the
 *   field did not start with a quote, so nothing is ambiguous);
 * - text after a closing quote (`"ab"c`) and a quote never closed are errors of that record.
 *
 * NOTE: a hand-written parser because no CSV package is among the dependencies, and the rules
 * above are small enough to test completely.
 */
export class CsvParser {
  private readonly delimiter: number;
  private readonly maxFieldChars: number;

  private state: State = FIELD_START;
  private started = false;
  private field = '';
  private fields: string[] = [];
  private overflow = false;
  private error: string | undefined;
  /** Line the cursor is on, 1-based. */
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private lastWasCr = false;

  constructor(options: CsvParserOptions = {}) {
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
      throw new RangeError(`the CSV delimiter must be one character other than a quote or newline`);
    }
    this.delimiter = delimiter.charCodeAt(0);
    this.maxFieldChars = options.maxFieldChars ?? 1_048_576;
    if (!(this.maxFieldChars >= 1)) throw new RangeError('maxFieldChars must be at least 1');
  }

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const n = chunk.length;
    let i = 0;
    if (!this.started && n > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === BOM) i = 1;
    }
    // Start of the text of the current field not yet copied into `this.field`.
    let run = i;
    for (; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.state === AFTER_CR) {
        this.state = FIELD_START;
        if (c === LF) {
          // The second half of a CRLF: the CR already ended the line.
          run = i + 1;
          continue;
        }
      }
      switch (this.state) {
        case FIELD_START:
          if (c === QUOTE) {
            this.state = QUOTED;
            this.quoteLine = this.line;
            this.lastWasCr = false;
            run = i + 1;
          } else if (c === this.delimiter) {
            this.endField();
            run = i + 1;
          } else if (c === LF || c === CR) {
            if (this.fields.length > 0 || this.error !== undefined) {
              this.endField();
              out.push(this.endRecord());
            }
            this.newline(c);
            run = i + 1;
          } else {
            this.state = UNQUOTED;
            run = i;
          }
          break;
        case UNQUOTED:
          if (c === this.delimiter) {
            this.append(chunk, run, i);
            this.endField();
            this.state = FIELD_START;
            run = i + 1;
          } else if (c === LF || c === CR) {
            this.append(chunk, run, i);
            this.endField();
            out.push(this.endRecord());
            this.newline(c);
            run = i + 1;
          }
          break;
        case QUOTED:
          if (c === QUOTE) {
            this.append(chunk, run, i);
            this.state = QUOTE_IN_QUOTED;
            run = i + 1;
          } else if (c === CR || (c === LF && !this.lastWasCr)) {
            // Line breaks inside a quoted field still move the line count (CRLF counts once,
            // also when a chunk ends between the two).
            this.line += 1;
          }
          this.lastWasCr = c === CR;
          break;
        case QUOTE_IN_QUOTED:
          if (c === QUOTE) {
            // "" is an escaped quote: keep one, stay quoted.
            this.state = QUOTED;
            run = i;
          } else if (c === this.delimiter) {
            this.endField();
            this.state = FIELD_START;
            run = i + 1;
          } else if (c === LF || c === CR) {
            this.endField();
            out.push(this.endRecord());
            this.newline(c);
            run = i + 1;
          } else {
            this.error ??= `unexpected text after the closing quote of field ${this.fields.length + 1}`;
            this.state = UNQUOTED;
            run = i;
          }
          break;
      }
    }
    if (this.state === UNQUOTED || this.state === QUOTED) this.append(chunk, run, n);
    return out;
  }

  /** Ends the input; returns the last record, if the text did not end with a line break. */
  end(): CsvRecord[] {
    if (this.state === QUOTED) {
      this.error ??= `a quoted field opened on line ${this.quoteLine} is never closed`;
      this.endField();
      return [this.endRecord()];
    }
    if (this.state === UNQUOTED || this.state === QUOTE_IN_QUOTED || this.fields.length > 0) {
      this.endField();
      return [this.endRecord()];
    }
    return [];
  }

  private newline(c: number): void {
    this.line += 1;
    this.recordLine = this.line;
    this.state = c === CR ? AFTER_CR : FIELD_START;
  }

  private append(chunk: string, from: number, to: number): void {
    if (to <= from || this.overflow) return;
    if (this.field.length + (to - from) > this.maxFieldChars) {
      this.overflow = true;
      this.field = '';
      this.error ??= `field ${this.fields.length + 1} is longer than ${this.maxFieldChars} characters`;
      return;
    }
    this.field += chunk.slice(from, to);
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.overflow = false;
  }

  private endRecord(): CsvRecord {
    const record: CsvRecord =
      this.error === undefined
        ? { line: this.recordLine, fields: this.fields }
        : { line: this.recordLine, fields: this.fields, error: this.error };
    this.fields = [];
    this.error = undefined;
    this.state = FIELD_START;
    return record;
  }
}

/** Parses a whole text at once; for tests and small inputs. */
export function parseCsv(text: string, options: CsvParserOptions = {}): CsvRecord[] {
  const parser = new CsvParser(options);
  return [...parser.push(text), ...parser.end()];
}
