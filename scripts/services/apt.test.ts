import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aptInstallCommand, findExecutable } from './apt.js';

describe('aptInstallCommand', () => {
  it.each([
    [
      ['clickhouse-server'],
      false,
      'apt-get update && env DEBIAN_FRONTEND=noninteractive apt-get install -y clickhouse-server',
    ],
    [
      ['postgresql', 'chromium'],
      true,
      'sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql chromium',
    ],
  ])('%j (sudo: %s)', (packages, sudo, expected) => {
    expect(aptInstallCommand(packages, sudo)).toBe(expected);
  });
});

describe('findExecutable', () => {
  const root = mkdtempSync(join(tmpdir(), 'pathcast-apt-'));
  const a = join(root, 'a');
  const b = join(root, 'b');
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(join(b, 'tool'), '#!/bin/sh\n');
  chmodSync(join(b, 'tool'), 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    { what: 'on PATH', path: [a, b].join(delimiter), expected: join(b, 'tool') },
    {
      what: 'with empty PATH entries',
      path: ['', a, '', b].join(delimiter),
      expected: join(b, 'tool'),
    },
  ])('finds a tool $what', ({ path, expected }) => {
    expect(findExecutable('tool', { PATH: path })).toBe(expected);
  });

  it('misses a tool that is nowhere', () => {
    expect(findExecutable('pathcast-no-such-tool', { PATH: a })).toBeUndefined();
  });
});
