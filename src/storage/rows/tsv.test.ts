import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, label } from '../testing/hostile-strings.js';
import { tsvLine, tsvString } from './tsv.js';

/** ClickHouse's reading of an escaped TSV field (the escapes tsvString emits). */
function unescape(field: string): string {
  return field.replace(/\\(.)/gs, (_m, ch: string) =>
    ch === 't' ? '\t' : ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch === '0' ? '\0' : ch,
  );
}

describe('TSV encoding', () => {
  it.each(HOSTILE_STRINGS.map((h) => [label(h), h]))('keeps %s in one field', (_l, h) => {
    const field = tsvString(h);
    expect(field).not.toMatch(/[\t\n\r\0]/);
    expect(unescape(field)).toBe(h);
  });

  it('encodes every cell type by its JavaScript type', () => {
    const row = { s: 'a\tb\\c', n: 1.5, i: -3, z: null, a: ["x'y", 'tab\there'], f: [0.25, 1] };
    expect(tsvLine(row, ['s', 'n', 'i', 'z', 'a', 'f'])).toBe(
      "a\\tb\\\\c\t1.5\t-3\t\\N\t['x\\'y','tab\\there']\t[0.25,1]",
    );
    expect(tsvLine({ s: '\\N' }, ['s'])).toBe('\\\\N'); // the text \N, not NULL
  });

  it('refuses a cell it cannot spell', () => {
    expect(() => tsvLine({ b: true }, ['b'])).toThrow(TypeError);
    expect(() => tsvLine({}, ['missing'])).toThrow(TypeError);
  });
});
