/**
 * The batched writer against the real ClickHouse server (Debian's 18.16):
 * - batching by size and by time, and replays that change no query result (shared server);
 * - an outage: a PRIVATE server (own temp dir and ports, so the shared one other tests use is
 *   never touched) is stopped mid-stream and started again. The producer pauses on
 *   backpressure, the writer holds at most maxBufferedRows, retries, and when the server is
 *   back every row is stored exactly once.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../core/index.js';
import { rewriteClickHouseConfig } from '../../../scripts/services/clickhouse.js';
import { findExecutable } from '../../../scripts/services/apt.js';
import {
  spawnDetached,
  stopProcess,
  type DetachedProcess,
} from '../../../scripts/services/process.js';
import { getXmlElement, stripXmlComments } from '../../../scripts/services/xml-config.js';
import { testServices } from '../../../test/services.js';
import { pollUntil } from '../../../test/polling.js';
import { connectClickHouse, type ClickHouseHandle } from '../clickhouse.js';
import { EVENTS_SPEC } from '../rows/event-row.js';
import { migrate } from '../schema/migrate.js';
import { TABLES } from '../schema/table-names.js';
import { qualifiedTable } from '../sql.js';
import { clickHouseConfig, randomDatabase } from '../testing/engines.js';
import { BASE, makeEvent } from '../testing/fixtures.js';
import { clickHouseInserter } from './clickhouse-inserter.js';
import { TableWriter } from './table-writer.js';

const events = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) =>
    makeEvent({ id: `e-${from + i}`, visitor: `v-${(from + i) % 97}`, timestamp: BASE + from + i }),
  );

async function stored(handle: ClickHouseHandle): Promise<{ rows: number; ids: number }> {
  const result = await handle.client.query({
    query: `SELECT count() AS rows, uniqExact(id) AS ids FROM ${qualifiedTable(handle.database, TABLES.events)}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ rows: number; ids: number }>();
  return row ?? { rows: 0, ids: 0 };
}

describe('on the shared server', () => {
  let handle: ClickHouseHandle;

  beforeAll(async () => {
    handle = await connectClickHouse(
      clickHouseConfig(testServices().clickhouseUrl, randomDatabase('pathcast_it_writer')),
      tmpdir(),
    );
    await migrate(handle);
  });

  afterAll(async () => {
    await handle?.client.command({ query: `DROP DATABASE IF EXISTS ${handle.database}` });
    await handle?.close();
  });

  it('inserts full batches at once and the remainder when the timer fires', async () => {
    const writer = new TableWriter(
      EVENTS_SPEC,
      { insert: clickHouseInserter(handle) },
      { batchRows: 1000, flushIntervalMs: 400 },
    );
    await writer.write(events(0, 2000)); // two full batches: no wait for the timer

    expect(writer.stats()).toMatchObject({ inserts: 2, rowsWritten: 2000, bufferedRows: 0 });
    const began = performance.now();
    const remainder = writer.write(events(2000, 500));
    await pollUntil(
      'the two full batches to be stored',
      async () => ((await stored(handle)).ids === 2000 ? true : undefined),
      { timeoutMs: 10_000 },
    );
    expect(writer.stats().bufferedRows).toBe(500); // not sent: neither full nor due
    await remainder;
    expect(performance.now() - began).toBeGreaterThanOrEqual(390);
    expect(writer.stats()).toMatchObject({ inserts: 3, rowsWritten: 2500 });
    expect(await stored(handle)).toEqual({ rows: 2500, ids: 2500 });
    await writer.close();
  });

  it('a replay stores duplicates that no query counts', async () => {
    const writer = new TableWriter(
      EVENTS_SPEC,
      { insert: clickHouseInserter(handle) },
      { batchRows: 700, flushIntervalMs: 50 },
    );
    await writer.write(events(0, 2500));
    await writer.close();
    expect((await stored(handle)).ids).toBe(2500);
    const result = await handle.client.query({
      query: `SELECT count() AS n FROM (SELECT id FROM ${qualifiedTable(handle.database, TABLES.events)} LIMIT 1 BY id)`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: 2500 }]);
  });
});

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(),
      );
    });
  });
}

/** Debian's clickhouse-server in a temp dir on free loopback ports; stop() and start() again. */
class PrivateClickHouse {
  readonly dir = mkdtempSync(join(tmpdir(), 'pathcast-private-ch-'));
  private process: DetachedProcess | undefined;
  url = '';

