import { describe, expect, it } from 'vitest';
import { CsvParser, parseCsv, type CsvRecord } from './csv-parser.js';

const fieldsOf = (records: CsvRecord[]): string[][] => records.map((r) => r.fields);

describe('CsvParser', () => {
  it.each([
    [
      'plain LF',
      'a,b\nc,d\n',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    [
      'CRLF',
      'a,b\r\nc,d\r\n',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    [
      'lone CR',
      'a,b\rc,d\r',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    [
      'no final line break',
      'a,b\nc,d',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    [
      'empty fields',
      ',\n,,x\n',
      [
        ['', ''],
        ['', '', 'x'],
      ],
    ],
    ['trailing delimiter at the end of input', 'a,', [['a', '']]],
    ['quoted delimiter', '"a,b",c\n', [['a,b', 'c']]],
    ['escaped quotes', '"say ""hi""",x\n', [['say "hi"', 'x']]],
    ['only an escaped quote', '""""\n', [['"']]],
    ['empty quoted field', '"",x\n', [['', 'x']]],
    ['line breaks inside quotes', '"l1\nl2\r\nl3",x\n', [['l1\nl2\r\nl3', 'x']]],
    [
      'byte-order mark',
      '\ufeffuser_id,x\n1,2\n',
      [
        ['user_id', 'x'],
        ['1', '2'],
      ],
    ],
    [
      'blank lines skipped',
      '\na,b\n\n\r\n\nc,d\n\n',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    ['quote inside an unquoted field kept', 'a 5" screen,b\n', [['a 5" screen', 'b']]],
    ['spaces kept', ' a , b \n', [[' a ', ' b ']]],
    ['unicode kept', 'ünï,😀,\u200b,e\u0301\n', [['ünï', '😀', '\u200b', 'e\u0301']]],
    ['NUL passes through (the validator refuses it)', 'a\u0000b,c\n', [['a\u0000b', 'c']]],
    ['backslashes are not escapes', '"a\\",b\n', [['a\\', 'b']]],
  ])('%s', (_name, text, expected) => {
    const records = parseCsv(text);
    expect(fieldsOf(records)).toEqual(expected);
    expect(records.every((r) => r.error === undefined)).toBe(true);
  });

  it('numbers each record by the line it starts on', () => {
    const text = 'h1,h2\n\na,"multi\nline\r\nvalue"\nb,c\r\n"x\ry",z\n\nlast,1';
    expect(parseCsv(text).map((r) => [r.line, r.fields[0]])).toEqual([
      [1, 'h1'],
      [3, 'a'],
      [6, 'b'],
      [7, 'x\ry'],
      [10, 'last'],
    ]);
  });

  it.each([
    ['text after a closing quote', '"ab"c,d\nok,1\n', /after the closing quote of field 1/],
    ['a quote never closed', 'a,"open\nb,c\n', /opened on line 1 is never closed/],
  ])('reports %s on its record', (_name, text, reason) => {
    const records = parseCsv(text);
    expect(records[0]?.error).toMatch(reason);
    expect(records.slice(1).every((r) => r.error === undefined)).toBe(true);
  });

  it('keeps parsing after a malformed record', () => {
    const records = parseCsv('"ab"c,d\nok,1\n');
    expect(records.map((r) => r.line)).toEqual([1, 2]);
    expect(records[1]?.fields).toEqual(['ok', '1']);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text =
      '\ufeffid,"na,me",note\r\n1,"a ""b""\r\nc",x\n\n2,plain,"y"\r3,😀é,"\r\n"\r\n4,"q""",' + '\n';
    const whole = parseCsv(text);
    for (let cut = 0; cut <= text.length; cut++) {
      for (const second of [cut, Math.min(text.length, cut + 1), Math.min(text.length, cut + 3)]) {
        const parser = new CsvParser();
        const records = [
          ...parser.push(text.slice(0, cut)),
          ...parser.push(text.slice(cut, second)),
          ...parser.push(text.slice(second)),
          ...parser.end(),
        ];
        expect(records, `cut at ${cut} and ${second}`).toEqual(whole);
      }
    }
  });

  it('parses one character at a time', () => {
    const text = 'a,"b\r\nc"\r\n"d""",e\r\n';
    const parser = new CsvParser();
    const records = [...[...text].flatMap((c) => parser.push(c)), ...parser.end()];
    expect(records).toEqual(parseCsv(text));
    expect(records.map((r) => r.line)).toEqual([1, 3]);
  });

  it('drops a field longer than the limit and marks its record, without keeping it in memory', () => {
    const big = 'x'.repeat(5_000);
    const records = parseCsv(`a,${big},c\nd,e,f\n`, { maxFieldChars: 1_000 });
    expect(records[0]?.error).toMatch(/field 2 is longer than 1000 characters/);
    expect(records[0]?.fields).toEqual(['a', '', 'c']);
    expect(records[1]).toEqual({ line: 2, fields: ['d', 'e', 'f'] });
  });

  it('bounds an unclosed quote to the limit', () => {
    const parser = new CsvParser({ maxFieldChars: 100 });
    parser.push('a,"never closed');
    for (let i = 0; i < 1_000; i++) parser.push('x'.repeat(1_000));
    const [record] = parser.end();
    expect(record?.error).toMatch(/longer than 100 characters/);
    expect(record?.fields.join('').length).toBeLessThan(10);
  });

  it('keeps a 10k-character field whole', () => {
    const value = '"; DROP TABLE x; --'.repeat(600);
    const quoted = `"${value.replace(/"/g, '""')}"`;
    expect(parseCsv(`${quoted},b\n`)[0]?.fields).toEqual([value, 'b']);
  });

  it('takes another delimiter', () => {
    expect(fieldsOf(parseCsv('a;"b;c";d,e\n', { delimiter: ';' }))).toEqual([['a', 'b;c', 'd,e']]);
  });

  it.each(['', ';;', '"', '\n'])('refuses the delimiter %j', (delimiter) => {
    expect(() => new CsvParser({ delimiter })).toThrow(RangeError);
  });

  it('gives nothing for empty input', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\ufeff')).toEqual([]);
    expect(parseCsv('\n\r\n')).toEqual([]);
  });
});
