/**
 * Builds the dashboard (web/ -> dist/web) when it was never built or its sources changed since,
 * so `npm run demo` and `npm test` on a fresh clone serve a dashboard without a separate build.
 * Usage: tsx scripts/ensure-web.ts
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const built = join(root, 'dist', 'web', 'index.html');

/** Newest modification time of the files under `dir`, ms. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds dist/web when stale; resolves true when it built. */
export async function ensureWebBuilt(log: (line: string) => void = console.log): Promise<boolean> {
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(root, 'web'))) return false;
  log('dashboard: building web/ into dist/web (about 20 s)...');
  // Imported here: vite is a development dependency, and only a build needs it.
  const { build } = await import('vite');
  await build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
  return true;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await ensureWebBuilt();
}
