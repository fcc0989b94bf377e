import { PathcastError } from '../../core/index.js';
import type { StoredModel } from '../rows/model-row.js';
import { qualifiedTable, sqlInt, sqlString } from '../sql.js';
import { TABLES } from '../schema/table-names.js';
import { checkInt, checkString } from './filters.js';
import { read, selectRows, type QueryTarget, type ResultRow } from './run-query.js';

/** The newest models of a kind (by creation time), each version once. */
export function buildModels(database: string, kind: string, limit: number): string {
  return `SELECT kind, version, created_at, metrics, snapshot
FROM ${qualifiedTable(database, TABLES.models)}
WHERE kind = ${sqlString(checkString(kind, 'kind'))}
ORDER BY created_at DESC, version DESC
LIMIT 1 BY kind, version
LIMIT ${sqlInt(checkInt(limit, 'limit', 1, 1000))}`;
}

export async function latestModels(
  target: QueryTarget,
  kind: string,
  limit = 1,
): Promise<StoredModel[]> {
  return (await selectRows(target, buildModels(target.database, kind, limit))).map(readModel);
}

export function readModel(row: ResultRow): StoredModel {
  const metricsText = read.string(row, 'metrics');
  let metrics: unknown;
  try {
    metrics = JSON.parse(metricsText);
  } catch (error) {
    throw new PathcastError('clickhouse_unexpected_row', 'model metrics are not JSON', {
      cause: error,
    });
  }
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
    throw new PathcastError('clickhouse_unexpected_row', 'model metrics are not a JSON object');
  }
  return {
    kind: read.string(row, 'kind'),
    version: read.string(row, 'version'),
    createdAt: read.number(row, 'created_at'),
    metrics: metrics as Record<string, number>,
    snapshot: new Uint8Array(Buffer.from(read.string(row, 'snapshot'), 'base64')),
  };
}
