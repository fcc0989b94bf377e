import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AptPackage } from './apt.js';
import { HOST, isRoot, PORTS } from './common.js';
import { runChecked, runCommand, spawnDetached } from './process.js';
import type { Service, ServiceContext } from './service.js';

const PG_LIB = '/usr/lib/postgresql';
const ROLE = 'pathcast';
const DATABASE = 'pathcast';
const URL = `postgres://${ROLE}@${HOST}:${PORTS.postgres}/${DATABASE}`;

export const POSTGRES_PACKAGES: readonly AptPackage[] = [
  { name: 'postgresql', isInstalled: () => postgresBinDir() !== undefined },
];

/** The newest server installed by Debian's packages, e.g. `/usr/lib/postgresql/15/bin`. */
export function postgresBinDir(root: string = PG_LIB): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function bin(name: string): string {
  const dir = postgresBinDir();
  if (dir === undefined) throw new Error(`PostgreSQL server binaries not found in ${PG_LIB}`);
  return join(dir, name);
}

export interface PostgresServerOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly socketDir: string;
}

/** Command-line settings, so the data folder stays as initdb made it and `ps` shows them. */
export function postgresServerArgs(options: PostgresServerOptions): string[] {
  return [
    '-D',
    options.dataDir,
    '-p',
    String(options.port),
    '-c',
    `listen_addresses=${options.host}`,
    // Our own folder: /var/run/postgresql may not exist, and belongs to the system server.
    '-c',
    `unix_socket_directories=${options.socketDir}`,
    // Logs go to stderr, which the caller captures in logs/postgres.log.
    '-c',
    'logging_collector=off',
  ];
}

interface PostgresUser {
  readonly uid: number;
  readonly gid: number;
}

/** PostgreSQL refuses to run as root: as root we run it as Debian's `postgres` user. */
async function serverUser(): Promise<PostgresUser | undefined> {
  if (!isRoot()) return undefined;
  const uid = await runCommand('id', ['-u', 'postgres']);
  const gid = await runCommand('id', ['-g', 'postgres']);
  if (uid.code !== 0 || gid.code !== 0) {
    throw new Error(
      'running as root needs the `postgres` user (created by the postgresql package)',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * The cluster's folder (data and socket). Normally `<runDir>/cluster`; but when root runs this
 * with the run folder under a home the postgres user cannot enter (/root is 0700), the cluster
 * goes to `<tmpdir>/pathcast-postgres-<hash of runDir>` instead: loosening /root's permissions is
 * not ours to do.
 */
async function clusterHome(runDir: string, user: PostgresUser | undefined): Promise<string> {
  const inRunDir = join(runDir, 'cluster');
  if (user === undefined) return inRunDir;
  const reachable = await runCommand('test', ['-x', runDir], { uid: user.uid, gid: user.gid });
  if (reachable.code === 0) return inRunDir;
  const hash = createHash('sha256').update(runDir).digest('hex').slice(0, 10);
  return join(tmpdir(), `pathcast-postgres-${hash}`);
}

async function layout(runDir: string) {
  const user = await serverUser();
  const home = await clusterHome(runDir, user);
  return {
    user,
    home,
    data: join(home, 'data'),
    socket: join(home, 'socket'),
    logs: join(runDir, 'logs'),
    log: join(runDir, 'logs', 'postgres.log'),
  };
}

const PSQL_ENV = { ...process.env, PGCONNECT_TIMEOUT: '2' };

async function psql(user: string, database: string, sql: string): Promise<string> {
  const args = ['-h', HOST, '-p', String(PORTS.postgres), '-U', user, '-d', database];
  const result = await runChecked(bin('psql'), [...args, '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
    env: PSQL_ENV,
  });
  return result.stdout.trim();
}

export const postgresService: Service = {
  name: 'postgres',
  address: URL,
  env: { PATHCAST_TEST_POSTGRES_URL: URL, PATHCAST_POSTGRES_URL: URL },
  processMarker: '/bin/postgres',
  // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") waits for every client to leave.
  stopSignal: 'SIGINT',
  startTimeoutMs: 30_000,

  async install(ctx: ServiceContext) {
    await ctx.apt.ensure(POSTGRES_PACKAGES);
  },

  async start(ctx: ServiceContext) {
    const l = await layout(ctx.runDir);
    const asUser = l.user === undefined ? {} : { uid: l.user.uid, gid: l.user.gid };
    mkdirSync(l.logs, { recursive: true });
    mkdirSync(l.socket, { recursive: true });
    if (l.user !== undefined) {
      chownSync(l.home, l.user.uid, l.user.gid);
      chownSync(l.socket, l.user.uid, l.user.gid);
    }
    if (!existsSync(join(l.data, 'PG_VERSION'))) {
      ctx.log(`postgres: initdb ${l.data}`);
      await runChecked(
        bin('initdb'),
        [
          '-D',
          l.data,
          '-U',
          'postgres',
          // Local test server on loopback: no passwords.
          '--auth=trust',
          '--encoding=UTF8',
          '--locale=C',
          '--no-instructions',
        ],
        { ...asUser, cwd: l.home },
      );
    }
    return spawnDetached(
      bin('postgres'),
      postgresServerArgs({
        dataDir: l.data,
        host: HOST,
        port: PORTS.postgres,
        socketDir: l.socket,
      }),
      { ...asUser, cwd: l.home, logFile: l.log },
    );
  },

  async isReady() {
    try {
      const args = ['-h', HOST, '-p', String(PORTS.postgres), '-t', '2'];
      return (await runCommand(bin('pg_isready'), args)).code === 0;
    } catch {
      return false; // binaries missing: not ready, and start() says why
    }
  },

  async afterStart() {
    const role = await psql(
      'postgres',
      'postgres',
      `SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}'`,
    );
    if (role !== '1') await psql('postgres', 'postgres', `CREATE ROLE ${ROLE} LOGIN CREATEDB`);
    const db = await psql(
      'postgres',
      'postgres',
      `SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`,
    );
    if (db !== '1') await psql('postgres', 'postgres', `CREATE DATABASE ${DATABASE} OWNER ${ROLE}`);
  },

  async isHealthy() {
    try {
      return (await psql(ROLE, DATABASE, 'SELECT 1')) === '1';
    } catch {
      return false; // not up, or role/database missing: either way not healthy
    }
  },

  logFiles(ctx: ServiceContext) {
    return [join(ctx.runDir, 'logs', 'postgres.log')];
  },
};
