import type { FailedEvent } from '../../ingest/index.js';
import { TABLES } from '../schema/table-names.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';
import { int, utcMonth } from './values.js';

const c = cellsOf<FailedEvent>();

export const FAILED_EVENTS_SPEC = defineTable(
  TABLES.failedEvents,
  {
    id: c.text((f) => f.id),
    site: c.text((f) => f.site),
    reason: c.text((f) => f.reason),
    message: c.text((f) => f.message),
    stage: c.text((f) => f.stage),
    processor_version: c.text((f) => f.processorVersion),
    size: c.uint((f) => f.size),
    payload: c.text((f) => f.payload),
    failed_at: c.uint((f) => f.failedAt),
    source_topic: c.text((f) => f.topic),
    // Int32 column.
    source_partition: c.int((f) => Math.max(Math.min(int(f.partition), 2 ** 31 - 1), -(2 ** 31))),
    source_offset: c.int((f) => f.offset),
  },
  { partitionOf: (f) => utcMonth(f.failedAt) },
);

export const FAILED_EVENT_COLUMNS = FAILED_EVENTS_SPEC.columns;

export type FailedEventColumn = (typeof FAILED_EVENT_COLUMNS)[number];

/** The stored row of a failed event, as an object. */
export const failedEventRow = (f: FailedEvent): Readonly<Record<FailedEventColumn, unknown>> =>
  FAILED_EVENTS_SPEC.toRow(f);
