/**
 * Real Chromium for browser tests: Debian's `chromium` package driven by playwright-core (which
 * downloads no browser of its own). Missing Chromium is a failure with the fix in the message,
 * never a skip: a browser test that quietly does not run proves nothing.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where `npm run services -- install` puts it (scripts/services CHROMIUM_PATH). */
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** PATHCAST_CHROMIUM, else Debian's path. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['PATHCAST_CHROMIUM'];
  return configured !== undefined && configured !== '' ? configured : DEFAULT_CHROMIUM;
}

/** Throws a message naming the install command when the executable is not there. */
export function assertChromium(path: string = chromiumPath()): string {
  try {
    accessSync(path, constants.X_OK);
  } catch (error) {
    throw new Error(
      `Chromium is not executable at ${path}: run \`npm run services -- install\` ` +
        '(installs Debian\u2019s chromium package) or set PATHCAST_CHROMIUM to a Chromium binary',
      { cause: error },
    );
  }
  return path;
}

/** The flags that keep a headless Chromium quiet and self-contained on a shared CI machine. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  // QUIC would let the browser race UDP to loopback servers that only speak TCP.
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: assertChromium(), args: [...CHROMIUM_ARGS] });
}
