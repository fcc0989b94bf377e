import type { FailedEvent } from '../../ingest/index.js';
import { TABLES } from '../schema/table-names.js';
import type { TableSpec } from './table-spec.js';
import { int, text, uint, utcMonth } from './values.js';

export const FAILED_EVENT_COLUMNS = [
  'id',
  'site',
  'reason',
  'message',
  'stage',
  'processor_version',
  'size',
  'payload',
  'failed_at',
  'source_topic',
  'source_partition',
  'source_offset',
] as const;

export type FailedEventColumn = (typeof FAILED_EVENT_COLUMNS)[number];

export function failedEventRow(f: FailedEvent): Record<FailedEventColumn, unknown> {
  return {
    id: text(f.id),
    site: text(f.site),
    reason: text(f.reason),
    message: text(f.message),
    stage: text(f.stage),
    processor_version: text(f.processorVersion),
    size: uint(f.size),
    payload: text(f.payload),
    failed_at: uint(f.failedAt),
    source_topic: text(f.topic),
    source_partition: Math.max(Math.min(int(f.partition), 2 ** 31 - 1), -(2 ** 31)),
    source_offset: int(f.offset),
  };
}

export const FAILED_EVENTS_SPEC: TableSpec<FailedEvent> = {
  table: TABLES.failedEvents,
  columns: FAILED_EVENT_COLUMNS,
  toRow: failedEventRow,
  partitionOf: (row) => utcMonth(row['failed_at'] as number),
};
