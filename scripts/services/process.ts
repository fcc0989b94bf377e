import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { formatSeconds, lastLines } from './common.js';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user (only possible as root): postgres refuses to run as root. */
  readonly uid?: number;
  readonly gid?: number;
  /** Show the command's output live (long installs) instead of capturing it. */
  readonly inherit?: boolean;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; never throws for a non-zero exit (see `runChecked`). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: options.inherit === true ? ['ignore', 'inherit', 'inherit'] : 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code: code ?? (signal === null ? 1 : 128), stdout, stderr }),
    );
  });
}

export class CommandError extends Error {
  readonly result: RunResult;
  constructor(command: string, args: readonly string[], result: RunResult) {
    const output = lastLines(`${result.stdout}\n${result.stderr}`.trim(), 40).join('\n');
    super(`\`${[command, ...args].join(' ')}\` exited with ${result.code}\n${output}`);
    this.name = 'CommandError';
    this.result = result;
  }
}

export async function runChecked(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) throw new CommandError(command, args, result);
  return result;
}

export interface DetachedOptions {
  readonly cwd: string;
  /** stdout and stderr go here (appended), so a crash before the server's own logging shows. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
}

export interface DetachedProcess {
  readonly pid: number;
  /** The exit, if it happens while this process still runs: a server that dies during start-up. */
  readonly exited: () => { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * Starts a server in its own session (setsid), not tied to this process: `npm run services -- up`
 * returns while the servers keep running.
 */
export async function spawnDetached(
  command: string,
  args: readonly string[],
  options: DetachedOptions,
): Promise<DetachedProcess> {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on('exit', (code, signal) => (exit = { code, signal }));
    await new Promise<void>((resolvePromise, reject) => {
      child.once('spawn', resolvePromise);
      // Also after the spawn: an 'error' with no listener would crash this process.
      child.on('error', (error) => {
        exit ??= { code: null, signal: null };
        reject(error);
      });
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${command} did not start`);
    return { pid: child.pid, exited: () => exit };
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
}

/**
 * Whether `pid` is a live process whose command line contains `marker`. The marker guards against
 * a stale pid file whose pid now belongs to some unrelated process: we signal only our servers.
 */
export function isProcessAlive(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const proc = `/proc/${pid}`;
  if (!existsSync(proc)) return true; // no procfs (macOS): the signal check is all we have
  try {
    // A zombie still answers signal 0 but is gone for every purpose here.
    const stat = readFileSync(`${proc}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return readFileSync(`${proc}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
  } catch {
    return false; // exited between the checks
  }
}

export function readPidFile(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Sends `signal`, waits up to `timeoutMs` for the process to go, then SIGKILLs it. Returns how it
 * ended.
 */
export async function stopProcess(
  pid: number,
  marker: string,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isProcessAlive(pid, marker)) return 'not-running';
  process.kill(pid, signal);
  if (await waitForExit(pid, marker, timeoutMs)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, marker, 10_000);
  return 'killed';
}

async function waitForExit(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid, marker)) return true;
    await delay(100);
  }
  return !isProcessAlive(pid, marker);
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Gives up early with this reason (e.g. the server process died). */
  readonly abortReason?: () => string | undefined;
}

/** Polls `probe` until it returns true; throws with the reason on timeout or abort. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe()) return;
    const aborted = options.abortReason?.();
    if (aborted !== undefined) throw new Error(`${what}: ${aborted}`);
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not ready after ${formatSeconds(options.timeoutMs)}`);
    }
    await delay(options.intervalMs ?? 200);
  }
}

/** The last `count` lines of a log file (read from its last 256 KB), or none if it is missing. */
export function tailFile(file: string, count: number): string[] {
  if (!existsSync(file)) return [];
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 262_144);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return lastLines(buffer.toString('utf8'), count);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `fn` holding a lock file (created exclusively, holding our pid), so two `up`s at once (a
 * shell and a test run) do not start two servers on one data folder. A lock whose holder died is
 * taken over.
 */
export async function withLockFile<T>(
  file: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPidFile(file);
    if (holder === undefined || !isProcessAlive(holder, '')) {
      rmSync(file, { force: true }); // stale: its holder is gone
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${file} is still held by process ${holder} after ${formatSeconds(timeoutMs)}`,
      );
    }
    await delay(200);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
