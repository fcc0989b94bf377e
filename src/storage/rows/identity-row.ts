import { TABLES } from '../schema/table-names.js';
import type { TableSpec } from './table-spec.js';
import { text, uint } from './values.js';

/** An anonymous id seen together with a user id (identify / alias stitching). */
export interface IdentityLink {
  readonly site: string;
  readonly anonymousId: string;
  readonly userId: string;
  /** Event time of the event that linked them, ms. */
  readonly at: number;
}

export const IDENTITY_COLUMNS = ['site', 'anonymous_id', 'user_id', 'at'] as const;

export type IdentityColumn = (typeof IDENTITY_COLUMNS)[number];

export function identityRow(i: IdentityLink): Record<IdentityColumn, unknown> {
  return {
    site: text(i.site),
    anonymous_id: text(i.anonymousId),
    user_id: text(i.userId),
    at: uint(i.at),
  };
}

export const IDENTITIES_SPEC: TableSpec<IdentityLink> = {
  table: TABLES.identities,
  columns: IDENTITY_COLUMNS,
  toRow: identityRow,
};
