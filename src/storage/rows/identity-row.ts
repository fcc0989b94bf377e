import { TABLES } from '../schema/table-names.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';

/** An anonymous id seen together with a user id (identify / alias stitching). */
export interface IdentityLink {
  readonly site: string;
  readonly anonymousId: string;
  readonly userId: string;
  /** Event time of the event that linked them, ms. */
  readonly at: number;
}

const c = cellsOf<IdentityLink>();

export const IDENTITIES_SPEC = defineTable(TABLES.identities, {
  site: c.text((i) => i.site),
  anonymous_id: c.text((i) => i.anonymousId),
  user_id: c.text((i) => i.userId),
  at: c.uint((i) => i.at),
});

export const IDENTITY_COLUMNS = IDENTITIES_SPEC.columns;

export type IdentityColumn = (typeof IDENTITY_COLUMNS)[number];

/** The stored row of an identity link, as an object. */
export const identityRow = (i: IdentityLink): Readonly<Record<IdentityColumn, unknown>> =>
  IDENTITIES_SPEC.toRow(i);
