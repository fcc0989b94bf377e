import { Command, CommanderError } from 'commander';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/index.js';
import { registerSimulateCommand } from './simulate.js';

interface Seen {
  authorization: string;
  batchSize: number;
}

/** A collector double: answers `status` to every request and remembers what came. */
async function startCollector(
  status = 200,
): Promise<{ url: string; requests: Seen[]; close: () => Promise<void> }> {
  const requests: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const batch = (JSON.parse(body) as { batch: unknown[] }).batch;
      requests.push({ authorization: req.headers.authorization ?? '', batchSize: batch.length });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Outcome {
  code: number;
  out: string;
  err: string;
  printed: { text: string; toStderr: boolean }[];
}

async function simulate(args: readonly string[]): Promise<Outcome> {
  let out = '';
  let err = '';
  const printed: { text: string; toStderr: boolean }[] = [];
  const program = new Command('pathcast')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerSimulateCommand(program, {
    print: (text, toStderr) => printed.push({ text, toStderr }),
    logger: silentLogger,
  });
  try {
    await program.parseAsync(['node', 'pathcast', 'simulate', ...args]);
    return { code: 0, out, err, printed };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode, out, err, printed };
    throw error;
  }
}

describe('pathcast simulate', { timeout: 30_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pathcast-sim-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['--out', 'x', '--events', 'abc'], "option '--events <n>' argument 'abc' is invalid"],
    [['--out', 'x', '--events', '0'], 'whole number from 1'],
    [['--out', 'x', '--events', '2.5'], 'whole number'],
    [['--out', 'x', '--seed', '-1'], 'whole number from 0'],
    [['--out', 'x', '--duplicate-rate', '1.5'], 'probability from 0 to 1'],
    [['--out', 'x', '--bot-rate', '1'], 'probability from 0 to 0.99'],
    [['--out', 'x', '--late-rate', 'often'], 'probability'],
    [['--out', 'x', '--timing', 'sometimes'], 'Allowed choices are historical, live'],
    [['--out', 'x', '--start', 'yesterday'], 'ISO 8601'],
    [['--collector', 'ftp://host', '--write-key', 'k'], 'http(s) URL'],
    [['--collector', 'http://localhost:1'], '--collector needs --write-key'],
    [['--out', 'x', '--acks', 'acks.ndjson'], '--acks needs --collector'],
    [['--out', 'x', '--batch-size', '10'], '--batch-size needs --collector'],
    [['--out', 'x', '--batch-size', '3000'], 'whole number from 1 to 2500'],
    [['--out', 'x', '--sites', '3', '--write-key', 'a,b'], 'give one key, or 3'],
    [['--out', 'x', '--write-key', 'a,,b'], 'without spaces'],
    [
      ['--out', 'x', '--timing', 'live', '--start', '2025-01-01T00:00:00Z'],
      '--start applies to --timing historical',
    ],
    [['--out', 'x', '--timing', 'live', '--days', '3'], '--days applies'],
    [['--out', '-', '--truth', '-'], "only --out may be '-'"],
    [[], 'nothing to send to'],
  ])('refuses %j with a clear message', async (args, message) => {
    const result = await simulate(args);
    expect(result.code).not.toBe(0);
    expect(result.err).toContain(message);
  });

  it('writes events, truth and CRM files and prints a summary', async () => {
    const out = join(dir, 'events.ndjson');
    const truth = join(dir, 'truth.json');
    const crm = join(dir, 'crm.csv');
    const result = await simulate([
      '--events',
      '800',
      '--seed',
      '4',
      '--sites',
      '2',
      '--out',
      out,
      '--truth',
      truth,
      '--crm',
      crm,
      '--duplicate-rate',
      '0.05',
    ]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.printed.at(-1)?.text ?? '{}') as {
      events: number;
      records: number;
      duplicates: number;
      completed: boolean;
    };
    expect(summary).toMatchObject({ events: 800, completed: true });
    expect(summary.records).toBe(
      800 + summary.duplicates + ((summary as { malformed?: number }).malformed ?? 0),
    );
    expect((await readFile(out, 'utf8')).trim().split('\n')).toHaveLength(summary.records);
    const parsed = JSON.parse(await readFile(truth, 'utf8')) as {
      options: { sites: number; seed: number };
    };
    expect(parsed.options).toMatchObject({ sites: 2, seed: 4 });
    expect((await stat(crm)).size).toBeGreaterThan(0);

    const again = join(dir, 'again.ndjson');
    await simulate([
      '--events',
      '800',
      '--seed',
      '4',
      '--sites',
      '2',
      '--out',
      again,
      '--duplicate-rate',
      '0.05',
    ]);
    expect(await readFile(again, 'utf8')).toBe(await readFile(out, 'utf8'));
  });

  it('sends to a collector with the write key and writes acks', async () => {
    const collector = await startCollector();
    try {
      const acks = join(dir, 'acks.ndjson');
      const result = await simulate([
        '--events',
        '400',
        '--collector',
        collector.url,
        '--write-key',
        'wk_cli_key',
        '--timing',
        'historical',
        '--acks',
        acks,
        '--batch-size',
        '25',
        '--concurrency',
        '2',
        '--malformed-rate',
        '0',
        '--out',
        join(dir, 'tee.ndjson'),
      ]);
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.printed.at(-1)?.text ?? '{}') as {
        records: number;
        http: { acknowledged: number; rejected: number };
      };
      expect(summary.http.acknowledged).toBe(summary.records);
      expect((await readFile(acks, 'utf8')).trim().split('\n')).toHaveLength(summary.records);
      const copy = await readFile(join(dir, 'tee.ndjson'), 'utf8');
      expect(copy.trim().split('\n')).toHaveLength(summary.records);
      expect(collector.requests.every((r) => r.batchSize <= 25)).toBe(true);
      const auth = `Basic ${Buffer.from('wk_cli_key:').toString('base64')}`;
      expect(collector.requests.every((r) => r.authorization === auth)).toBe(true);
    } finally {
      await collector.close();
    }
  });

  it('fails the run when the collector refuses well-formed events', async () => {
    const collector = await startCollector(503);
    try {
      const result = simulate([
        '--events',
        '20',
        '--collector',
        collector.url,
        '--write-key',
        'k',
        '--timing',
        'historical',
        '--malformed-rate',
        '0',
      ]);
      await expect(result).rejects.toThrow(/did not take 20 well-formed records/);
    } finally {
      await collector.close();
    }
  });
});
