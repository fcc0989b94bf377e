import type { SessionOutput } from '../../core/index.js';
import { TABLES } from '../schema/table-names.js';
import type { TableSpec } from './table-spec.js';
import { flag, float, nullableText, text, uint, utcMonth } from './values.js';

export const SESSION_COLUMNS = [
  'id',
  'site',
  'visitor',
  'user_id',
  'started_at',
  'ended_at',
  'event_count',
  'pageview_count',
  'path',
  'entry_channel',
  'entry_source',
  'entry_medium',
  'entry_campaign',
  'landing_page',
  'exit_page',
  'device_type',
  'country',
  'is_bot',
  'converted',
  'conversions',
  'revenue',
  'currency',
  'version',
  'closed',
  'deleted',
  'close_reason',
  'merged_into',
  'row_version',
] as const;

export type SessionColumn = (typeof SESSION_COLUMNS)[number];

/** Row states, the low bits of `row_version` (see ddl.ts sessionsTable). */
export const SESSION_STATE = { open: 0, closed: 1, merged: 2 } as const;
const STATES_PER_VERSION = 4;

/**
 * The stored row for a sessionizer output. A session merged into another becomes a tombstone
 * (deleted = 1) that outranks every earlier row of its id, so it disappears from every query.
 */
export function sessionRow(output: SessionOutput): Record<SessionColumn, unknown> {
  const s = output.session;
  const state =
    output.kind === 'update'
      ? SESSION_STATE.open
      : output.reason === 'merged'
        ? SESSION_STATE.merged
        : SESSION_STATE.closed;
  const version = uint(s.version);
  return {
    id: text(s.id),
    site: text(s.site),
    visitor: text(s.visitor),
    user_id: nullableText(s.userId),
    started_at: uint(s.startedAt),
    ended_at: uint(s.endedAt),
    event_count: uint(s.eventCount),
    pageview_count: uint(s.pageviewCount),
    path: s.path.map(text),
    entry_channel: text(s.entryChannel),
    entry_source: text(s.entrySource),
    entry_medium: text(s.entryMedium),
    entry_campaign: text(s.entryCampaign),
    landing_page: text(s.landingPage),
    exit_page: text(s.exitPage),
    device_type: text(s.deviceType),
    country: text(s.country),
    is_bot: flag(s.isBot),
    converted: flag(s.converted),
    conversions: uint(s.conversions),
    revenue: float(s.revenue),
    currency: text(s.currency),
    version,
    closed: flag(output.kind === 'closed'),
    deleted: flag(state === SESSION_STATE.merged),
    close_reason: output.kind === 'closed' ? output.reason : '',
    merged_into: output.kind === 'closed' ? text(output.mergedInto ?? '') : '',
    // NOTE: version < 2^51 keeps row_version exact in a JSON number.
    row_version: Math.min(version, 2 ** 51 - 1) * STATES_PER_VERSION + state,
  };
}

export const SESSIONS_SPEC: TableSpec<SessionOutput> = {
  table: TABLES.sessions,
  columns: SESSION_COLUMNS,
  toRow: sessionRow,
  partitionOf: (row) => utcMonth(row['started_at'] as number),
};
