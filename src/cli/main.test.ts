import { afterEach, describe, expect, it, vi } from 'vitest';
import { VERSION } from '../core/index.js';
import { EXIT, run } from './main.js';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    out += `${args.join(' ')}\n`;
  });
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    err += `${args.join(' ')}\n`;
  });
  return { out: () => out, err: () => err };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('pathcast CLI', () => {
  it('prints its version', async () => {
    const io = capture();
    expect(await run(['node', 'pathcast', '--version'])).toBe(EXIT.ok);
    expect(io.out().trim()).toBe(VERSION);
  });

  it('lists its commands in --help', async () => {
    const io = capture();
    expect(await run(['node', 'pathcast', '--help'])).toBe(EXIT.ok);
    expect(io.out()).toContain('config');
    expect(io.out()).toContain('start');
  });

  it('prints the resolved configuration with secrets masked', async () => {
    vi.stubEnv('PATHCAST_CLICKHOUSE_PASSWORD', 'topsecret');
    vi.stubEnv('PATHCAST_PORT', '9123');
    const io = capture();
    expect(await run(['node', 'pathcast', 'config'])).toBe(EXIT.ok);
    const printed = JSON.parse(io.out()) as {
      http: { port: number };
      clickhouse: { password: string };
    };
    expect(printed.http.port).toBe(9123);
    expect(printed.clickhouse.password).toBe('********');
    expect(io.out()).not.toContain('topsecret');
  });

  it('stops with a usage exit code and names the bad variable', async () => {
    vi.stubEnv('PATHCAST_PORT', 'eighty');
    const io = capture();
    expect(await run(['node', 'pathcast', 'config'])).toBe(EXIT.usage);
    expect(io.err()).toContain('PATHCAST_PORT');
    expect(io.err()).toContain('integer from 0 to 65535');
  });

  it('rejects an unknown command', async () => {
    const io = capture();
    expect(await run(['node', 'pathcast', 'frobnicate'])).toBe(EXIT.usage);
    expect(io.err()).toContain("unknown command 'frobnicate'");
  });
});
