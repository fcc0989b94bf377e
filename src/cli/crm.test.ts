import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/index.js';
import { loadConfig } from '../config/index.js';
import { MemoryProfileStore } from '../crm/index.js';
import { registerCrmCommand, type CrmTargets } from './crm.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pathcast-cli-crm-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  readonly out: string;
  readonly err: string;
  readonly error: unknown;
  readonly targets: CrmTargets[];
  readonly store: MemoryProfileStore;
}

interface RunOptions {
  readonly isTTY?: boolean;
  readonly env?: Record<string, string>;
  readonly store?: MemoryProfileStore;
}

async function run(args: string[], options: RunOptions = {}): Promise<Run> {
  let out = '';
  let err = '';
  const targets: CrmTargets[] = [];
  const store = options.store ?? new MemoryProfileStore();
  const program = new Command('pathcast')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerCrmCommand(program, {
    io: { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: options.isTTY ?? false },
    loadConfig: () => loadConfig(options.env ?? {}),
    logger: silentLogger,
    // Every target is the in-memory store: the flags and the flow are under test here; the real
    // stores have their own integration tests.
    openSinks: (chosen) => {
      targets.push(chosen);
      return [store];
    },
    openSource: (chosen) => {
      targets.push(chosen);
      return store;
    },
  });
  // NOTE: Commander keeps parsed option values on the command objects: a fresh program per run.
  let error: unknown;
  try {
    await program.parseAsync(['node', 'pathcast', ...args]);
  } catch (thrown) {
    error = thrown;
  }
  return { out, err, error, targets, store };
}

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, 'utf8');
  return path;
}

const GOOD_AND_BAD =
  'user_id,email,segment,orders,churned\n' +
  'u1,a@example.com,vip,3,no\n' +
  'u2,b@example.com,new,many,no\n' +
  ',c@example.com,new,1,no\n' +
  'u4,d@example.com,new,1,perhaps\n' +
  'u1,a@example.com,regular,4,yes\n';

