/**
 * `pathcast crm import` and `crm get` end to end against the real PostgreSQL and Kafka: the
 * flags reach the stores, one import fans out to both, and both read back the same profiles.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Profile } from '../core/index.js';
import { loadConfig } from '../config/index.js';
import { testServices } from '../../test/services.js';
import { registerCrmCommand } from './crm.js';

const services = testServices();
const table = `crm_cli_${randomBytes(5).toString('hex')}`;
const topic = `pathcast-it-cli-${randomBytes(5).toString('hex')}.crm-profiles`;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pathcast-cli-crm-it-'));
});

afterAll(async () => {
  const client = new pg.Client({ connectionString: services.postgresUrl });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS "${table}"`);
  await client.end();
  const admin = new kafkajs.Kafka({
    brokers: services.kafkaBrokers,
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command('pathcast').exitOverride();
  registerCrmCommand(program, {
    io: { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false },
    loadConfig: () => loadConfig({}),
    logger: silentLogger,
  });
  await program.parseAsync(['node', 'pathcast', ...args]);
  return { out, err };
}

describe('pathcast crm (real services)', () => {
  it('imports one file into PostgreSQL and Kafka, and reads it back from both', async () => {
    const lines = ['userId,email,segment,lifetimeValue,orders,churned,plan'];
    for (let i = 0; i < 1_000; i++) {
      lines.push(
        i === 500
          ? 'bad,x@y.z,vip,12 EUR,1,no,pro'
          : `c${i},c${i}@shop.example,vip,${i},1,no,"p, ""${i}"""`,
      );
    }
    const file = join(dir, 'crm.csv');
    await writeFile(file, `${lines.join('\n')}\n`, 'utf8');

    const imported = await run([
      'crm',
      'import',
      file,
      '--postgres',
      services.postgresUrl,
      '--table',
      table,
      '--kafka',
      services.kafkaBrokers.join(','),
      '--topic',
      topic,
      '--batch-size',
      '250',
    ]);
    expect(imported.err).toContain(`${file}:502: skipped: lifetimeValue:`);
    expect(imported.out).toMatch(
      /^imported 999 of 1,000 rows into PostgreSQL table .* and Kafka topic /,
    );

    const fromPostgres = await run([
      'crm',
      'get',
      'c7',
      'bad',
      '--postgres',
      services.postgresUrl,
      '--table',
      table,
    ]);
    const fromKafka = await run([
      'crm',
      'get',
      'c7',
      'bad',
      '--kafka',
      services.kafkaBrokers.join(','),
      '--topic',
      topic,
    ]);
    const pgProfiles = JSON.parse(fromPostgres.out) as Record<string, Profile | null>;
    const kafkaProfiles = JSON.parse(fromKafka.out) as Record<string, Profile | null>;
    expect(pgProfiles['c7']).toMatchObject({
      userId: 'c7',
      lifetimeValue: 7,
      attributes: { plan: 'p, "7"' },
    });
    expect(pgProfiles['bad']).toBeNull();
    expect(kafkaProfiles).toEqual(pgProfiles);
  });
});
