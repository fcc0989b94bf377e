import { counter, gauge, histogram } from '../../core/index.js';

/** Writer metrics, labelled by table; several writers of one table add up. */
export const writerMetrics = {
  rowsWritten: counter(
    'pathcast_clickhouse_rows_written_total',
    'Rows ClickHouse acknowledged, by table',
    ['table'],
  ),
  inserts: counter(
    'pathcast_clickhouse_inserts_total',
    'Insert requests by table and outcome (ok, failed = gave up on a non-retriable error)',
    ['table', 'outcome'],
  ),
  insertSeconds: histogram(
    'pathcast_clickhouse_insert_duration_seconds',
    'Time of one successful insert request, by table',
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ['table'],
  ),
  retries: counter(
    'pathcast_clickhouse_insert_retries_total',
    'Insert attempts that failed and were retried after a backoff, by table',
    ['table'],
  ),
  bufferedRows: gauge(
    'pathcast_clickhouse_buffered_rows',
    'Rows held by writers (buffered or in flight), by table',
    ['table'],
  ),
  backpressureWaits: counter(
    'pathcast_clickhouse_backpressure_waits_total',
    'Writes that had to wait for buffer space (ClickHouse slow or down), by table',
    ['table'],
  ),
};
