import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRM_CSV_COLUMNS } from './crm-profiles.js';
import { recordText } from './event-sink.js';
import type { GroundTruth } from './ground-truth.js';
import { createNdjsonSink } from './ndjson-sink.js';
import { runSimulation } from './run-simulation.js';
import { createSimulation } from './simulation.js';

describe('runSimulation to files', { timeout: 30_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pathcast-sim-files-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes NDJSON events, the truth as JSON and the CRM as CSV', async () => {
    const out = join(dir, 'events.ndjson');
    const truthFile = join(dir, 'truth.json');
    const crmFile = join(dir, 'crm.csv');
    const summary = await runSimulation({ events: 4000, seed: 8 }, createNdjsonSink(out), {
      truthFile,
      crmFile,
    });

    const lines = (await readFile(out, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(summary.records);
    const expected = [...createSimulation({ events: 4000, seed: 8 }).events].map(recordText);
    expect(lines).toEqual(expected);

    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruth;
    expect(truth.counts.events).toBe(4000);
    expect(truth.sessions).toHaveLength(summary.sessions);
    expect(truth.sessions.flatMap((s) => s.messageIds)).toHaveLength(4000);
    expect(Object.keys(truth.pageStates)).toContain('product');
    expect(truth.definitions['channels.states.*.removalEffect']).toMatch(/Anderl/);
    expect(truth.crm.profiles).toBe(summary.crmProfiles);

    const crm = (await readFile(crmFile, 'utf8')).trim().split('\n');
    expect(crm[0]).toBe(CRM_CSV_COLUMNS.join(','));
    expect(crm).toHaveLength(summary.crmProfiles + 1);
  });

  it('waits for a slow stream (backpressure) and loses nothing', async () => {
    const chunks: string[] = [];
    let pending = 0;
    let maxPending = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        pending++;
        maxPending = Math.max(maxPending, pending);
        setTimeout(() => {
          chunks.push(chunk.toString('utf8'));
          pending--;
          callback();
        }, 1);
      },
    });
    const summary = await runSimulation(
      { events: 3000, seed: 2 },
      createNdjsonSink(slow, { keepOpen: false }),
    );
    expect(
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(summary.records);
    expect(maxPending).toBe(1);
  });

  it('stops early on abort and says so', async () => {
    const abort = new AbortController();
    const sink = createNdjsonSink(join(dir, 'aborted.ndjson'));
    let seen = 0;
    const counting = {
      write: (record: Parameters<typeof sink.write>[0]) => {
        if (++seen === 100) abort.abort();
        return sink.write(record);
      },
      close: () => sink.close(),
    };
    const summary = await runSimulation({ events: 5000 }, counting, { signal: abort.signal });
    expect(summary.completed).toBe(false);
    expect(summary.records).toBe(100);
    // The truth covers what was sent: 100 records, sessions cut short say so.
    const ids = summary.truth.sessions.flatMap((s) => s.messageIds);
    expect(ids.length).toBeLessThanOrEqual(100);
    expect(ids.length + summary.truth.faults.duplicates.count + summary.malformed).toBe(100);
    expect(summary.truth.sessions.some((s) => s.truncated)).toBe(true);
  });
});
