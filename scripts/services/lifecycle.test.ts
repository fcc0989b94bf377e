import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AptInstaller } from './apt.js';
import { downService, pidFileOf, serviceState, upService } from './lifecycle.js';
import { isProcessAlive, readPidFile, spawnDetached } from './process.js';
import type { Service, ServiceContext } from './service.js';

const root = mkdtempSync(join(tmpdir(), 'pathcast-lifecycle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const noApt: AptInstaller = { ensure: async () => undefined };

function context(name: string): { ctx: ServiceContext; lines: string[] } {
  const lines: string[] = [];
  return { ctx: { runDir: join(root, name), log: (l) => lines.push(l), apt: noApt }, lines };
}

/**
 * A stand-in server: a shell script renamed to a unique marker (so stop/status can recognise
 * it), healthy when `healthy()` says so.
 */
function fakeService(options: {
  script: string;
  healthy: (started: boolean) => boolean;
  startTimeoutMs?: number;
}): Service & { readonly spawned: number[] } {
  const marker = `pathcast-fake-${Math.random().toString(36).slice(2)}`;
  let started = false;
  const spawned: number[] = [];
  return {
    spawned,
    name: 'kafka',
    address: 'fake:1',
    env: {},
    processMarker: marker,
    stopSignal: 'SIGTERM',
    startTimeoutMs: options.startTimeoutMs ?? 5000,
    install: async () => undefined,
    async start(ctx) {
      started = true;
      const logFile = join(ctx.runDir, 'server.log');
      const proc = await spawnDetached('bash', ['-c', options.script], {
        cwd: ctx.runDir,
        logFile,
        env: { ...process.env, MARKER: marker },
      });
      spawned.push(proc.pid);
      return proc;
    },
    isHealthy: async () => options.healthy(started),
    logFiles: (ctx) => [join(ctx.runDir, 'server.log')],
  };
}

const LONG_RUNNING = 'exec -a "$MARKER" sleep 60';

describe('upService / downService / serviceState', () => {
  it('starts a stopped service, reuses it, reports it, and stops it', async () => {
    const { ctx, lines } = context('cycle');
    const service = fakeService({ script: LONG_RUNNING, healthy: (started) => started });
    expect(await serviceState(service, ctx)).toBe('stopped');

    const first = await upService(service, ctx);
    expect(first.state).toBe('started');
    expect(lines.some((l) => l.includes('healthy at fake:1'))).toBe(true);
    const pid = readPidFile(pidFileOf(ctx));
    expect(pid).toBeDefined();
    await expect.poll(() => isProcessAlive(pid as number, service.processMarker)).toBe(true);
    expect(await serviceState(service, ctx)).toBe('healthy');

    expect((await upService(service, ctx)).state).toBe('running');
    expect(readPidFile(pidFileOf(ctx))).toBe(pid);

    expect(await downService(service, ctx)).toBe('stopped');
    expect(existsSync(pidFileOf(ctx))).toBe(false);
    expect(isProcessAlive(pid as number, service.processMarker)).toBe(false);
    expect(await downService(service, ctx)).toBe('not-running');
  });

  it('uses, and never stops, something else already answering', async () => {
    const { ctx } = context('external');
    const service = fakeService({ script: LONG_RUNNING, healthy: () => true });
    expect((await upService(service, ctx)).state).toBe('external');
    expect(existsSync(pidFileOf(ctx))).toBe(false);
    expect(await serviceState(service, ctx)).toBe('external');
    expect(await downService(service, ctx)).toBe('not-running');
  });

  it('fails fast when the server exits during start-up, showing its log', async () => {
    const { ctx, lines } = context('crash');
    const service = fakeService({
      script: 'echo starting; echo "fatal: address already in use" >&2; exit 3',
      healthy: () => false,
      startTimeoutMs: 60_000,
    });
    const began = Date.now();
    await expect(upService(service, ctx)).rejects.toThrow(
      /kafka did not start: .*exited \(code 3\)/,
    );
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(lines).toContain('  | fatal: address already in use');
    expect(existsSync(pidFileOf(ctx))).toBe(false);
  });

  it('gives up after the start timeout and stops the server it started', async () => {
    const { ctx, lines } = context('stuck');
    const service = fakeService({
      script: `echo "still warming up"; ${LONG_RUNNING}`,
      healthy: () => false,
      startTimeoutMs: 500,
    });
    await expect(upService(service, ctx)).rejects.toThrow(/not ready after/);
    expect(lines).toContain('  | still warming up');
    expect(existsSync(pidFileOf(ctx))).toBe(false);
    expect(service.spawned).toHaveLength(1);
    expect(isProcessAlive(service.spawned[0] as number, '')).toBe(false);
  });
});
