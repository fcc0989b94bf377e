import { ChunkPool } from './chunk-pool.js';
import { writeDigits } from './decimal-digits.js';
import { float, int, uint } from './values.js';

/**
 * Rows as ClickHouse's TabSeparated input, written straight into bytes: the format every
 * version parses fastest (about twice the rows/s of JSONEachRow on 18.16 here, in a third of the
 * bytes: no key names per row), and the encoding that costs the writer least.
 *
 * NOTE: bytes, not a string per row. The writer holds up to four batches of rows while one is
 * in flight; as JavaScript strings those are hundreds of thousands of heap objects that every
 * GC copies and traces, then a join and a UTF-8 copy per insert. Written here they are a few
 * off-heap chunks, sent as they are (bench/results/storage.json has the figures).
 *
 * Each cell method applies the same total conversion as the row mapping (values.ts), writes the
 * cell and a tab; `endRow` turns the last tab into the newline. Strings are escaped for TSV
 * (backslash, tab, LF, CR, NUL) and encoded as UTF-8 with a lone surrogate written as U+FFFD,
 * the same string `wellFormed` (sql.ts) makes. Array cells are array literals whose elements are
 * quoted like SQL literals (sqlString), which is how ClickHouse reads arrays inside TSV.
 */
export class TsvBuffer {
  private readonly chunks: ChunkPool;
  /** Retired chunks' bytes not taken yet, each cut to its rows (the first may be partly taken). */
  private sealed: Buffer[] = [];
  /** The chunk being written: [taken, rowStart) holds whole rows, [rowStart, end) the open one. */
  private bytes: Buffer;
  private taken = 0;
  private rowStart = 0;
  private end = 0;
  /** Position (see `position`) of bytes[0]. */
  private base = 0;
  /** Position of the first byte not taken. */
  private takenPosition = 0;

  /** `chunkBytes`: size of each chunk (a row larger than that gets a chunk of its own). */
  constructor(chunkBytes = 1024 * 1024) {
    this.chunks = new ChunkPool(Math.max(chunkBytes, 64));
    this.bytes = this.chunks.acquire(0);
  }

  /**
   * Bytes written since the buffer was made (less truncations): a position that `take` and
   * `truncate` understand, stable while earlier bytes are handed over.
   */
  get position(): number {
    return this.base + this.end;
  }

  /** Forgets what the open row wrote after `position` (a row that failed half-way). */
  truncate(position: number): void {
    this.end = Math.max(this.rowStart, Math.min(position - this.base, this.end));
  }

  /**
   * Hands over the bytes from the last take (or the start) up to `position`, a row's end, as
   * views of one or more chunks. Nothing writes them again until they are given back with
   * `release`, so they stay valid while an insert and its retries send them.
   */
  take(position: number): Buffer[] {
    const to = Math.min(position, this.base + this.rowStart);
    const views: Buffer[] = [];
    while (this.takenPosition < to && this.sealed.length > 0) {
      const first = this.sealed[0] as Buffer;
      const n = Math.min(first.length, to - this.takenPosition);
      const view = first.subarray(0, n);
      views.push(view);
      this.chunks.lend(view);
      if (n === first.length) {
        this.sealed.shift();
        this.chunks.allTaken(first);
      } else {
        this.sealed[0] = first.subarray(n);
      }
      this.takenPosition += n;
    }
    if (this.takenPosition < to) {
      const n = to - this.takenPosition;
      const view = this.bytes.subarray(this.taken, this.taken + n);
      views.push(view);
      this.chunks.lend(view);
      this.taken += n;
      this.takenPosition = to;
    }
    return views;
  }

  /** Gives back views from `take` once nothing reads them any more: their chunks get reused. */
  release(views: readonly Buffer[]): void {
    this.chunks.release(views);
  }

  /** A copy of what is written and not taken (tests, tools). */
  toBuffer(): Buffer {
    return Buffer.concat([...this.sealed, this.bytes.subarray(this.taken, this.end)]);
  }

