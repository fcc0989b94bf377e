import { describe, expect, it } from 'vitest';
import { quoteIdentifier } from './clickhouse.js';
import {
  fromAllowList,
  qualifiedTable,
  sqlArray,
  sqlInt,
  sqlList,
  sqlNumber,
  sqlString,
  wellFormed,
} from './sql.js';
import { HOSTILE_STRINGS, label } from './testing/hostile-strings.js';

/**
 * A reference reader of ClickHouse's quoted-literal escapes (the subset sqlString emits), so the
 * tests check meaning, not just shape.
 */
function readLiteral(literal: string): string {
  expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
  const body = literal.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch === "'") throw new Error(`unescaped quote at ${i} in ${literal.slice(0, 80)}`);
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[++i];
    const simple: Record<string, string> = {
      '\\': '\\',
      "'": "'",
      '0': '\0',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
    };
    if (next !== undefined && next in simple) out += simple[next];
    else if (next === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`unknown escape \\${String(next)}`);
  }
  return out;
}

describe('sqlString', () => {
  it.each(HOSTILE_STRINGS.map((s) => [label(s), s]))('round-trips %s', (_name, value) => {
    const literal = sqlString(value);
    expect(readLiteral(literal)).toBe(value);
    // Nothing that could end the literal or the statement survives unescaped.
    // eslint-disable-next-line no-control-regex
    expect(literal.slice(1, -1)).not.toMatch(/(^|[^\\])(\\\\)*'|[\u0000-\u001f\u007f]/);
  });

  it.each([
    ["it's", "'it\\'s'"],
    ['a\\b', "'a\\\\b'"],
    ['\\', "'\\\\'"],
    ["\\'", "'\\\\\\''"],
    ['nul\u0000', "'nul\\0'"],
    ['line\nnext', "'line\\nnext'"],
    ['\u0001\u007f', "'\\x01\\x7f'"],
    ['ünï 😀', "'ünï 😀'"],
    ['', "''"],
  ])('formats %j as %s', (value, expected) => {
    expect(sqlString(value)).toBe(expected);
  });

  it('replaces lone surrogates, which cannot be encoded, with U+FFFD', () => {
    expect(sqlString('a\ud800b')).toBe("'a\ufffdb'");
    expect(wellFormed('\udc00x\ud83d')).toBe('\ufffdx\ufffd');
    expect(wellFormed('😀')).toBe('😀');
  });

  it('refuses non-strings that slipped past the types', () => {
    expect(() => sqlString(1 as unknown as string)).toThrow(/expected a string/);
    expect(() => sqlString(null as unknown as string)).toThrow(/expected a string/);
  });
});

describe('sqlNumber and sqlInt', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [42, '42'],
    [-7, '-7'],
    [0.5, '0.5'],
    [1e-7, '1e-7'],
    [1e21, '1e+21'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('sqlNumber(%d) = %s', (value, expected) => {
    expect(sqlNumber(value)).toBe(expected);
  });

  it.each([NaN, Infinity, -Infinity, 5e-324, '1 OR 1=1', '1', null, undefined])(
    'sqlNumber refuses %s',
    (value) => {
      expect(() => sqlNumber(value as number)).toThrow(/number/);
    },
  );

  it.each([
    [0, 0, 10, '0'],
    [10, 0, 10, '10'],
    [1_700_000_000_000, 0, Number.MAX_SAFE_INTEGER, '1700000000000'],
  ])('sqlInt(%d) in [%d, %d] = %s', (value, min, max, expected) => {
    expect(sqlInt(value, min, max)).toBe(expected);
  });

  it.each([-1, 11, 1.5, NaN, Infinity, 2 ** 53, '5', '5; DROP TABLE x'])(
    'sqlInt refuses %s for [0, 10]',
    (value) => {
      expect(() => sqlInt(value as number, 0, 10)).toThrow(/integer/);
    },
  );
});

describe('lists and arrays', () => {
  it('formats every element with the same escaping', () => {
    expect(sqlList(["a'b", 'c\\'])).toBe("('a\\'b', 'c\\\\')");
    expect(sqlList([1, 2.5])).toBe('(1, 2.5)');
    expect(sqlArray(["' OR 1=1 --", 3])).toBe("['\\' OR 1=1 --', 3]");
    expect(sqlArray([])).toBe('[]');
  });

  it('refuses an empty IN list rather than emitting invalid or always-true SQL', () => {
    expect(() => sqlList([])).toThrow(/at least one/);
  });
});

describe('identifiers', () => {
  it.each(['events', '_x1', 'pathcast_it_abc123'])('quotes %s', (name) => {
    expect(quoteIdentifier(name)).toBe(`\`${name}\``);
  });

  it.each(['', '1abc', 'a-b', 'a.b', 'a`b', 'a b', "a'b", 'events; DROP', 'ünï', 'a\u0000'])(
    'refuses %j',
    (name) => {
      expect(() => quoteIdentifier(name)).toThrow(/identifier/);
    },
  );

  it('qualifies a table with its database', () => {
    expect(qualifiedTable('db', 'events')).toBe('`db`.`events`');
    expect(() => qualifiedTable('db', 'x`; DROP')).toThrow();
  });
});

describe('fromAllowList', () => {
  const buckets = { minute: 60_000, hour: 3_600_000 } as const;

  it('maps an allowed key to our constant', () => {
    expect(fromAllowList(buckets, 'hour', 'bucket')).toBe(3_600_000);
  });

  it.each(['day', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty', "hour'"])(
    'refuses %j, including inherited property names',
    (key) => {
      expect(() => fromAllowList(buckets, key, 'bucket')).toThrow(/bucket must be one of/);
    },
  );
});
