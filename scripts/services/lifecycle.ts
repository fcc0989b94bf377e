import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatSeconds } from './common.js';
import {
  isProcessAlive,
  readPidFile,
  removePidFile,
  stopProcess,
  tailFile,
  waitUntil,
  withLockFile,
  writePidFile,
} from './process.js';
import type { Service, ServiceContext } from './service.js';

const TAIL_LINES = 40;
const STOP_TIMEOUT_MS = 30_000;
const LOCK_TIMEOUT_MS = 600_000;

/**
 * - `started`: this call started it;
 * - `running`: already running from this run folder (its pid file);
 * - `external`: something answers on its address that this run folder did not start (another
 *   PATHCAST_SERVICES_DIR, a developer's own server): used, and never stopped by us.
 */
export type UpState = 'started' | 'running' | 'external';

export interface UpOutcome {
  readonly state: UpState;
  readonly elapsedMs: number;
}

export type ServiceState = 'healthy' | 'starting-or-unhealthy' | 'stopped' | 'external';

export function pidFileOf(ctx: ServiceContext): string {
  return join(ctx.runDir, 'server.pid');
}

/** Our server's pid, if its pid file names a live process that is still that server. */
export function runningPid(service: Service, ctx: ServiceContext): number | undefined {
  const pid = readPidFile(pidFileOf(ctx));
  return pid !== undefined && isProcessAlive(pid, service.processMarker) ? pid : undefined;
}

export class ServiceStartError extends Error {
  readonly service: string;
  constructor(service: string, cause: unknown) {
    super(`${service} did not start: ${(cause as Error).message ?? String(cause)}`, { cause });
    this.name = 'ServiceStartError';
    this.service = service;
  }
}

/** Starts one service unless it already runs; resolves once it is healthy. */
export async function upService(service: Service, ctx: ServiceContext): Promise<UpOutcome> {
  const began = performance.now();
  mkdirSync(ctx.runDir, { recursive: true });
  // Long enough for another `up` to download and start; then it is surely stuck.
  return withLockFile(join(ctx.runDir, 'up.lock'), LOCK_TIMEOUT_MS, () =>
    upLocked(service, ctx, began),
  );
}

async function upLocked(service: Service, ctx: ServiceContext, began: number): Promise<UpOutcome> {
  const elapsed = (): number => performance.now() - began;
  const pidFile = pidFileOf(ctx);
  const existing = runningPid(service, ctx);
  if (existing !== undefined) {
    // Ours; if not healthy yet, another `up` may still be starting it: wait for that.
    await waitHealthy(service, ctx, {
      abortReason: () =>
        isProcessAlive(existing, service.processMarker) ? undefined : 'exited while starting',
      stop: () => stopProcess(existing, service.processMarker, service.stopSignal, 5000),
    });
    return { state: 'running', elapsedMs: elapsed() };
  }
  removePidFile(pidFile); // stale, if any
  if (await service.isHealthy(ctx)) return { state: 'external', elapsedMs: elapsed() };

  await service.install(ctx);
  const proc = await service.start(ctx);
  writePidFile(pidFile, proc.pid);
  // Our child: its exit event is the authority (a wrapper may not show the marker at once).
  const exitReason = (): string | undefined => {
    const exit = proc.exited();
    if (exit !== undefined) return `exited (${exit.signal ?? `code ${exit.code}`}) while starting`;
    return undefined;
  };
  await waitHealthy(service, ctx, {
    abortReason: exitReason,
    // Until its exit is seen the pid is still our unreaped child, so no marker check is needed.
    stop: async () =>
      proc.exited() === undefined ? stopProcess(proc.pid, '', service.stopSignal, 5000) : undefined,
  });
  ctx.log(`${service.name}: healthy at ${service.address} after ${formatSeconds(elapsed())}`);
  return { state: 'started', elapsedMs: elapsed() };
}

async function waitHealthy(
  service: Service,
  ctx: ServiceContext,
  server: { abortReason: () => string | undefined; stop: () => Promise<unknown> },
): Promise<void> {
  const deadline = Date.now() + service.startTimeoutMs;
  const { abortReason } = server;
  try {
    const ready = service.isReady ?? service.isHealthy;
    await waitUntil(`${service.name} accepting connections`, () => ready(ctx), {
      timeoutMs: service.startTimeoutMs,
      abortReason,
    });
    await service.afterStart?.(ctx);
    await waitUntil(`${service.name} healthy`, () => service.isHealthy(ctx), {
      timeoutMs: Math.max(1000, deadline - Date.now()),
      abortReason,
    });
  } catch (error) {
    printLogTails(service, ctx);
    // A half-started server would hold the ports and the data folder: stop it before failing.
    await server.stop();
    removePidFile(pidFileOf(ctx));
    throw new ServiceStartError(service.name, error);
  }
}

export function printLogTails(service: Service, ctx: ServiceContext): void {
  for (const file of service.logFiles(ctx)) {
    const lines = tailFile(file, TAIL_LINES);
    if (lines.length === 0) continue;
    ctx.log(`${service.name}: last ${lines.length} lines of ${file}:`);
    for (const line of lines) ctx.log(`  | ${line}`);
  }
}

/** Stops the server this run folder started (pid file), if any; never touches other processes. */
export async function downService(
  service: Service,
  ctx: ServiceContext,
): Promise<'stopped' | 'killed' | 'not-running'> {
  const pidFile = pidFileOf(ctx);
  const pid = readPidFile(pidFile);
  if (pid === undefined) return 'not-running';
  const outcome = await stopProcess(
    pid,
    service.processMarker,
    service.stopSignal,
    STOP_TIMEOUT_MS,
  );
  removePidFile(pidFile);
  return outcome;
}

export async function serviceState(service: Service, ctx: ServiceContext): Promise<ServiceState> {
  const pid = runningPid(service, ctx);
  const healthy = await service.isHealthy(ctx);
  if (pid === undefined) return healthy ? 'external' : 'stopped';
  return healthy ? 'healthy' : 'starting-or-unhealthy';
}
