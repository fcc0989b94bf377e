import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { registerAttributionCommand } from './attribution.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pathcast-attribution-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HEADER = 'path;total_conversions;total_conversion_value;total_null';

interface Run {
  readonly out: string;
  readonly err: string;
  readonly error: unknown;
}

async function run(args: string[], content?: string): Promise<Run> {
  let out = '';
  let err = '';
  const program = new Command('pathcast')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerAttributionCommand(program, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  const file = join(dir, `paths-${Math.random().toString(36).slice(2)}.csv`);
  if (content !== undefined) await writeFile(file, content, 'utf8');
  let error: unknown;
  try {
    await program.parseAsync(['node', 'pathcast', 'attribution', file, ...args]);
  } catch (thrown) {
    error = thrown;
  }
  return { out, err, error };
}

interface Printed {
  markov: Record<string, { removal_effect: number; conversions: number; value: number }>;
  first: Record<string, { conversions: number; value: number }>;
  last: Record<string, { conversions: number; value: number }>;
  linear: Record<string, { conversions: number; value: number }>;
}

describe('pathcast attribution', () => {
  const data = `${HEADER}\na > b > a;2;20;3\nb;1;5;10\nc > b;1;1;0\n`;

  it('prints markov, first, last and linear attribution as JSON', async () => {
    const { out, err, error } = await run([], data);
    expect(error).toBeUndefined();
    expect(err).toBe('');
    const printed = JSON.parse(out) as Printed;
    expect(Object.keys(printed)).toEqual(['markov', 'first', 'last', 'linear']);
    expect(Object.keys(printed.markov)).toEqual(['a', 'b', 'c']);
    const attributed = Object.values(printed.markov).reduce((s, c) => s + c.conversions, 0);
    expect(attributed).toBeCloseTo(4, 10);
    // Without nulls P(conversion) = 1. Without b only start -> a (1/2) -> conversion (1/2)
    // remains: P = 1/4, so RE(b) = 3/4 (the chain forgets that every a-path passed b).
    expect(printed.markov['b']!.removal_effect).toBeCloseTo(0.75, 12);
    expect(printed.first['a']).toEqual({ conversions: 2, value: 20 });
    expect(printed.last['b']).toEqual({ conversions: 2, value: 6 });
  });

  it('uses nulls and the order when asked', async () => {
    const plain = JSON.parse((await run([], data)).out) as Printed;
    const withNull = JSON.parse((await run(['--with-null', '--order', '2'], data)).out) as Printed;
    expect(withNull.markov['b']!.removal_effect).not.toBeCloseTo(
      plain.markov['b']!.removal_effect,
      6,
    );
    // Heuristics never look at nulls.
    expect(withNull.linear).toEqual(plain.linear);
  });

  it.each([['0'], ['4'], ['two'], ['1.5']])('refuses --order %s', async (order) => {
    const { error, err } = await run(['--order', order], data);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toContain('order must be 1, 2 or 3');
  });

  it('stops with a clear message on an unreadable file', async () => {
    const { error, err, out } = await run([]);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toContain('cannot read');
    expect(out).toBe('');
  });

  it.each([
    ['an empty file', '', 'no header'],
    ['a file without a header', 'a > b;1;2;3\n', 'expected a header'],
    [
      '--with-null without a total_null column',
      'path;total_conversions\na;1\n',
      '--with-null needs',
    ],
  ])('stops on %s', async (_name, content, message) => {
    const args = message === '--with-null needs' ? ['--with-null'] : [];
    const { error, err, out } = await run(args, content);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).not.toBe(0);
    expect(err).toContain(message);
    expect(out).toBe('');
  });

  it('reports bad lines with their numbers and attributes the rest', async () => {
    const content = [
      HEADER,
      'a > b;1;2',
      'a;-1;2;3',
      'a;x;2;3',
      'a > > b;1;1;1',
      'good;2;4;1',
      '',
    ].join('\n');
    const { out, err, error } = await run([], content);
    expect(error).toBeUndefined();
    expect(err).toMatch(/:2: skipped: expected 4 fields/);
    expect(err).toMatch(/:3: skipped: total_conversions must not be negative/);
    expect(err).toMatch(/:4: skipped: total_conversions is not a number/);
    expect(err).toMatch(/:5: skipped: empty channel name/);
    const printed = JSON.parse(out) as Printed;
    expect(Object.keys(printed.markov)).toEqual(['good']);
    expect(printed.markov['good']!.conversions).toBeCloseTo(2, 12);
  });

  it('caps the bad-line report and counts the rest', async () => {
    const bad = Array.from({ length: 50 }, () => 'a;-1;0;0');
    const { err } = await run([], [HEADER, ...bad, 'a;1;1;1'].join('\n'));
    expect(err.split('\n').filter((l) => l.includes('skipped:'))).toHaveLength(20);
    expect(err).toContain('30 more bad lines skipped');
  });

  it('keeps unicode, quotes, __proto__ and a 10k-character channel name verbatim', async () => {
    const long = 'é'.repeat(10_000);
    const content = `${HEADER}\nçanal 🚀 > "quoted\\" > ${long};1;3;0\n__proto__;1;1;1\n`;
    const { out, error } = await run([], content);
    expect(error).toBeUndefined();
    const printed = JSON.parse(out) as Printed;
    expect(Object.keys(printed.markov)).toEqual(['çanal 🚀', '"quoted\\"', long, '__proto__']);
    expect(printed.first['__proto__']).toEqual({ conversions: 1, value: 1 });
  });

  it('prints empty tables when every line is bad', async () => {
    const { out, err } = await run([], `${HEADER}\na;-1;0;0\n`);
    expect(JSON.parse(out)).toEqual({ markov: {}, first: {}, last: {}, linear: {} });
    expect(err).toContain(':2: skipped');
  });
});