  /** String cell. */
  text(value: string): void {
    if (typeof value !== 'string') throw new TypeError(`no TSV text for a ${typeof value} cell`);
    const n = value.length;
    if (n > NATIVE_TEXT_CHARS) {
      this.nativeText(value);
    } else {
      // Most cells are short printable ASCII: copied by this loop; the rest (from the first
      // other character on) by the general one.
      this.reserve(n * 4 + 1);
      const b = this.bytes;
      let p = this.end;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c > 13 && c < 0x80 && c !== BACKSLASH) b[p++] = c;
        else break;
      }
      this.end = p;
      if (i < n) this.utf8(value, TSV_ESCAPES, i);
    }
    this.bytes[this.end++] = TAB;
  }

  /** Nullable(String) cell: null is \N; the text "\N" is escaped like any backslash. */
  nullableText(value: string | null): void {
    if (value === null) this.nullCell();
    else this.text(value);
  }

  /** UInt cell (ms times, counts): truncated and clamped to [0, 2^53) like `uint`. */
  uint(value: number): void {
    this.reserve(17);
    this.end = writeDigits(this.bytes, this.end, uint(value));
    this.bytes[this.end++] = TAB;
  }

  nullableUint(value: number | null): void {
    if (value === null) this.nullCell();
    else this.uint(value);
  }

  /** Signed Int cell, like `int`. */
  int(value: number): void {
    const v = int(value);
    this.reserve(18);
    if (v < 0) this.bytes[this.end++] = MINUS;
    this.end = writeDigits(this.bytes, this.end, Math.abs(v));
    this.bytes[this.end++] = TAB;
  }

  /** Float64 cell: JavaScript's spelling of the number after `float` (no NaN, Inf, subnormal). */
  float(value: number): void {
    this.ascii(String(float(value)));
    this.tab();
  }

  /** UInt8 0/1 cell. */
  flag(value: boolean): void {
    this.reserve(2);
    this.bytes[this.end++] = value ? DIGIT_0 + 1 : DIGIT_0;
    this.bytes[this.end++] = TAB;
  }

  /**
   * Array(String) cell: elements quoted and escaped exactly as sqlString (sql.ts) spells them;
   * such a literal holds no raw tab or newline, so it needs no TSV escaping on top.
   */
  textArray(values: readonly string[]): void {
    this.ascii('[');
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value !== 'string') throw new TypeError(`no SQL text for a ${typeof value}`);
      this.ascii(i === 0 ? "'" : ",'");
      this.utf8(value, SQL_ESCAPES);
      this.ascii("'");
    }
    this.ascii(']');
    this.tab();
  }

  /** Array(Float64) cell. */
  floatArray(values: readonly number[]): void {
    this.ascii('[');
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.ascii(',');
      this.ascii(String(float(values[i] as number)));
    }
    this.ascii(']');
    this.tab();
  }

  /** Ends the row: its last tab becomes the line's newline. */
  endRow(): void {
    if (this.end === this.rowStart) throw new RangeError('a TSV row needs at least one cell');
    this.bytes[this.end - 1] = NEWLINE;
    this.rowStart = this.end;
  }

  private tab(): void {
    this.reserve(1);
    this.bytes[this.end++] = TAB;
  }

  private nullCell(): void {
    this.reserve(3);
    this.bytes[this.end++] = BACKSLASH;
    this.bytes[this.end++] = 0x4e; // N
    this.bytes[this.end++] = TAB;
  }

  /** Text that is ASCII by construction (number spellings, brackets, quotes). */
  private ascii(value: string): void {
    const n = value.length;
    this.reserve(n);
    const b = this.bytes;
    let p = this.end;
    for (let i = 0; i < n; i++) b[p++] = value.charCodeAt(i);
    this.end = p;
  }

  /**
   * A string as UTF-8, ASCII escaped by `escapes` (see `asciiEscapes`), a lone surrogate as
   * U+FFFD (what wellFormed() makes of it). Short strings are most cells: a byte loop beats a
   * call into Node's encoder for them.
   */
  private utf8(value: string, escapes: Uint8Array, from = 0): void {
    const n = value.length;
    // A UTF-16 unit is at most 3 bytes, or 4 as a \xHH escape.
    this.reserve((n - from) * 4 + 1);
    const b = this.bytes;
    let p = this.end;
    for (let i = from; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x80) {
        const escape = escapes[c] as number;
        if (escape === 0) {
          b[p++] = c;
        } else if (escape === HEX) {
          b[p++] = BACKSLASH;
          b[p++] = 0x78; // x
          b[p++] = HEX_DIGITS[c >> 4] as number;
          b[p++] = HEX_DIGITS[c & 0xf] as number;
        } else {
          b[p++] = BACKSLASH;
          b[p++] = escape;
        }
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        const next = i + 1 < n ? value.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          b[p++] = 0xf0 | (cp >> 18);
          b[p++] = 0x80 | ((cp >> 12) & 0x3f);
          b[p++] = 0x80 | ((cp >> 6) & 0x3f);
          b[p++] = 0x80 | (cp & 0x3f);
          i++;
        } else {
          b[p++] = 0xef;
          b[p++] = 0xbf;
          b[p++] = 0xbd;
        }
      }
    }
    this.end = p;
  }

  /**
   * A long TSV string: one regex scan and Node's UTF-8 encoder (which writes a lone surrogate as
   * U+FFFD too) beat the byte loop past a few dozen characters; below, the calls cost more.
   */
  private nativeText(value: string): void {
    this.reserve(value.length * 3 + 1);
    const escaped = TSV_SPECIAL.test(value) ? value.replace(TSV_SPECIALS, tsvEscape) : value;
    this.end += this.bytes.write(escaped, this.end, 'utf8');
  }

  /**
   * Makes room for `bytes` more. When the chunk is full, its whole rows are sealed and the open
   * row moves to another chunk: rows never span chunks, and nothing is copied but the open row.
   */
  private reserve(bytes: number): void {
    if (this.end + bytes <= this.bytes.length) return;
    const untaken = this.rowStart > this.taken;
    if (untaken) this.sealed.push(this.bytes.subarray(this.taken, this.rowStart));
    const open = this.end - this.rowStart;
    const next = this.chunks.acquire(2 * (open + bytes));
    this.bytes.copy(next, 0, this.rowStart, this.end);
    this.chunks.retire(this.bytes, untaken);
    this.base += this.rowStart;
    this.bytes = next;
    this.taken = 0;
    this.rowStart = 0;
    this.end = open;
  }
}

