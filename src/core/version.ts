import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (works from src/ and from dist/). */
export const VERSION: string = (() => {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
})();
