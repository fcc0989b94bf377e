import type { Logger, Profile } from '../../core/index.js';
import type { RuntimeParts } from '../../runtime/index.js';
import type { LatestScores } from './latest-scores.js';
import type { SecretKeyAuth } from './secret-key.js';

/** Ids longer than this cannot exist (ids are at most 256 characters, `user:` + 256 for users). */
export const MAX_ID_CHARS = 1_024;

/** CRM profiles by user id (the storage table by default; a ProfileCache fits too). */
export type ProfileLookup = (userIds: readonly string[]) => Promise<readonly Profile[]>;

/** What every REST route shares. */
export interface RestContext {
  readonly runtime: RuntimeParts;
  readonly auth: SecretKeyAuth;
  readonly latest: LatestScores;
  readonly profiles: ProfileLookup;
  readonly logger: Logger;
}
