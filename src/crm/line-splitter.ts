/** One non-blank line of a text stream. */
export interface TextLine {
  /** 1-based. */
  readonly line: number;
  readonly text: string;
  /** Set when the line was longer than the limit; `text` is then empty. */
  readonly error?: string;
}

/**
 * Splits streamed text into lines (LF or CRLF), whatever the chunk boundaries; drops a leading
 * byte-order mark and blank lines. A line longer than `maxLineChars` is reported, not kept, so
 * a file without line breaks cannot fill the memory.
 */
export class LineSplitter {
  private readonly maxLineChars: number;
  private rest = '';
  private overflow = false;
  private started = false;
  private line = 1;

  constructor(maxLineChars = 4 * 1_048_576) {
    if (!(maxLineChars >= 1)) throw new RangeError('maxLineChars must be at least 1');
    this.maxLineChars = maxLineChars;
  }

  push(chunk: string): TextLine[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: TextLine[] = [];
    let from = 0;
    for (;;) {
      const at = text.indexOf('\n', from);
      if (at === -1) break;
      this.take(text.slice(from, at), out);
      from = at + 1;
    }
    if (!this.overflow) {
      const tail = text.slice(from);
      if (this.rest.length + tail.length > this.maxLineChars) {
        this.overflow = true;
        this.rest = '';
      } else {
        this.rest += tail;
      }
    }
    return out;
  }

  end(): TextLine[] {
    const out: TextLine[] = [];
    if (this.overflow || this.rest.trim() !== '') this.take('', out);
    return out;
  }

  private take(piece: string, out: TextLine[]): void {
    const line = this.line;
    this.line += 1;
    if (this.overflow || this.rest.length + piece.length > this.maxLineChars) {
      this.overflow = false;
      this.rest = '';
      out.push({ line, text: '', error: `line is longer than ${this.maxLineChars} characters` });
      return;
    }
    let text = this.rest + piece;
    this.rest = '';
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() !== '') out.push({ line, text });
  }
}
