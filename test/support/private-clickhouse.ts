/**
 * A ClickHouse server of a test's own, for faults that would break everyone else's tests on the
 * shared one (stopping it for a minute mid-stream). The same Debian 18.16 binary and the same
 * generated config as `npm run services` (rewriteClickHouseConfig in
 * scripts/services/clickhouse.ts), but on free loopback ports, in a temporary folder, and owned
 * by this process: it can be stopped and started again on the same data, and is removed at the
 * end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findExecutable } from '../../scripts/services/apt.js';
import { rewriteClickHouseConfig } from '../../scripts/services/clickhouse.js';
import { tailFile } from '../../scripts/services/process.js';
import { getXmlElement, stripXmlComments } from '../../scripts/services/xml-config.js';
import { pollUntil } from '../polling.js';
import { freePort } from './free-port.js';

const HOST = '127.0.0.1';
const PACKAGE_CONFIG_DIR = '/etc/clickhouse-server';

export interface PrivateClickHouse {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Resolves once the server answers `/ping`. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /**
   * Stops the process for real (SIGKILL: no shutdown, no flush, sockets reset) and resolves once
   * it is gone. An insert ClickHouse acknowledged is on disk already, so nothing it
   * acknowledged is lost.
   */
  stop(): Promise<void>;
  /** Starts the server again on the same folder and ports (its data survives). */
  restart(): Promise<void>;
  /** Whether the server process is alive. */
  running(): boolean;
  /** Stops it if running and removes its folder. Safe to call twice. */
  close(): Promise<void>;
  /** The last lines of its logs, for failure messages. */
  logTail(lines?: number): string;
}

/** Writes a private config and starts the server; call waitHealthy() next. */
export async function startPrivateClickHouse(): Promise<PrivateClickHouse> {
  const binary = findExecutable('clickhouse-server');
  if (binary === undefined) {
    throw new Error('clickhouse-server is not installed (npm run services -- install)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'pathcast-private-clickhouse-'));
  const data = join(dir, 'data');
  const logs = join(dir, 'logs');
  mkdirSync(data, { recursive: true });
  mkdirSync(logs, { recursive: true });
  const httpPort = await freePort(HOST);
  const tcpPort = await freePort(HOST);
  const packagedXml = readFileSync(join(PACKAGE_CONFIG_DIR, 'config.xml'), 'utf8');
  const configFile = join(dir, 'config.xml');
  writeFileSync(
    configFile,
    rewriteClickHouseConfig(packagedXml, {
      dataDir: data,
      logDir: logs,
      host: HOST,
      httpPort,
      tcpPort,
    }),
  );
  // users.xml holds no paths or ports: copied as it is, as the services script does.
  const usersConfig = getXmlElement(stripXmlComments(packagedXml), ['users_config']);
  copyFileSync(
    resolve(PACKAGE_CONFIG_DIR, usersConfig?.trim() ?? 'users.xml'),
    join(dir, 'users.xml'),
  );
  const url = `http://${HOST}:${httpPort}`;
  const stdoutLog = join(logs, 'stdout.log');

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const spawnServer = (): void => {
    const fd = openSync(stdoutLog, 'a');
    try {
      const proc = spawn(binary, [`--config-file=${configFile}`], {
        cwd: dir,
        stdio: ['ignore', fd, fd],
      });
      child = proc;
      exited = new Promise<void>((done) => proc.once('exit', () => done()));
    } finally {
      closeSync(fd);
    }
  };
  const running = (): boolean =>
    child !== undefined && child.exitCode === null && child.signalCode === null;

  const stop = async (): Promise<void> => {
    if (!running()) return;
    child?.kill('SIGKILL');
    await exited;
  };

  // The server must not outlive a test process that ends without close() (a crash, a timeout).
  const killOnExit = (): void => {
    if (running()) child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const ping = async (): Promise<boolean> => {
    try {
      const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) });
      return response.ok && (await response.text()).trim() === 'Ok.';
    } catch {
      return false; // not listening yet: the caller polls
    }
  };
  const logTail = (lines = 30): string =>
    [...tailFile(stdoutLog, 10), ...tailFile(join(logs, 'clickhouse-server.err.log'), lines)].join(
      '\n',
    );

  spawnServer();
  let closing: Promise<void> | undefined;
  return {
    url,
    async waitHealthy(timeoutMs = 60_000) {
      await pollUntil(
        `the private ClickHouse server at ${url}`,
        async () => {
          if (!running()) {
            throw new Error(`the private ClickHouse server exited while starting:\n${logTail()}`);
          }
          return (await ping()) ? true : undefined;
        },
        { timeoutMs, intervalMs: 200, describe: () => logTail(10) },
      );
    },
    stop,
    async restart() {
      await stop();
      spawnServer();
    },
    running,
    logTail,
    close() {
      closing ??= (async () => {
        await stop();
        process.removeListener('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
