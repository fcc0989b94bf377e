import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StateError } from '../../core/index.js';
import { cellsOf } from '../rows/cells.js';
import { defineTable } from '../rows/define-table.js';
import { TableWriter, type InsertRequest } from './table-writer.js';
import { resolveWriterOptions } from './writer-options.js';

interface Item {
  readonly n: number;
  readonly month?: number;
}

const c = cellsOf<Item>();

/** One Int column, n; a negative n is a mapping bug (its getter throws). */
const SPEC = defineTable(
  'items',
  {
    n: c.int((item) => {
      if (item.n < 0) throw new TypeError(`bad item ${item.n}`);
      return item.n;
    }),
  },
  { partitionOf: (item) => item.month ?? 202401 },
);

const items = (from: number, count: number): Item[] =>
  Array.from({ length: count }, (_, i) => ({ n: from + i }));

/** An insert function the test drives: each call waits until the test settles it. */
class FakeClickHouse {
  readonly calls: { rows: number[]; settle: (error?: Error) => void }[] = [];
  /** Rows ClickHouse acknowledged, in order. */
  readonly stored: number[] = [];
  auto: ((rows: readonly number[]) => Error | undefined) | undefined;

  insert = (request: InsertRequest): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // SPEC names one column, n: a TSV line is just the number, and every line ends in \n.
      const text = Buffer.concat(request.body).toString('utf8');
      if (!text.endsWith('\n')) throw new Error(`body does not end a line: ${text}`);
      const rows = text.slice(0, -1).split('\n').map(Number);
      if (rows.length !== request.rows) throw new Error(`${request.rows} rows said, ${text} sent`);
      const settle = (error?: Error): void => {
        if (error !== undefined) reject(error);
        else {
          this.stored.push(...rows);
          resolve();
        }
      };
      if (this.auto !== undefined) settle(this.auto(rows));
      else this.calls.push({ rows, settle });
    });

  /** Acknowledges the oldest pending insert. */
  ack(error?: Error): number[] {
    const call = this.calls.shift();
    if (call === undefined) throw new Error('no insert is pending');
    call.settle(error);
    return call.rows;
  }
}

const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:18123'), { code: 'ECONNREFUSED' });
const syntaxError = (): Error =>
  new Error('Code: 62, e.displayText() = DB::Exception: Syntax error, e.what() = DB::Exception');

/** Lets queued promise callbacks run (fake timers do not advance on their own). */
const settle = async (): Promise<void> => {
  await vi.advanceTimersByTimeAsync(0);
};

function state(promise: Promise<unknown>): () => 'pending' | 'resolved' | 'rejected' {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  return () => s;
}

