import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isProcessAlive,
  readPidFile,
  runCommand,
  spawnDetached,
  stopProcess,
  tailFile,
  waitUntil,
  withLockFile,
} from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'pathcast-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readPidFile', () => {
  it.each([
    ['12345\n', 12345],
    ['  42  ', 42],
    ['', undefined],
    ['abc', undefined],
    ['-1', undefined],
    ['0', undefined],
  ])('%j -> %s', (content, expected) => {
    const file = join(dir, 'pid');
    writeFileSync(file, content);
    expect(readPidFile(file)).toBe(expected);
  });

  it('reads nothing from a missing file', () => {
    expect(readPidFile(join(dir, 'missing.pid'))).toBeUndefined();
  });
});

describe('tailFile', () => {
  it('returns the last lines, or none for a missing file', () => {
    const file = join(dir, 'log');
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(tailFile(file, 3)).toEqual(['line 97', 'line 98', 'line 99']);
    expect(tailFile(join(dir, 'missing.log'), 3)).toEqual([]);
  });
});

describe('waitUntil', () => {
  it('resolves once the probe says yes', async () => {
    let calls = 0;
    await waitUntil('three calls', async () => ++calls >= 3, { timeoutMs: 5000, intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('fails after the timeout, naming what it waited for', async () => {
    await expect(
      waitUntil('never', async () => false, { timeoutMs: 20, intervalMs: 5 }),
    ).rejects.toThrow(/never: not ready after/);
  });

  it('fails early with the abort reason', async () => {
    await expect(
      waitUntil('server', async () => false, { timeoutMs: 60_000, abortReason: () => 'it died' }),
    ).rejects.toThrow('server: it died');
  });
});

describe('runCommand', () => {
  it.each([
    { args: ['-c', 'echo out; echo err >&2; exit 3'], code: 3, stdout: 'out\n', stderr: 'err\n' },
    { args: ['-c', 'true'], code: 0, stdout: '', stderr: '' },
  ])('$args', async ({ args, code, stdout, stderr }) => {
    expect(await runCommand('sh', args)).toEqual({ code, stdout, stderr });
  });
});

describe('detached processes', () => {
  it('starts, recognises by marker, and stops a detached process', async () => {
    const marker = `pathcast-test-${process.pid}`;
    const log = join(dir, 'detached.log');
    // `exec -a` renames the process, so the marker appears in its command line only once the
    // exec happened (it comes through the environment, not bash's own arguments).
    const proc = await spawnDetached('bash', ['-c', 'exec -a "$MARKER" sleep 60'], {
      cwd: dir,
      logFile: log,
      env: { ...process.env, MARKER: marker },
    });
    await waitUntil('renamed', async () => isProcessAlive(proc.pid, marker), { timeoutMs: 5000 });
    expect(isProcessAlive(proc.pid, 'some-other-server')).toBe(false);
    expect(await stopProcess(proc.pid, marker, 'SIGTERM', 5000)).toBe('stopped');
    expect(isProcessAlive(proc.pid, marker)).toBe(false);
    expect(await stopProcess(proc.pid, marker, 'SIGTERM', 5000)).toBe('not-running');
  });

  it('kills a process that ignores the polite signal', async () => {
    const marker = `pathcast-stubborn-${process.pid}`;
    // An ignored signal stays ignored across exec: the renamed sleep shrugs off SIGTERM.
    const proc = await spawnDetached('bash', ['-c', `trap '' TERM; exec -a "$MARKER" sleep 60`], {
      cwd: dir,
      logFile: join(dir, 'stubborn.log'),
      env: { ...process.env, MARKER: marker },
    });
    await waitUntil('renamed', async () => isProcessAlive(proc.pid, marker), { timeoutMs: 5000 });
    expect(await stopProcess(proc.pid, marker, 'SIGTERM', 300)).toBe('killed');
    expect(isProcessAlive(proc.pid, marker)).toBe(false);
  });

  it('reports an early exit of a detached process', async () => {
    const proc = await spawnDetached('sh', ['-c', 'exit 7'], {
      cwd: dir,
      logFile: join(dir, 'exit.log'),
    });
    await waitUntil('exit seen', async () => proc.exited() !== undefined, { timeoutMs: 5000 });
    expect(proc.exited()).toEqual({ code: 7, signal: null });
  });

  it('rejects a command that does not exist', async () => {
    await expect(
      spawnDetached('pathcast-no-such-binary', [], { cwd: dir, logFile: join(dir, 'x.log') }),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe('withLockFile', () => {
  it('serialises concurrent holders and removes the lock after', async () => {
    const file = join(dir, 'serial.lock');
    const events: string[] = [];
    const hold = (name: string) =>
      withLockFile(file, 5000, async () => {
        events.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 30));
        events.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(existsSync(file)).toBe(false);
  });

  it.each([
    ['a dead holder', '999999999\n'],
    ['garbage', 'not a pid'],
  ])('takes over a lock left by %s', async (_what, content) => {
    const file = join(dir, 'stale.lock');
    writeFileSync(file, content);
    expect(await withLockFile(file, 1000, async () => 'ran')).toBe('ran');
  });

  it('gives up on a lock a live process holds', async () => {
    const file = join(dir, 'held.lock');
    writeFileSync(file, `${process.pid}\n`);
    await expect(withLockFile(file, 300, async () => 'ran')).rejects.toThrow(/still held/);
    rmSync(file);
  });

  it('releases the lock when the work fails', async () => {
    const file = join(dir, 'failing.lock');
    await expect(
      withLockFile(file, 1000, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(file)).toBe(false);
  });
});