const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;
const MINUS = 45;
const DIGIT_0 = 48;

/** In an escape table: the character becomes \xHH. */
const HEX = 1;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A table over ASCII: 0 = written as it is, HEX = \xHH, else the letter written after a
 * backslash.
 */
function asciiEscapes(named: Readonly<Record<string, string>>, hex: (code: number) => boolean) {
  const table = new Uint8Array(128);
  for (let code = 0; code < 128; code++) if (hex(code)) table[code] = HEX;
  for (const [ch, letter] of Object.entries(named)) table[ch.charCodeAt(0)] = letter.charCodeAt(0);
  return table;
}

/** TSV: the characters that end a field or a row, the backslash, CR and NUL. */
const TSV_ESCAPES = asciiEscapes(
  { '\\': '\\', '\t': 't', '\n': 'n', '\r': 'r', '\0': '0' },
  () => false,
);

/** A quoted SQL literal, as sqlString writes one: named escapes, other controls and DEL as hex. */
const SQL_ESCAPES = asciiEscapes(
  { '\\': '\\', "'": "'", '\0': '0', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't' },
  (code) => code < 0x20 || code === 0x7f,
);

/** Strings longer than this go through `nativeText`. */
const NATIVE_TEXT_CHARS = 48;

// eslint-disable-next-line no-control-regex
const TSV_SPECIAL = /[\\\t\n\r\u0000]/;
// eslint-disable-next-line no-control-regex
const TSV_SPECIALS = /[\\\t\n\r\u0000]/g;

function tsvEscape(ch: string): string {
  return `\\${String.fromCharCode(TSV_ESCAPES[ch.charCodeAt(0)] as number)}`;
}
