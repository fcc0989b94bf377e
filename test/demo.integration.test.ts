import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pollUntil } from './polling.js';

/** Sum of a Prometheus counter's samples (all label sets) in a /metrics text. */
function metricTotal(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

// `npm run demo` is the README's first command: one process, embedded everything, simulated
// visitors, live scores within seconds, and a clean stop on Ctrl-C (SIGINT).
describe('pathcast start --demo', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('serves live traffic within seconds, ignores real services, and stops cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pathcast-demo-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, ['bin/pathcast.js', 'start', '--demo'], {
      env: {
        ...process.env,
        PATHCAST_DATA_DIR: dataDir,
        PATHCAST_PORT: '0',
        PATHCAST_LOG_LEVEL: 'warn',
        // A demo must stay embedded even when the shell names real services.
        PATHCAST_KAFKA_BROKERS: '127.0.0.1:1',
        PATHCAST_CLICKHOUSE_URL: 'http://127.0.0.1:1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await pollUntil(
        'the demo banner',
        () => /dashboard: (http:\/\/[^/\s]+)\//.exec(stdout)?.[1],
        { timeoutMs: 60_000, intervalMs: 100, describe: () => `stdout ${stdout} stderr ${stderr}` },
      );
      expect(stdout).toContain('event log: embedded (in memory)');
      expect(stdout).toContain(`embedded chdb in ${join(dataDir, 'demo')}`);
      expect(stdout).toMatch(/log in as site "demo" with its secret key sk_demo_/);
      const bannerAt = Date.now();

      // Live numbers: events accepted by the collector and scored by the live model.
      let last = '';
      const metrics = await pollUntil(
        'scored demo traffic',
        async () => {
          last = await (await fetch(`${url}/metrics`)).text();
          const live =
            metricTotal(last, 'pathcast_scores_total') > 0 &&
            metricTotal(last, 'pathcast_pipeline_records_total') > 0;
          return live ? last : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, describe: () => last.slice(0, 2000) },
      );
      // Seconds from the banner to the first live scores (the issue asks for under 10 s).
      console.log(`demo: live scores ${((Date.now() - bannerAt) / 1000).toFixed(1)} s after start`);
      expect(metricTotal(metrics, 'pathcast_scores_total')).toBeGreaterThan(0);

      // The dashboard: log in with the printed credentials; the replayed hours give it closed
      // sessions, conversions and revenue at once (live sessions close 30 min after their end).
      const key = /secret key (sk_demo_\S+)/.exec(stdout)?.[1] ?? '';
      const login = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ site: 'demo', secretKey: key }),
      });
      expect(login.status).toBe(200);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      let overview: { kpis?: { sessions: number; revenue: number } } = {};
      await pollUntil(
        'closed demo sessions on the dashboard',
        async () => {
          const answer = await fetch(`${url}/api/overview`, { headers: { cookie } });
          overview = (await answer.json()) as typeof overview;
          return (overview.kpis?.sessions ?? 0) > 50 && (overview.kpis?.revenue ?? 0) > 0
            ? true
            : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, describe: () => JSON.stringify(overview) },
      );
      const page = await fetch(`${url}/`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('pathcast stopped');
    expect(stderr).not.toMatch(/error/i);
  }, 120_000);
});
