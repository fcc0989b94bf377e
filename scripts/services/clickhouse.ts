import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { executablePackage, findExecutable, type AptPackage } from './apt.js';
import { HOST, PORTS } from './common.js';
import { spawnDetached } from './process.js';
import type { Service, ServiceContext } from './service.js';
import {
  escapeXmlText,
  getXmlElement,
  removeXmlElements,
  setXmlElement,
  stripXmlComments,
  tidyXmlWhitespace,
} from './xml-config.js';

const URL_BASE = `http://${HOST}:${PORTS.clickhouseHttp}`;

export const CLICKHOUSE_PACKAGES: readonly AptPackage[] = [executablePackage('clickhouse-server')];
const PACKAGE_CONFIG_DIR = '/etc/clickhouse-server';
/** Where Debian's config keeps data and logs; every mention is moved into the run folder. */
const PACKAGE_DATA_DIR = '/var/lib/clickhouse/';
const PACKAGE_LOG_DIR = '/var/log/clickhouse-server/';

export interface ClickHouseConfigOptions {
  /** Data folder (ClickHouse wants the trailing slash; it is added if missing). */
  readonly dataDir: string;
  readonly logDir: string;
  readonly host: string;
  readonly httpPort: number;
  readonly tcpPort: number;
}

/**
 * Ports we never open: replication, TLS and the wire-compatible protocols of newer servers. Any
 * of them would otherwise bind on the default port and collide with a system server.
 */
const DROPPED_PORTS = [
  'interserver_http_port',
  'interserver_https_port',
  'https_port',
  'tcp_port_secure',
  'mysql_port',
  'postgresql_port',
  'grpc_port',
  'prometheus',
] as const;

const withSlash = (dir: string): string => (dir.endsWith('/') ? dir : `${dir}/`);

/**
 * Turns the packaged config.xml (18.16's `<yandex>` or a current `<clickhouse>` root) into one
 * for a private loopback server: our ports, our folders, nothing else listening.
 */
export function rewriteClickHouseConfig(xml: string, options: ClickHouseConfigOptions): string {
  const data = withSlash(options.dataDir);
  const logs = withSlash(options.logDir);
  let out = stripXmlComments(xml);
  const set = (path: readonly string[], value: string): void => {
    out = setXmlElement(out, path, value);
  };
  set(['path'], data);
  set(['tmp_path'], `${data}tmp/`);
  set(['user_files_path'], `${data}user_files/`);
  set(['format_schema_path'], `${data}format_schemas/`);
  set(['logger', 'log'], `${logs}clickhouse-server.log`);
  set(['logger', 'errorlog'], `${logs}clickhouse-server.err.log`);
  // Debian ships `warning`; start-up failures are easier to read with `information`.
  set(['logger', 'level'], 'information');
  set(['logger', 'size'], '100M');
  set(['logger', 'count'], '3');
  // Copied next to config.xml by `start` (the packaged one may name it by absolute path).
  set(['users_config'], 'users.xml');
  set(['http_port'], String(options.httpPort));
  set(['tcp_port'], String(options.tcpPort));
  for (const port of DROPPED_PORTS) out = removeXmlElements(out, [port]);
  out = removeXmlElements(out, ['listen_host']);
  set(['listen_host'], options.host);
  // Paths the elements above do not name (e.g. a newer server's access/ and user_scripts/).
  out = out
    .replaceAll(PACKAGE_DATA_DIR, escapeXmlText(data))
    .replaceAll(PACKAGE_LOG_DIR, escapeXmlText(logs));
  return tidyXmlWhitespace(out);
}

function paths(runDir: string) {
  return {
    config: join(runDir, 'config.xml'),
    users: join(runDir, 'users.xml'),
    data: join(runDir, 'data'),
    logs: join(runDir, 'logs'),
    stdoutLog: join(runDir, 'logs', 'stdout.log'),
    serverLog: join(runDir, 'logs', 'clickhouse-server.log'),
    errorLog: join(runDir, 'logs', 'clickhouse-server.err.log'),
  };
}

async function ping(): Promise<boolean> {
  // NOTE: not AbortSignal.timeout(): its timer does not keep the process alive, and a peer that
  // accepts and then says nothing would let `up` exit silently with nothing pending but it.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 2000);
  try {
    const response = await fetch(`${URL_BASE}/ping`, { signal: controller.signal });
    return response.ok && (await response.text()).trim() === 'Ok.';
  } catch {
    return false; // not listening yet, or not ClickHouse: the caller polls
  } finally {
    clearTimeout(timer);
  }
}

export const clickhouseService: Service = {
  name: 'clickhouse',
  address: URL_BASE,
  env: { PATHCAST_TEST_CLICKHOUSE_URL: URL_BASE, PATHCAST_CLICKHOUSE_URL: URL_BASE },
  processMarker: 'clickhouse-server',
  stopSignal: 'SIGTERM',
  startTimeoutMs: 30_000,

  async install(ctx: ServiceContext) {
    await ctx.apt.ensure(CLICKHOUSE_PACKAGES);
  },

  async start(ctx: ServiceContext) {
    const p = paths(ctx.runDir);
    const packaged = join(PACKAGE_CONFIG_DIR, 'config.xml');
    if (!existsSync(packaged)) {
      throw new Error(`${packaged} is missing; reinstall the Debian package clickhouse-server`);
    }
    mkdirSync(p.data, { recursive: true });
    mkdirSync(p.logs, { recursive: true });
    const packagedXml = readFileSync(packaged, 'utf8');
    const config = rewriteClickHouseConfig(packagedXml, {
      dataDir: p.data,
      logDir: p.logs,
      host: HOST,
      httpPort: PORTS.clickhouseHttp,
      tcpPort: PORTS.clickhouseTcp,
    });
    writeFileSync(p.config, config);
    // users.xml holds no paths or ports: copied as it is.
    const usersConfig = getXmlElement(stripXmlComments(packagedXml), ['users_config']);
    copyFileSync(resolve(PACKAGE_CONFIG_DIR, usersConfig?.trim() ?? 'users.xml'), p.users);
    const binary = findExecutable('clickhouse-server');
    if (binary === undefined) throw new Error('clickhouse-server is not installed');
    // In the foreground (no --daemon): the pid we hold is the server's, and an early exit shows.
    return spawnDetached(binary, [`--config-file=${p.config}`], {
      cwd: ctx.runDir,
      logFile: p.stdoutLog,
    });
  },

  isHealthy: () => ping(),

  logFiles(ctx: ServiceContext) {
    const p = paths(ctx.runDir);
    return [p.stdoutLog, p.serverLog, p.errorLog];
  },
};
