import type { Profile } from '../../core/index.js';
import { TABLES } from '../schema/table-names.js';
import type { TableSpec } from './table-spec.js';
import { flag, float, nullableUint, text, uint } from './values.js';

export const PROFILE_COLUMNS = [
  'user_id',
  'email_hash',
  'segment',
  'lifetime_value',
  'orders',
  'first_order_at',
  'last_order_at',
  'tenure_days',
  'churned',
  'attributes.key',
  'attributes.value',
  'updated_at',
] as const;

export type ProfileColumn = (typeof PROFILE_COLUMNS)[number];

export function profileRow(p: Profile): Record<ProfileColumn, unknown> {
  // Parallel arrays (Nested), not Map: 18.16 has no Map type.
  const entries = Object.entries(p.attributes);
  return {
    user_id: text(p.userId),
    email_hash: text(p.emailHash),
    segment: text(p.segment),
    lifetime_value: float(p.lifetimeValue),
    orders: uint(p.orders),
    first_order_at: nullableUint(p.firstOrderAt),
    last_order_at: nullableUint(p.lastOrderAt),
    tenure_days: float(p.tenureDays),
    churned: flag(p.churned),
    'attributes.key': entries.map(([k]) => text(k)),
    'attributes.value': entries.map(([, v]) => text(v)),
    updated_at: uint(p.updatedAt),
  };
}

export const PROFILES_SPEC: TableSpec<Profile> = {
  table: TABLES.crmProfiles,
  columns: PROFILE_COLUMNS,
  toRow: profileRow,
};
