import type { Logger, Profile } from '../../core/index.js';
import type { RuntimeParts } from '../../runtime/index.js';
import type { ProfileLookup } from './context.js';

/**
 * Profiles from the CRM join's cache first (PostgreSQL or the profile topic behind it, the same
 * view live scoring has), then from the crm_profiles table in ClickHouse for users the cache does
 * not know (profiles imported into the history store only). A failing CRM source is logged and
 * the history store answers alone.
 */
export function crmThenHistory(runtime: RuntimeParts, logger: Logger): ProfileLookup {
  return async (userIds) => {
    const found = new Map<string, Profile>();
    try {
      const cached = await Promise.all(userIds.map((userId) => runtime.profiles.get(userId)));
      for (const profile of cached) if (profile !== null) found.set(profile.userId, profile);
    } catch (error) {
      logger.warn('rest_crm_lookup_failed', { err: error, users: userIds.length });
    }
    const missing = userIds.filter((userId) => !found.has(userId));
    if (missing.length > 0) {
      for (const profile of await runtime.storage.queries.profiles(missing)) {
        found.set(profile.userId, profile);
      }
    }
    return [...found.values()];
  };
}
