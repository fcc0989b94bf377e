import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresBinDir, postgresServerArgs } from './postgres.js';

describe('postgresServerArgs', () => {
  const args = postgresServerArgs({
    dataDir: '/run/pg/data',
    host: '127.0.0.1',
    port: 15432,
    socketDir: '/run/pg/socket',
  });

  /** `-c name=value` pairs as a map, plus the plain flags. */
  const settings = new Map<string, string>();
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '-c') {
      const [key, ...value] = (args[i + 1] ?? '').split('=');
      settings.set(key ?? '', value.join('='));
    }
  }

  it.each([
    ['-D', '/run/pg/data'],
    ['-p', '15432'],
  ])('passes %s %s', (flag, value) => {
    expect(args[args.indexOf(flag) + 1]).toBe(value);
  });

  it.each([
    ['listen_addresses', '127.0.0.1'],
    ['unix_socket_directories', '/run/pg/socket'],
    ['logging_collector', 'off'],
  ])('sets %s=%s', (key, value) => {
    expect(settings.get(key)).toBe(value);
  });
});

describe('postgresBinDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'pathcast-pg-bin-'));
  const fakeServer = (version: string): void => {
    mkdirSync(join(root, version, 'bin'), { recursive: true });
    writeFileSync(join(root, version, 'bin', 'postgres'), '');
  };
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds nothing in a missing folder', () => {
    expect(postgresBinDir(join(root, 'missing'))).toBeUndefined();
  });

  it('finds nothing when no version has a server binary', () => {
    mkdirSync(join(root, '16', 'bin'), { recursive: true }); // client-only leftovers
    expect(postgresBinDir(root)).toBeUndefined();
  });

  it('picks the newest version numerically, ignoring other folders', () => {
    fakeServer('9');
    fakeServer('15');
    fakeServer('13');
    mkdirSync(join(root, 'lib'), { recursive: true });
    expect(postgresBinDir(root)).toBe(join(root, '15', 'bin'));
  });
});
