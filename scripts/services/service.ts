import type { AptInstaller } from './apt.js';
import type { Log, ServiceName } from './common.js';
import type { DetachedProcess } from './process.js';

export interface ServiceContext {
  /** This service's folder: data, `logs/`, the pid file. */
  readonly runDir: string;
  readonly log: Log;
  readonly apt: AptInstaller;
}

/** What `up`, `down`, `status` and `env` need to know about one server. */
export interface Service {
  readonly name: ServiceName;
  /** What `status` prints: where clients connect. */
  readonly address: string;
  /** Variables pointing tests (PATHCAST_TEST_*) and Pathcast itself (PATHCAST_*) at it. */
  readonly env: Readonly<Record<string, string>>;
  /** A substring of the server's command line: we signal a pid only if it still matches. */
  readonly processMarker: string;
  readonly stopSignal: NodeJS.Signals;
  readonly startTimeoutMs: number;
  /** Installs what the server needs (apt packages, jars); quick when all is there. */
  install(ctx: ServiceContext): Promise<void>;
  /** Writes configuration, prepares data and spawns the server, detached. */
  start(ctx: ServiceContext): Promise<DetachedProcess>;
  /** Runs once the server answers, before the final health check (e.g. creates roles). */
  afterStart?(ctx: ServiceContext): Promise<void>;
  /** Does it answer like a working server? Cheap, and never throws. */
  isHealthy(ctx: ServiceContext): Promise<boolean>;
  /** Does it accept connections yet (before `afterStart`)? Defaults to `isHealthy`. */
  isReady?(ctx: ServiceContext): Promise<boolean>;
  /** Log files to show when start-up fails, most telling last. */
  logFiles(ctx: ServiceContext): string[];
}
