import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { isRoot, type Log } from './common.js';
import { runChecked } from './process.js';

/** A Debian package and how to tell it is already there without asking dpkg. */
export interface AptPackage {
  readonly name: string;
  readonly isInstalled: () => boolean;
}

/** The apt-get commands that install `packages`, as a person would type them. */
export function aptInstallCommand(packages: readonly string[], sudo: boolean): string {
  const prefix = sudo ? 'sudo ' : '';
  return (
    `${prefix}apt-get update && ${prefix}env DEBIAN_FRONTEND=noninteractive ` +
    `apt-get install -y ${packages.join(' ')}`
  );
}

/** Finds an executable on PATH, plus the sbin folders a non-root PATH often lacks. */
export function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const dirs = [...(env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function executablePackage(name: string, executable: string = name): AptPackage {
  return { name, isInstalled: () => findExecutable(executable) !== undefined };
}

export interface AptInstaller {
  /** Installs whichever of `packages` are missing; throws with the exact command when not root. */
  ensure(packages: readonly AptPackage[]): Promise<void>;
}

/**
 * One installer per run: `apt-get update` happens at most once, and installs are serialised
 * because services prepare in parallel while dpkg allows one writer at a time.
 */
export function createAptInstaller(log: Log): AptInstaller {
  let updated = false;
  let queue: Promise<void> = Promise.resolve();

  async function install(packages: readonly AptPackage[]): Promise<void> {
    const missing = packages.filter((p) => !p.isInstalled()).map((p) => p.name);
    if (missing.length === 0) return;
    if (!isRoot() || findExecutable('apt-get') === undefined) {
      throw new Error(
        `missing Debian package(s) ${missing.join(', ')}; install with:\n  ` +
          aptInstallCommand(missing, !isRoot()),
      );
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!updated) {
      log(`apt-get update (to install ${missing.join(', ')})`);
      await runChecked('apt-get', ['update'], { env });
      updated = true;
    }
    log(`apt-get install -y ${missing.join(' ')}`);
    await runChecked('apt-get', ['install', '-y', ...missing], { env });
    const stillMissing = packages.filter((p) => !p.isInstalled()).map((p) => p.name);
    if (stillMissing.length > 0) {
      throw new Error(
        `apt-get installed ${missing.join(', ')} but ${stillMissing.join(', ')} is still missing`,
      );
    }
  }

  return {
    ensure(packages) {
      const next = queue.then(() => install(packages));
      // The queue continues after a failure; the caller still sees it through `next`.
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