describe('TableWriter', () => {
  let ch: FakeClickHouse;

  beforeEach(() => {
    vi.useFakeTimers();
    ch = new FakeClickHouse();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const writer = (options: ConstructorParameters<typeof TableWriter<Item>>[2] = {}) =>
    new TableWriter(SPEC, { insert: ch.insert }, { retryInitialMs: 100, ...options });

  it('sends a batch as soon as batchRows are buffered, the rest on the timer', async () => {
    const w = writer({ batchRows: 100, flushIntervalMs: 1000 });
    const done = state(w.write(items(0, 250)));
    await settle();
    expect(ch.ack()).toHaveLength(100);
    await settle();
    expect(ch.ack()).toHaveLength(100);
    await settle();
    expect(ch.calls).toHaveLength(0); // 50 rows wait for the timer
    await vi.advanceTimersByTimeAsync(999);
    expect(ch.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ch.ack()).toEqual(items(200, 50).map((i) => i.n));
    await settle();
    expect(done()).toBe('resolved');
    expect(ch.stored).toEqual(items(0, 250).map((i) => i.n));
    expect(w.stats()).toMatchObject({ inserts: 3, rowsWritten: 250, bufferedRows: 0 });
  });

  it('resolves a write only once ClickHouse acknowledged all its rows', async () => {
    const w = writer({ batchRows: 10, flushIntervalMs: 50 });
    const first = state(w.write(items(0, 15)));
    const second = state(w.write(items(15, 5)));
    await settle();
    ch.ack(); // rows 0-9: the first write is not complete yet
    await vi.advanceTimersByTimeAsync(50);
    expect(first()).toBe('pending');
    expect(ch.calls[0]?.rows).toEqual(items(10, 10).map((i) => i.n));
    ch.ack();
    await settle();
    expect(first()).toBe('resolved');
    expect(second()).toBe('resolved');
  });

  it('retries retriable failures with backoff, then succeeds without losing a row', async () => {
    const w = writer({ batchRows: 5, retryInitialMs: 100, retryMaxMs: 1000 });
    const done = state(w.write(items(0, 5)));
    await settle();
    ch.ack(refused());
    await vi.advanceTimersByTimeAsync(1000);
    ch.ack(refused());
    await vi.advanceTimersByTimeAsync(1000);
    expect(done()).toBe('pending');
    ch.ack();
    await settle();
    expect(done()).toBe('resolved');
    expect(ch.stored).toEqual([0, 1, 2, 3, 4]);
    expect(w.stats()).toMatchObject({ retries: 2, inserts: 1, failedInserts: 0 });
  });

  it('fails the writes of a batch that hit a non-retriable error, and carries on', async () => {
    const w = writer({ batchRows: 5, flushIntervalMs: 10 });
    const bad = w.write(items(0, 5));
    const badState = state(bad);
    await settle();
    ch.ack(syntaxError());
    await settle();
    expect(badState()).toBe('rejected');
    await expect(bad).rejects.toMatchObject({ code: 'clickhouse_insert_failed', retriable: false });
    const next = state(w.write(items(5, 5)));
    await settle();
    ch.ack();
    await settle();
    expect(next()).toBe('resolved');
    expect(ch.stored).toEqual([5, 6, 7, 8, 9]);
    expect(w.stats()).toMatchObject({ failedInserts: 1, retries: 0 });
  });

  it('bounds memory: past maxBufferedRows writes wait, isFull says pause, all resumes', async () => {
    const w = writer({ batchRows: 100, maxBufferedRows: 200, flushIntervalMs: 10 });
    const writes = [0, 1, 2, 3, 4].map((k) => state(w.write(items(k * 100, 100))));
    await vi.advanceTimersByTimeAsync(20);
    // One insert in flight, one batch buffered, three writes waiting outside the buffer.
    expect(ch.calls).toHaveLength(1);
    expect(w.stats()).toMatchObject({ inFlightRows: 100, bufferedRows: 100, waitingWrites: 3 });
    expect(w.isFull()).toBe(true);
    const writable = state(w.whenWritable());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(w.stats().bufferedRows + w.stats().inFlightRows).toBeLessThanOrEqual(200);
    expect(writable()).toBe('pending');
    for (let k = 0; k < 5; k++) {
      ch.ack();
      await vi.advanceTimersByTimeAsync(20);
      expect(w.stats().bufferedRows + w.stats().inFlightRows).toBeLessThanOrEqual(200);
    }
    expect(writable()).toBe('resolved');
    expect(writes.map((s) => s())).toEqual(Array(5).fill('resolved'));
    expect(ch.stored).toEqual(items(0, 500).map((i) => i.n));
    expect(w.isFull()).toBe(false);
  });

  it('admits a write bigger than the buffer piece by piece', async () => {
    const w = writer({ batchRows: 10, maxBufferedRows: 20 });
    ch.auto = () => undefined;
    const done = w.write(items(0, 95));
    await vi.advanceTimersByTimeAsync(1000); // the last 5 rows go on the timer
    await done;
    expect(w.stats().inserts).toBe(10);
    expect(ch.stored).toEqual(items(0, 95).map((i) => i.n));
  });

  it('keeps retrying while ClickHouse is down, holding at most maxBufferedRows', async () => {
    let down = true;
    ch.auto = () => (down ? refused() : undefined);
    const w = writer({ batchRows: 50, maxBufferedRows: 100, retryMaxMs: 500, flushIntervalMs: 10 });
    const writes = Array.from({ length: 10 }, (_, k) => state(w.write(items(k * 50, 50))));
    for (let t = 0; t < 60; t++) {
      await vi.advanceTimersByTimeAsync(1000); // a minute of outage
      expect(w.stats().bufferedRows + w.stats().inFlightRows).toBeLessThanOrEqual(100);
    }
    expect(w.stats().retries).toBeGreaterThan(60);
    expect(writes.every((s) => s() === 'pending')).toBe(true);
    down = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(writes.every((s) => s() === 'resolved')).toBe(true);
    expect(ch.stored).toEqual(items(0, 500).map((i) => i.n));
  });

  it('splits an insert that would touch too many partitions', async () => {
    ch.auto = () => undefined;
    const sizes: number[] = [];
    const w = new TableWriter(
      SPEC,
      {
        insert: (request) => {
          sizes.push(request.rows);
          return ch.insert(request);
        },
      },
      { maxPartitionsPerInsert: 3, flushIntervalMs: 10 },
    );
    const write = w.write(
      Array.from({ length: 10 }, (_, i) => ({ n: i, month: 202001 + (i % 7) })),
    );
    await vi.advanceTimersByTimeAsync(20);
    await write;
    expect(sizes).toEqual([6, 3, 1]); // 7 months, at most 3 per insert
    expect([...ch.stored].sort((a, b) => a - b)).toEqual(items(0, 10).map((i) => i.n));
  });

  it('fails only the write whose item cannot be mapped', async () => {
    ch.auto = () => undefined;
    const w = writer({ batchRows: 100, flushIntervalMs: 10 });
    const good = w.write(items(0, 3));
    const bad = w.write([{ n: 5 }, { n: -1 }, { n: 6 }]).catch((error: unknown) => error);
    const after = w.write(items(10, 2));
    await vi.advanceTimersByTimeAsync(20);
    await expect(good).resolves.toBeUndefined();
    expect(await bad).toBeInstanceOf(TypeError);
    await expect(after).resolves.toBeUndefined();
    expect(ch.stored).toEqual([0, 1, 2, 5, 10, 11]);
  });

  it('flush sends at once; close flushes, is idempotent, and refuses later writes', async () => {
    ch.auto = () => undefined;
    const w = writer({ batchRows: 1000, flushIntervalMs: 60_000 });
    void w.write(items(0, 3));
    await w.flush();
    expect(ch.stored).toEqual([0, 1, 2]);
    void w.write(items(3, 2));
    await Promise.all([w.close(), w.close()]);
    expect(ch.stored).toEqual([0, 1, 2, 3, 4]);
    await expect(w.write(items(9, 1))).rejects.toBeInstanceOf(StateError);
    await w.flush(); // nothing pending: resolves
  });

  it('close gives up after closeTimeoutMs: unacknowledged writes reject as retriable', async () => {
    ch.auto = () => refused();
    const w = writer({ batchRows: 10, closeTimeoutMs: 5000, retryMaxMs: 200 });
    const pending = w.write(items(0, 10));
    const outcome = pending.catch((error: unknown) => error);
    const closed = state(w.close());
    await vi.advanceTimersByTimeAsync(4900);
    expect(closed()).toBe('pending');
    await vi.advanceTimersByTimeAsync(500);
    expect(closed()).toBe('resolved');
    expect(await outcome).toMatchObject({ retriable: true });
    expect(ch.stored).toEqual([]);
  });
});

describe('resolveWriterOptions', () => {
  it('fills the defaults: 50k rows, 1 s, 4 batches of buffer, unlimited retries', () => {
    expect(resolveWriterOptions()).toMatchObject({
      batchRows: 50_000,
      flushIntervalMs: 1000,
      maxBufferedRows: 200_000,
      retries: Number.POSITIVE_INFINITY,
    });
  });

  it.each([
    [{ batchRows: 0 }, /batchRows/],
    [{ batchRows: 1.5 }, /batchRows/],
    [{ flushIntervalMs: -1 }, /flushIntervalMs/],
    [{ batchRows: 100, maxBufferedRows: 99 }, /maxBufferedRows/],
    [{ retries: -1 }, /retries/],
    [{ batchRows: Infinity }, /batchRows/],
    [{ maxBufferedRows: NaN }, /maxBufferedRows/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveWriterOptions(options)).toThrow(message);
  });
});
