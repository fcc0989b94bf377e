import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../core/index.js';
import { loadConfig } from '../config/index.js';
import { openStorage } from './open-storage.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

describe('openStorage', () => {
  it('retries connecting and migrating while the connection drops (a server starting or restarting), then gives up', async () => {
    let connections = 0;
    // A "server" that takes each connection and drops it at once: socket hang up.
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const config = loadConfig({ PATHCAST_CLICKHOUSE_URL: `http://127.0.0.1:${address.port}` });
    const logger = new MemoryLogger();
    await expect(
      openStorage(config.clickhouse, 'unused', { logger, startRetries: 2 }),
    ).rejects.toThrow(/cannot reach ClickHouse/);
    // Three attempts (the first and two retries), each logged before it ran again.
    expect(logger.lines.filter((line) => line.event === 'clickhouse_start_retry')).toHaveLength(2);
    expect(connections).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
