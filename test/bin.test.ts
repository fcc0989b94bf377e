import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/core/index.js';

const run = promisify(execFile);

// The bin is what `npx pathcast` and `npm run demo` start: it must reach the CLI from a fresh
// clone (no build) and pass the exit code through.
describe('bin/pathcast.js', () => {
  it('prints the version', async () => {
    const { stdout } = await run(process.execPath, ['bin/pathcast.js', '--version']);
    expect(stdout.trim()).toBe(VERSION);
  }, 60_000);

  it('exits with the usage code on a bad configuration', async () => {
    const failure = await run(process.execPath, ['bin/pathcast.js', 'config'], {
      env: { ...process.env, PATHCAST_PORT: 'not-a-port' },
    }).catch((error: { code?: number; stderr?: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr?: string }).stderr).toContain('PATHCAST_PORT');
  }, 60_000);
});