  async start(): Promise<void> {
    if (this.url === '') {
      const [http, tcp] = [await freePort(), await freePort()];
      const packaged = readFileSync('/etc/clickhouse-server/config.xml', 'utf8');
      mkdirSync(join(this.dir, 'data'), { recursive: true });
      mkdirSync(join(this.dir, 'logs'), { recursive: true });
      writeFileSync(
        join(this.dir, 'config.xml'),
        rewriteClickHouseConfig(packaged, {
          dataDir: join(this.dir, 'data'),
          logDir: join(this.dir, 'logs'),
          host: '127.0.0.1',
          httpPort: http,
          tcpPort: tcp,
        }),
      );
      const users = getXmlElement(stripXmlComments(packaged), ['users_config'])?.trim();
      copyFileSync(
        resolve('/etc/clickhouse-server', users ?? 'users.xml'),
        join(this.dir, 'users.xml'),
      );
      this.url = `http://127.0.0.1:${http}`;
    }
    const binary = findExecutable('clickhouse-server');
    if (binary === undefined) throw new Error('clickhouse-server is not installed');
    this.process = await spawnDetached(binary, [`--config-file=${join(this.dir, 'config.xml')}`], {
      cwd: this.dir,
      logFile: join(this.dir, 'logs', 'stdout.log'),
    });
    try {
      await pollUntil(
        'the private ClickHouse server to answer',
        async () => {
          const exit = this.process?.exited();
          if (exit !== undefined) {
            throw new Error(`private clickhouse-server exited: ${JSON.stringify(exit)}`);
          }
          const ok = await fetch(`${this.url}/ping`).then(
            (r) => r.ok,
            () => false,
          );
          return ok ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * SIGKILL by default: a graceful stop keeps serving open keep-alive connections for seconds,
   * long enough for the whole stream to finish; a kill is an outage at once (and a harsher one:
   * the insert in flight is lost unacknowledged and must be retried).
   */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.process?.pid;
    this.process = undefined;
    if (pid !== undefined) await stopProcess(pid, 'clickhouse-server', signal, 20_000);
  }

  async destroy(): Promise<void> {
    try {
      await this.stop('SIGTERM');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

describe('when the server goes down mid-stream', () => {
  let server: PrivateClickHouse;
  let handle: ClickHouseHandle;

  beforeAll(async () => {
    server = new PrivateClickHouse();
    await server.start();
    handle = await connectClickHouse(clickHouseConfig(server.url, 'pathcast_outage'), server.dir);
    await migrate(handle);
  });

  afterAll(async () => {
    await handle?.close();
    await server?.destroy();
  });

  it('pauses the producer, holds bounded memory, retries, and loses nothing', async () => {
    const TOTAL = 60_000;
    const CHUNK = 500;
    const MAX_BUFFERED = 8_000;
    const BATCH_ROWS = 2_000;
    const logger = new MemoryLogger();
    const writer = new TableWriter(
      EVENTS_SPEC,
      { insert: clickHouseInserter(handle), logger },
      {
        batchRows: BATCH_ROWS,
        flushIntervalMs: 100,
        maxBufferedRows: MAX_BUFFERED,
        retryInitialMs: 50,
        retryMaxMs: 500,
      },
    );
    let produced = 0;
    let maxHeld = 0;
    const watch = setInterval(() => {
      const s = writer.stats();
      maxHeld = Math.max(maxHeld, s.bufferedRows + s.inFlightRows);
    }, 5);
    // A pipeline in miniature: read a chunk, hand it to the writer, keep its promise to commit
    // on, and pause reading while the writer is full.
    const commits: Promise<void>[] = [];
    const producer = (async () => {
      while (produced < TOTAL) {
        if (writer.isFull()) await writer.whenWritable();
        commits.push(writer.write(events(produced, CHUNK)));
        produced += CHUNK;
        await new Promise((r) => setTimeout(r, 5)); // ~100k rows/s at most
      }
    })();

    await pollUntil(
      'a quarter of the stream to be produced',
      () => (produced >= TOTAL / 4 ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    const stopping = performance.now();
    await server.stop();
    const producedAtStop = produced;
    const describeState = (): string =>
      JSON.stringify({
        produced,
        stopMs: Math.round(performance.now() - stopping),
        ...writer.stats(),
      });
    // The outage: the writer fills up, the producer stops, retries pile up.
    // TRICKY: an insert the server took before it stopped may still succeed (it finishes running
    // queries as it shuts down, and its answer can be read after stop() returned), freeing room
    // once more. Inserts run one at a time, so once one has failed, none before it is pending.
    await pollUntil(
      'the writer to be full, with an insert failed',
      () => (writer.isFull() && writer.stats().retries >= 1 ? true : undefined),
      { timeoutMs: 30_000, describe: describeState },
    );
    const producedWhenFull = produced;
    await pollUntil(
      'several failed retries',
      () => (writer.stats().retries >= 5 ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    expect(produced).toBe(producedWhenFull); // backpressure: nothing read while full
    // At most one buffer's worth read since the stop, and the batch of the one insert (see above)
    // that may have succeeded as the server went down.
    expect(produced - producedAtStop).toBeLessThanOrEqual(MAX_BUFFERED + CHUNK + BATCH_ROWS);
    expect(maxHeld).toBeLessThanOrEqual(MAX_BUFFERED);
    expect(await Promise.race([Promise.all(commits).then(() => 'all durable'), 'pending'])).toBe(
      'pending',
    );

    await server.start();
    await producer;
    await Promise.all(commits);
    await writer.close();
    clearInterval(watch);

    expect(maxHeld).toBeLessThanOrEqual(MAX_BUFFERED);
    const { ids } = await stored(handle);
    expect(ids).toBe(TOTAL);
    const result = await handle.client.query({
      query: `SELECT count() AS n FROM (SELECT id FROM ${qualifiedTable(handle.database, TABLES.events)} LIMIT 1 BY id)`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: TOTAL }]);
    expect(logger.lines.some((l) => l.event === 'clickhouse_insert_retry')).toBe(true);
    expect(logger.lines.filter((l) => l.event === 'clickhouse_insert_failed')).toEqual([]);
  });
});
