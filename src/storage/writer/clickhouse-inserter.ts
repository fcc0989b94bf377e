import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { RawInsert } from '../clickhouse.js';
import { qualifiedTable } from '../sql.js';
import type { InsertRows } from './table-writer.js';

export interface InsertTarget {
  readonly client: ClickHouseClient;
  readonly database: string;
  /** The engine's own byte insert, when it has one (chdb): used instead of `exec`. */
  readonly rawInsert?: RawInsert;
}

/**
 * Inserts pre-encoded TabSeparated rows (rows/tsv-buffer.ts), always naming the columns (the
 * table may have gained columns since this code was built; unnamed inserts would break on both
 * engines).
 *
 * NOTE: `exec` with a byte stream rather than `insert`: `insert` would encode row objects
 * itself, but the writer already encoded each row when it was written (see table-writer.ts), so
 * the body is sent as it is, without a copy. A retry sends the same bytes again.
 */
export function clickHouseInserter(target: InsertTarget): InsertRows {
  const rawInsert = target.rawInsert;
  if (rawInsert !== undefined) {
    return async ({ table, columns, body, signal }) => {
      // qualifiedTable validates both names; chdb wants them bare.
      qualifiedTable(target.database, table);
      // One fresh buffer: chdb takes a single body, and may read it after an abort settles.
      const bytes = Buffer.concat(body);
      await rawInsert({ table: `${target.database}.${table}`, columns, body: bytes, signal });
    };
  }
  return async ({ table, columns, body, signal }) => {
    const result = await target.client.exec({
      query: `INSERT INTO ${qualifiedTable(target.database, table)} (${columns.join(', ')}) FORMAT TabSeparated`,
      values: Readable.from(body, { objectMode: false }),
      abort_signal: signal,
    });
    // The answer to an insert is empty; reading it to the end returns the socket to the pool.
    result.stream.resume();
    if (!result.stream.readableEnded) await once(result.stream, 'end');
  };
}
