import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from '../sql.js';
import type { InsertRows } from './table-writer.js';

export interface InsertTarget {
  readonly client: ClickHouseClient;
  readonly database: string;
}

/**
 * Inserts pre-encoded TabSeparated lines (rows/tsv.ts), always naming the columns (the table may
 * have gained columns since this code was built; unnamed inserts would break on both engines).
 *
 * NOTE: `exec` with a byte stream rather than `insert`: the writer already encoded each row when
 * it was written (see table-writer.ts), so the body is sent as it is.
 */
export function clickHouseInserter(target: InsertTarget): InsertRows {
  return async ({ table, columns, lines, signal }) => {
    const result = await target.client.exec({
      query: `INSERT INTO ${qualifiedTable(target.database, table)} (${columns.join(', ')}) FORMAT TabSeparated`,
      values: Readable.from([Buffer.from(lines.join('\n'), 'utf8')], { objectMode: false }),
      abort_signal: signal,
    });
    // The answer to an insert is empty; reading it to the end returns the socket to the pool.
    result.stream.resume();
    if (!result.stream.readableEnded) await once(result.stream, 'end');
  };
}