describe('pathcast crm import', () => {
  it('imports the good rows, reports each bad row by line, and sums up', async () => {
    const path = await file('profiles.csv', GOOD_AND_BAD);
    const { out, err, error, store, targets } = await run([
      'crm',
      'import',
      path,
      '--postgres',
      'postgres://u:secret@db:5432/crm',
      '--table',
      'crm_custom',
    ]);
    expect(error).toBeUndefined();
    expect(targets[0]?.postgres).toEqual({
      url: 'postgres://u:secret@db:5432/crm',
      table: 'crm_custom',
    });
    expect(err).toContain(`${path}:3: skipped: orders: expected a whole number >= 0, got "many"`);
    expect(err).toContain(`${path}:4: skipped: user_id: the user id is empty`);
    expect(err).toContain(`${path}:5: skipped: churned:`);
    expect(err).toContain(`${path}:6: warning: user id also on line 2; this later row wins`);
    expect(out).toMatch(
      /^imported 2 of 5 rows into PostgreSQL table crm_custom at postgres:\/\/u:\*\*\*@db:5432\/crm/,
    );
    expect(out).toContain('3 bad rows skipped, 1 duplicate user ids');
    expect(out).not.toContain('secret');
    expect(store.size).toBe(1);
    expect((await store.getMany(['u1'])).get('u1')?.segment).toBe('regular');
  });

  it('imports into PATHCAST_POSTGRES_TABLE, the table the runtime reads, without --table', async () => {
    const path = await file('table.csv', 'user_id,segment\nu1,vip\n');
    const configured = await run(['crm', 'import', path, '--postgres'], {
      env: { PATHCAST_POSTGRES_URL: 'postgres://u@db/crm', PATHCAST_POSTGRES_TABLE: 'crm.people' },
    });
    expect(configured.error).toBeUndefined();
    expect(configured.targets[0]?.postgres).toEqual({
      url: 'postgres://u@db/crm',
      table: 'crm.people',
    });
    const fallback = await run(['crm', 'import', path, '--postgres'], {
      env: { PATHCAST_POSTGRES_URL: 'postgres://u@db/crm' },
    });
    expect(fallback.targets[0]?.postgres?.table).toBe('crm_profiles');
  });

  it('prints the summary as JSON when asked', async () => {
    const path = await file('json.csv', GOOD_AND_BAD);
    const { out } = await run(['crm', 'import', path, '--dry-run', '--json']);
    expect(JSON.parse(out)).toMatchObject({
      format: 'csv',
      destination: 'nowhere (dry run)',
      rows: 5,
      imported: 2,
      bad: 3,
      duplicates: 1,
      aborted: false,
    });
  });

  it('writes every issue to --issues FILE and prints only the first ones', async () => {
    const lines = ['user_id,orders'];
    for (let i = 0; i < 50; i++) lines.push(`u${i},x`);
    const path = await file('many-bad.csv', `${lines.join('\n')}\n`);
    const issuesFile = join(dir, 'issues.ndjson');
    const { err, out } = await run(['crm', 'import', path, '--dry-run', '--issues', issuesFile]);
    expect(err.match(/: skipped: /g)).toHaveLength(20);
    expect(err).toContain('30 more issues not shown');
    const written = (await readFile(issuesFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number });
    expect(written.map((i) => i.line)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    expect(out).toMatch(/^validated 0 of 50 rows into nowhere \(dry run\)/);
  });

  it('takes NDJSON by extension and the URL from PATHCAST_POSTGRES_URL', async () => {
    const path = await file('p.jsonl', '{"userId":"n1","segment":"vip"}\nnot json\n');
    const { err, error, targets, store } = await run(['crm', 'import', path, '--postgres'], {
      env: { PATHCAST_POSTGRES_URL: 'postgres://env@host/db' },
    });
    expect(error).toBeUndefined();
    expect(targets[0]?.postgres?.url).toBe('postgres://env@host/db');
    expect(err).toContain(`${path}:2: skipped: invalid JSON`);
    expect(store.size).toBe(1);
  });

  it('takes Kafka brokers from the flag or the configuration, and the topic from the prefix', async () => {
    const path = await file('k.csv', 'user_id\nk1\n');
    const fromFlag = await run([
      'crm',
      'import',
      path,
      '--kafka',
      'b1:9092, b2:9092',
      '--topic',
      'crm.t',
    ]);
    expect(fromFlag.targets[0]?.kafka?.config.brokers).toEqual(['b1:9092', 'b2:9092']);
    expect(fromFlag.targets[0]?.kafka?.topic).toBe('crm.t');
    const fromEnv = await run(['crm', 'import', path, '--kafka'], {
      env: { PATHCAST_KAFKA_BROKERS: 'k:9092', PATHCAST_KAFKA_TOPIC_PREFIX: 'shop' },
    });
    expect(fromEnv.targets[0]?.kafka?.config.brokers).toEqual(['k:9092']);
    expect(fromEnv.targets[0]?.kafka?.topic).toBe('shop.crm-profiles');
  });

  it('draws a live progress line on a terminal and clears it', async () => {
    const lines = ['user_id'];
    for (let i = 0; i < 2_000; i++) lines.push(`u${i}`);
    const path = await file('tty.csv', `${lines.join('\n')}\n`);
    const { err } = await run(['crm', 'import', path, '--dry-run'], { isTTY: true });
    const ERASE = '\r\x1b[K';
    expect(err).toContain(`${ERASE}tty.csv [${'#'.repeat(24)}] 100% 2,000 rows, `);
    expect(err.endsWith(ERASE)).toBe(true);
  });

  it('prints plain progress lines when not a terminal, and none with --no-progress', async () => {
    const path = await file('plain.csv', 'user_id\nu1\n');
    const plain = await run(['crm', 'import', path, '--dry-run']);
    expect(plain.err).toMatch(
      /^pathcast crm import: plain\.csv: 100% 1 rows, [\d,]+ rows\/s, 0 bad\n$/,
    );
    const quiet = await run(['crm', 'import', path, '--dry-run', '--no-progress']);
    expect(quiet.err).toBe('');
  });

  it.each([
    [
      ['--dry-run'],
      'profiles.txt',
      /cannot tell the format .* pass --format csv or --format ndjson/,
    ],
    [[], 'x.csv', /choose where to import: --postgres \[URL\], --kafka \[BROKERS\]/],
    [['--dry-run', '--postgres', 'postgres://x/y'], 'x.csv', /--dry-run writes nothing/],
    [
      ['--postgres'],
      'x.csv',
      /no PostgreSQL URL: pass --postgres URL or set PATHCAST_POSTGRES_URL/,
    ],
    [['--kafka'], 'x.csv', /no Kafka brokers/],
    [
      ['--postgres', 'postgres://x/y', '--table', 'x; DROP TABLE y'],
      'x.csv',
      /--table: .*lower-case table name/,
    ],
    [['--dry-run', '--delimiter', ';'], 'x.ndjson', /--delimiter applies to CSV files only/],
    [
      ['--postgres', 'profiles.csv'],
      'x.csv',
      /--postgres expects a postgres:\/\/ URL, got "profiles.csv"/,
    ],
    [['--kafka', 'profiles.csv'], 'x.csv', /--kafka expects HOST:PORT/],
  ])('refuses %j for %s', async (args, name, reason) => {
    const path = await file(name, 'user_id\nu1\n');
    const { err, error } = await run(['crm', 'import', path, ...args]);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toMatch(reason);
  });

  it.each([
    [['--format', 'xml'], /expected csv or ndjson/],
    [['--batch-size', '0'], /whole number >= 1/],
    [['--delimiter', '""'], /one character/],
  ])('refuses the option values %j', async (args, reason) => {
    const path = await file('opt.csv', 'user_id\nu1\n');
    const { err, error } = await run(['crm', 'import', path, '--dry-run', ...args]);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toMatch(reason);
  });

  it.each([
    ['an empty file', '', /the file is empty/],
    ['a file without a header', 'u1,a@b.c\n', /no user id column/],
  ])('stops on %s with the reason', async (_name, content, reason) => {
    const path = await file('whole.csv', content);
    const { err, error } = await run(['crm', 'import', path, '--dry-run']);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toMatch(reason);
  });

  it('stops on a missing file', async () => {
    const { err, error } = await run(['crm', 'import', join(dir, 'missing.csv'), '--dry-run']);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toMatch(/no such file/);
  });

  it('reads a tab-separated file with --delimiter tab', async () => {
    const path = await file('tabs.csv', 'user_id\tsegment\nt1\tvip\n');
    const { store } = await run([
      'crm',
      'import',
      path,
      '--postgres',
      'postgres://x/y',
      '--delimiter',
      'tab',
    ]);
    expect((await store.getMany(['t1'])).get('t1')?.segment).toBe('vip');
  });
});

describe('pathcast crm get', () => {
  it('prints the profiles of the users, null for unknown ones', async () => {
    const store = new MemoryProfileStore();
    await store.write([
      {
        userId: 'g1',
        emailHash: '',
        segment: 'vip',
        lifetimeValue: 1,
        orders: 1,
        firstOrderAt: null,
        lastOrderAt: null,
        tenureDays: 1,
        churned: false,
        attributes: {},
        updatedAt: 5,
      },
    ]);
    const { out, error } = await run(
      ['crm', 'get', 'g1', 'nobody', '--postgres', 'postgres://x/y'],
      { store },
    );
    expect(error).toBeUndefined();
    const printed = JSON.parse(out) as Record<string, { segment: string } | null>;
    expect(printed['g1']?.segment).toBe('vip');
    expect(printed['nobody']).toBeNull();
  });

  it('wants exactly one source', async () => {
    const { err, error } = await run(['crm', 'get', 'g1']);
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toMatch(/choose one source/);
  });
});
