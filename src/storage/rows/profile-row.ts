import type { Profile } from '../../core/index.js';
import { TABLES } from '../schema/table-names.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';

const c = cellsOf<Profile>();

export const PROFILES_SPEC = defineTable(TABLES.crmProfiles, {
  user_id: c.text((p) => p.userId),
  email_hash: c.text((p) => p.emailHash),
  segment: c.text((p) => p.segment),
  lifetime_value: c.float((p) => p.lifetimeValue),
  orders: c.uint((p) => p.orders),
  first_order_at: c.nullableUint((p) => p.firstOrderAt),
  last_order_at: c.nullableUint((p) => p.lastOrderAt),
  tenure_days: c.float((p) => p.tenureDays),
  churned: c.flag((p) => p.churned),
  // Parallel arrays (Nested), not Map: 18.16 has no Map type. Keys and values of one object
  // come in the same order.
  'attributes.key': c.textArray((p) => Object.keys(p.attributes)),
  'attributes.value': c.textArray((p) => Object.values(p.attributes)),
  updated_at: c.uint((p) => p.updatedAt),
});

export const PROFILE_COLUMNS = PROFILES_SPEC.columns;

export type ProfileColumn = (typeof PROFILE_COLUMNS)[number];

/** The stored row of a CRM profile, as an object. */
export const profileRow = (p: Profile): Readonly<Record<ProfileColumn, unknown>> =>
  PROFILES_SPEC.toRow(p);
