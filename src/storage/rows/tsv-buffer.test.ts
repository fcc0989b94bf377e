import { describe, expect, it } from 'vitest';
import { sqlString } from '../sql.js';
import { HOSTILE_STRINGS, label } from '../testing/hostile-strings.js';
import { readTsv } from '../testing/tsv-reader.js';
import { TsvBuffer } from './tsv-buffer.js';

/** The cells one row of `write` produces, read back. */
function cells(write: (out: TsvBuffer) => void): (string | null)[] {
  const out = new TsvBuffer();
  write(out);
  out.endRow();
  const rows = readTsv(out.toBuffer());
  expect(rows).toHaveLength(1);
  return rows[0] as (string | null)[];
}

// Long enough for the native path of `text`, whatever its threshold.
const PAD = 'p'.repeat(200);

describe('TsvBuffer text cells', () => {
  it.each(HOSTILE_STRINGS.map((h) => [label(h), h]))('keeps %s in one field', (_l, h) => {
    // As it is, after a long prefix (native encoder), and both in one row.
    expect(cells((out) => out.text(h))).toEqual([h]);
    expect(cells((out) => out.text(PAD + h))).toEqual([PAD + h]);
    expect(cells((out) => (out.text(h), out.text(h + PAD), out.text('')))).toEqual([
      h,
      h + PAD,
      '',
    ]);
  });

  it.each([
    ['a lone high surrogate', 'a\ud800b', 'a\ufffdb'],
    ['a lone low surrogate', '\udc00', '\ufffd'],
    ['a high surrogate at the end', 'x\ud83d', 'x\ufffd'],
    ['a reversed pair', '\ude00\ud83d', '\ufffd\ufffd'],
    ['a valid pair', '\ud83d\ude00', '\ud83d\ude00'],
  ])('writes %s as wellFormed() stores it', (_name, input, stored) => {
    expect(cells((out) => out.text(input))).toEqual([stored]);
    expect(cells((out) => out.text(PAD + input))).toEqual([PAD + stored]);
  });

  it('spells NULL as \\N and the text \\N escaped', () => {
    const out = new TsvBuffer();
    out.nullableText(null);
    out.nullableText('\\N');
    out.endRow();
    expect(out.toBuffer().toString()).toBe('\\N\t\\\\N\n');
    expect(readTsv(out.toBuffer())).toEqual([[null, '\\N']]);
  });

  it('refuses a cell it cannot spell, and a row without cells', () => {
    expect(() => new TsvBuffer().text(5 as unknown as string)).toThrow(TypeError);
    expect(() => new TsvBuffer().endRow()).toThrow(RangeError);
  });
});

describe('TsvBuffer number cells', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [10, '10'],
    [99_999_999, '99999999'],
    [100_000_000, '100000000'],
    [100_000_007, '100000007'],
    [1_714_521_600_147, '1714521600147'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [2 ** 60, '9007199254740991'],
    [5.9, '5'],
    [-3, '0'],
    [NaN, '0'],
    [Infinity, '0'],
  ])('uint(%d) is %s', (input, text) => {
    expect(cells((out) => out.uint(input))).toEqual([text]);
  });

  it.each([
    [-5.5, '-5'],
    [-1_000_000_000_007, '-1000000000007'],
    [Number.MIN_SAFE_INTEGER, '-9007199254740991'],
    [42, '42'],
    [NaN, '0'],
  ])('int(%d) is %s', (input, text) => {
    expect(cells((out) => out.int(input))).toEqual([text]);
  });

  it('writes floats in their JavaScript spelling, non-finite and subnormal as 0', () => {
    expect(
      cells((out) => [0.25, -1e-7, 1e21, NaN, -Infinity, 5e-324].forEach((v) => out.float(v))),
    ).toEqual(['0.25', '-1e-7', '1e+21', '0', '0', '0']);
  });

  it('writes flags and nullable numbers', () => {
    expect(
      cells(
        (out) => (out.flag(true), out.flag(false), out.nullableUint(null), out.nullableUint(3)),
      ),
    ).toEqual(['1', '0', null, '3']);
  });
});

describe('TsvBuffer array cells', () => {
  it('quotes text elements like SQL literals, with no raw tab or newline', () => {
    const values = ["x'y", 'tab\there', 'back\\slash', 'new\nline', '\ud800', ''];
    const out = new TsvBuffer();
    out.textArray(values);
    out.textArray([]);
    out.floatArray([0.5, NaN, 1]);
    out.endRow();
    // Array cells are not TSV-escaped: ClickHouse reads the literal as it is.
    const [array, ...rest] = out.toBuffer().toString().split('\t');
    expect(array).toBe(`[${values.map(sqlString).join(',')}]`);
    expect(array).not.toMatch(/[\t\n\r\0]/);
    expect(rest).toEqual(['[]', '[0.5,0,1]\n']);
  });
});

describe('TsvBuffer chunks', () => {
  const row = (i: number) => [`row-${i}`, 'é'.repeat(i % 7), `${'x'.repeat(i % 50)}\t`] as const;
  const write = (out: TsvBuffer, i: number) => {
    for (const cell of row(i)) out.text(cell);
    out.endRow();
  };

  it('hands over whole rows, in order, across many small chunks', () => {
    const out = new TsvBuffer(64);
    const ends: number[] = [];
    const taken: (string | null)[][] = [];
    for (let i = 0; i < 300; i++) {
      write(out, i);
      ends.push(out.position);
      if (i % 37 === 36) {
        const views = out.take(out.position);
        // Every view ends a row: rows never span two chunks.
        for (const view of views) expect(view[view.length - 1]).toBe(10);
        taken.push(...readTsv(views));
      }
    }
    taken.push(...readTsv(out.take(ends[ends.length - 1] as number)));
    expect(taken).toEqual(Array.from({ length: 300 }, (_, i) => [...row(i)]));
    expect(out.take(out.position)).toEqual([]);
  });

  it('takes up to a row end, leaving the rest', () => {
    const out = new TsvBuffer(64);
    write(out, 1);
    const first = out.position;
    write(out, 2);
    write(out, 3);
    expect(readTsv(out.take(first))).toEqual([[...row(1)]]);
    expect(readTsv(out.toBuffer())).toEqual([[...row(2)], [...row(3)]]);
  });

  it('a taken view is never written again', () => {
    const out = new TsvBuffer(64);
    write(out, 5);
    const views = out.take(out.position);
    const before = Buffer.concat(views).toString();
    for (let i = 0; i < 100; i++) write(out, i);
    expect(Buffer.concat(views).toString()).toBe(before);
  });

  it('truncate forgets a row that failed half-way, even one moved to a new chunk', () => {
    const out = new TsvBuffer(64);
    write(out, 1);
    const before = out.position;
    out.text('y'.repeat(40));
    out.text('z'.repeat(40)); // does not fit: the open row moves to a new chunk
    out.truncate(before);
    write(out, 2);
    expect(readTsv(out.take(out.position))).toEqual([[...row(1)], [...row(2)]]);
  });

  it('gives a row larger than a chunk a chunk of its own', () => {
    const out = new TsvBuffer(64);
    write(out, 1);
    const big = 'é'.repeat(5_000);
    out.text(big);
    out.endRow();
    write(out, 2);
    expect(readTsv(out.take(out.position))).toEqual([[...row(1)], [big], [...row(2)]]);
  });
});
