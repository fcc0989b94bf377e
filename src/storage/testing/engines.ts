/**
 * Test support, not part of the module's API: both engines side by side on a fresh database.
 * Each vitest file runs in its own process, and chdb allows one data directory per process, so a
 * file opens the pair once (beforeAll) and closes it at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseConfig } from '../../config/index.js';
import { connectClickHouse, type ClickHouseHandle } from '../clickhouse.js';
import { migrate } from '../schema/migrate.js';

export interface EnginePair {
  readonly database: string;
  readonly server: ClickHouseHandle;
  readonly embedded: ClickHouseHandle;
  readonly both: readonly {
    readonly name: 'server' | 'embedded';
    readonly handle: ClickHouseHandle;
  }[];
  close(): Promise<void>;
}

export function clickHouseConfig(url: string | undefined, database: string): ClickHouseConfig {
  return { url, user: 'default', password: '', database, caFile: undefined };
}

export function randomDatabase(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Connects to the server at `serverUrl` and to chdb in a temp dir, both on a new database. */
export async function openEnginePair(
  serverUrl: string,
  prefix: string,
  options: { readonly migrate?: boolean } = {},
): Promise<EnginePair> {
  const database = randomDatabase(prefix);
  const dir = mkdtempSync(join(tmpdir(), 'pathcast-storage-it-'));
  const server = await connectClickHouse(clickHouseConfig(serverUrl, database), dir);
  const embedded = await connectClickHouse(clickHouseConfig(undefined, database), dir);
  if (options.migrate !== false) {
    await migrate(server);
    await migrate(embedded);
  }
  return {
    database,
    server,
    embedded,
    both: [
      { name: 'server', handle: server },
      { name: 'embedded', handle: embedded },
    ],
    close: async () => {
      for (const handle of [server, embedded]) {
        await handle.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
        await handle.close();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
