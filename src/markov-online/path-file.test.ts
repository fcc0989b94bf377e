import { describe, expect, it } from 'vitest';
import { parsePathFile, type PathFile } from './path-file.js';

const HEADER = 'path;total_conversions;total_conversion_value;total_null';

function parsed(text: string): PathFile {
  const result = parsePathFile(text);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

describe('parsePathFile', () => {
  it('reads journeys, trimming channels and fields, across CRLF and a BOM', () => {
    const file = parsed(
      `\uFEFF${HEADER}\r\n alpha >beta>  gamma ; 2 ;10.5; 3\r\nbeta;0;0;7\r\n\r\n`,
    );
    expect(file.issues).toEqual([]);
    expect(file.journeys).toEqual([
      { line: 2, channels: ['alpha', 'beta', 'gamma'], conversions: 2, value: 10.5, nulls: 3 },
      { line: 3, channels: ['beta'], conversions: 0, value: 0, nulls: 7 },
    ]);
    expect(file).toMatchObject({ hasValueColumn: true, hasNullColumn: true });
  });

  it('finds columns by name and accepts files without value or null columns', () => {
    const file = parsed('total_conversions;path\n4;a > b\n');
    expect(file.journeys).toEqual([
      { line: 2, channels: ['a', 'b'], conversions: 4, value: 0, nulls: 0 },
    ]);
    expect(file).toMatchObject({ hasValueColumn: false, hasNullColumn: false });
  });

  it.each([
    ['', 'path_file_empty'],
    ['\n  \n\r\n', 'path_file_empty'],
    ['alpha > beta;1;2;3\n', 'path_file_header'],
    ['path;total_null\na;1\n', 'path_file_header'],
    ['path;path;total_conversions\n', 'path_file_header'],
  ])('refuses a file without a usable header: %j', (text, code) => {
    const result = parsePathFile(text);
    expect(result.ok || result.code).toBe(code);
  });

  it.each([
    ['a > b;1;2', 'expected 4 fields'],
    ['a > b;1;2;3;4', 'expected 4 fields'],
    [';1;2;3', 'path is empty'],
    ['a > > b;1;2;3', 'empty channel name at position 2'],
    ['a >;1;2;3', 'empty channel name at position 2'],
    ['a;-1;2;3', 'total_conversions must not be negative'],
    ['a;1;-0.5;3', 'total_conversion_value must not be negative'],
    ['a;1;2;-3', 'total_null must not be negative'],
    ['a;one;2;3', 'total_conversions is not a number'],
    ['a;1;NaN;3', 'total_conversion_value is not a number'],
    ['a;1;2;Infinity', 'total_null is not a number'],
    ['a;0x10;2;3', 'is not a number'],
    ['a;1e400;2;3', 'too large'],
    ['a;;2;3', 'total_conversions is empty'],
    ['a;1 2;2;3', 'is not a number'],
  ])('reports and skips the bad line %j', (line, reason) => {
    const file = parsed(`${HEADER}\ngood;1;1;1\n${line}\nalso good;2;2;2\n`);
    expect(file.journeys.map((j) => j.line)).toEqual([2, 4]);
    expect(file.issues).toHaveLength(1);
    expect(file.issues[0]!.line).toBe(3);
    expect(file.issues[0]!.reason).toContain(reason);
  });

  it('keeps hostile channel names verbatim: unicode, quotes, backslashes, 10k characters', () => {
    const long = 'x'.repeat(10_000);
    const file = parsed(
      `${HEADER}\nçanal 🚀 > "q'uote" > back\\slash > ${long} > __proto__;1;2;3\n`,
    );
    expect(file.journeys[0]!.channels).toEqual([
      'çanal 🚀',
      `"q'uote"`,
      'back\\slash',
      long,
      '__proto__',
    ]);
  });

  it('quotes at most a short excerpt of a bad field', () => {
    const file = parsed(`${HEADER}\na;${'9'.repeat(5_000)}x;1;1\n`);
    expect(file.issues[0]!.reason.length).toBeLessThan(200);
  });

  it('accepts decimal forms Number() understands and nothing else', () => {
    const file = parsed(`${HEADER}\na;1.;.5;1e2\nb;+3;0.25;2E-1\n`);
    expect(file.journeys.map((j) => [j.conversions, j.value, j.nulls])).toEqual([
      [1, 0.5, 100],
      [3, 0.25, 0.2],
    ]);
  });
});
