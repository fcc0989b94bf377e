import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, PathcastError, TransientError, type Profile } from '../core/index.js';
import { MemoryProfileStore } from './memory-profile-store.js';
import { importProfileFile, importProfiles, type ImportProgress } from './profile-import.js';
import { ProfileFileError, type RowIssue } from './profile-rows.js';

/** A sink that records its batches and fails the first `failures` writes with `error`. */
class RecordingSink extends MemoryProfileStore {
  readonly batches: Profile[][] = [];
  failures = 0;
  error: Error = new TransientError('down', 'database down');

  override async write(profiles: readonly Profile[]): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw this.error;
    }
    this.batches.push([...profiles]);
    await super.write(profiles);
  }
}

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const noWait = { sleep: async () => undefined };

function csvWithBadRows(rows: number, badEvery: number): { text: string; badLines: number[] } {
  const lines = ['user_id,email,segment,orders,churned'];
  const badLines: number[] = [];
  for (let i = 1; i <= rows; i++) {
    if (i % badEvery === 0) {
      lines.push(`u${i},u${i}@example.com,vip,not-a-number,no`);
      badLines.push(i + 1);
    } else {
      lines.push(`u${i},u${i}@example.com,vip,${i % 7},${i % 2 === 0 ? 'yes' : 'no'}`);
    }
  }
  return { text: `${lines.join('\n')}\n`, badLines };
}

describe('importProfiles', () => {
  it('writes the good rows in batches and reports each bad row by line', async () => {
    const { text, badLines } = csvWithBadRows(1_000, 97);
    const sink = new RecordingSink();
    const issues: RowIssue[] = [];
    const summary = await importProfiles(chunks(text, 333), sink, {
      format: 'csv',
      batchSize: 100,
      onIssue: (issue) => issues.push(issue),
    });
    expect(issues.map((i) => i.line)).toEqual(badLines);
    expect(issues.every((i) => i.field === 'orders' && i.severity === 'error')).toBe(true);
    expect(summary).toMatchObject({
      rows: 1_000,
      imported: 1_000 - badLines.length,
      bad: badLines.length,
      duplicates: 0,
      aborted: false,
    });
    expect(sink.size).toBe(1_000 - badLines.length);
    expect(sink.batches.every((b) => b.length <= 100)).toBe(true);
    expect(sink.batches.length).toBeGreaterThanOrEqual(10);
  });

  it('reports duplicates as warnings with both lines; the later row wins', async () => {
    const sink = new RecordingSink();
    const issues: RowIssue[] = [];
    const summary = await importProfiles(
      chunks('user_id,segment\nu1,first\nu2,x\nu1,second\n', 5),
      sink,
      { format: 'csv', batchSize: 2, onIssue: (issue) => issues.push(issue) },
    );
    expect(issues).toEqual([
      {
        line: 4,
        field: null,
        code: 'duplicate_user_id',
        severity: 'warning',
        reason: 'user id also on line 2; this later row wins',
      },
    ]);
    expect(summary).toMatchObject({ rows: 3, imported: 3, bad: 0, duplicates: 1 });
    expect((await sink.getMany(['u1'])).get('u1')?.segment).toBe('second');
  });

  it('validates only when there is no sink (dry run)', async () => {
    const summary = await importProfiles(chunks('user_id\nu1\n\nu2\n', 100), undefined, {
      format: 'csv',
    });
    expect(summary).toMatchObject({ rows: 2, imported: 2, bad: 0 });
  });

  it('retries a write the sink says may pass', async () => {
    const sink = new RecordingSink();
    sink.failures = 2;
    const summary = await importProfiles(
      chunks('user_id\nu1\nu2\nu3\n', 100),
      sink,
      { format: 'csv', batchSize: 2 },
      { writeRetry: noWait },
    );
    expect(summary.imported).toBe(3);
    expect(sink.size).toBe(3);
  });

  it('stops on a write that cannot pass, and says why', async () => {
    const sink = new RecordingSink();
    sink.failures = 1;
    sink.error = new PathcastError('crm_postgres_failed', 'permission denied for table');
    await expect(
      importProfiles(
        chunks('user_id\nu1\nu2\nu3\n', 100),
        sink,
        { format: 'csv', batchSize: 1 },
        { writeRetry: noWait },
      ),
    ).rejects.toThrow('permission denied');
    expect(sink.size).toBe(0);
  });

  it('stops on a file that is not profiles, naming the problem', async () => {
    await expect(
      importProfiles(chunks('u1,a@b.c\n', 100), new RecordingSink(), { format: 'csv' }),
    ).rejects.toBeInstanceOf(ProfileFileError);
  });

  it('reports progress at most once an interval, and at the end', async () => {
    const clock = new ManualClock(1_000);
    const seen: ImportProgress[] = [];
    async function* ticking(): AsyncGenerator<string> {
      yield 'user_id\n';
      for (let i = 0; i < 10; i++) {
        clock.advance(100);
        yield `u${i}\n`;
      }
    }
    const summary = await importProfiles(
      ticking(),
      new RecordingSink(),
      { format: 'csv', progressIntervalMs: 250, onProgress: (p) => seen.push(p) },
      { clock },
    );
    // At 1,300, 1,600 and 1,900 ms, then the final figures.
    expect(seen.map((p) => p.elapsedMs)).toEqual([300, 600, 900, 1_000]);
    expect(seen.at(-1)).toMatchObject({ rows: 10, imported: 10, elapsedMs: 1_000 });
    expect(summary.rowsPerSecond).toBe(10);
  });

  it('stops early on abort, after writing what it read', async () => {
    const controller = new AbortController();
    const sink = new RecordingSink();
    async function* endless(): AsyncGenerator<string> {
      yield 'user_id\n';
      for (let i = 0; ; i++) {
        if (i === 50) controller.abort();
        yield `u${i}\n`;
      }
    }
    const summary = await importProfiles(endless(), sink, {
      format: 'csv',
      batchSize: 7,
      signal: controller.signal,
    });
    expect(summary.aborted).toBe(true);
    expect(summary.imported).toBe(summary.rows);
    expect(sink.size).toBe(summary.rows);
  });
});

describe('importProfileFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pathcast-crm-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads UTF-8 split across reads and counts the bytes', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ userId: `ü${i}`, segment: '😀'.repeat(i % 5) }),
    );
    const file = join(dir, 'profiles.ndjson');
    const text = `\ufeff${rows.join('\n')}\n`;
    await writeFile(file, text, 'utf8');
    const sink = new RecordingSink();
    const summary = await importProfileFile(file, sink, { format: 'ndjson' });
    expect(summary).toMatchObject({ rows: 20_000, imported: 20_000, bad: 0 });
    expect(summary.bytesRead).toBe(Buffer.byteLength(text));
    expect(summary.totalBytes).toBe(Buffer.byteLength(text));
    expect((await sink.getMany(['ü19999'])).get('ü19999')?.segment).toBe('😀'.repeat(4));
  });

  it('fails clearly on a missing file', async () => {
    await expect(
      importProfileFile(join(dir, 'nope.csv'), undefined, { format: 'csv' }),
    ).rejects.toThrow(/ENOENT/);
  });
});
