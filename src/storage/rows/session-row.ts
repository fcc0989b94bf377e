import type { SessionOutput } from '../../core/index.js';
import { TABLES } from '../schema/table-names.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';
import { uint, utcMonth } from './values.js';

/** Row states, the low bits of `row_version` (see ddl.ts sessionsTable). */
export const SESSION_STATE = { open: 0, closed: 1, merged: 2 } as const;
const STATES_PER_VERSION = 4;

function stateOf(output: SessionOutput): number {
  if (output.kind === 'update') return SESSION_STATE.open;
  return output.reason === 'merged' ? SESSION_STATE.merged : SESSION_STATE.closed;
}

const c = cellsOf<SessionOutput>();

/**
 * The stored row of a sessionizer output. A session merged into another becomes a tombstone
 * (deleted = 1) that outranks every earlier row of its id, so it disappears from every query.
 */
export const SESSIONS_SPEC = defineTable(
  TABLES.sessions,
  {
    id: c.text((o) => o.session.id),
    site: c.text((o) => o.session.site),
    visitor: c.text((o) => o.session.visitor),
    user_id: c.nullableText((o) => o.session.userId),
    started_at: c.uint((o) => o.session.startedAt),
    ended_at: c.uint((o) => o.session.endedAt),
    event_count: c.uint((o) => o.session.eventCount),
    pageview_count: c.uint((o) => o.session.pageviewCount),
    path: c.textArray((o) => o.session.path),
    entry_channel: c.text((o) => o.session.entryChannel),
    entry_source: c.text((o) => o.session.entrySource),
    entry_medium: c.text((o) => o.session.entryMedium),
    entry_campaign: c.text((o) => o.session.entryCampaign),
    landing_page: c.text((o) => o.session.landingPage),
    exit_page: c.text((o) => o.session.exitPage),
    device_type: c.text((o) => o.session.deviceType),
    country: c.text((o) => o.session.country),
    is_bot: c.flag((o) => o.session.isBot),
    converted: c.flag((o) => o.session.converted),
    conversions: c.uint((o) => o.session.conversions),
    revenue: c.float((o) => o.session.revenue),
    currency: c.text((o) => o.session.currency),
    version: c.uint((o) => o.session.version),
    closed: c.flag((o) => o.kind === 'closed'),
    deleted: c.flag((o) => stateOf(o) === SESSION_STATE.merged),
    close_reason: c.text((o) => (o.kind === 'closed' ? o.reason : '')),
    merged_into: c.text((o) => (o.kind === 'closed' ? (o.mergedInto ?? '') : '')),
    // NOTE: version < 2^51 keeps row_version exact in a JSON number.
    row_version: c.uint(
      (o) => Math.min(uint(o.session.version), 2 ** 51 - 1) * STATES_PER_VERSION + stateOf(o),
    ),
  },
  { partitionOf: (o) => utcMonth(o.session.startedAt) },
);

export const SESSION_COLUMNS = SESSIONS_SPEC.columns;

export type SessionColumn = (typeof SESSION_COLUMNS)[number];

/** The stored row of a sessionizer output, as an object (see SESSIONS_SPEC). */
export const sessionRow = (output: SessionOutput): Readonly<Record<SessionColumn, unknown>> =>
  SESSIONS_SPEC.toRow(output);
