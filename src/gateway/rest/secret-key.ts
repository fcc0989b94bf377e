import { createHash, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '../../core/index.js';
import type { SiteConfig } from '../../config/index.js';
import { basicAuthUser } from '../collector/index.js';

export type SecretKeyProblem = 'missing_secret_key' | 'invalid_secret_key' | 'write_key_forbidden';

/** Finds the site whose secret key a request presents. */
export interface SecretKeyAuth {
  authenticate(authorization: string | undefined): Result<SiteConfig, SecretKeyProblem>;
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * The REST API's authentication: the site's secret key as `Authorization: Bearer <secretKey>`,
 * or as the HTTP Basic user name (how Segment-style clients send a key). A site's write key is
 * public (it ships in the page), so it is refused here with its own code: it reads nothing.
 *
 * Keys are compared by SHA-256 digest with timingSafeEqual, so the time taken does not tell an
 * attacker how many leading characters of a guess were right.
 */
export function secretKeyAuth(sites: readonly SiteConfig[]): SecretKeyAuth {
  const secrets = sites.map((site) => ({ site, digest: digest(site.secretKey) }));
  const writeKeys = sites.map((site) => digest(site.writeKey));
  return {
    authenticate(authorization) {
      const key = presentedKey(authorization);
      if (key === undefined) return fail('missing_secret_key', 'no secret key was sent');
      const presented = digest(key);
      // Every entry is compared (no early exit), for the same reason.
      let found: SiteConfig | undefined;
      for (const entry of secrets) {
        if (timingSafeEqual(entry.digest, presented)) found = entry.site;
      }
      if (found !== undefined) return ok(found);
      if (writeKeys.some((writeKey) => timingSafeEqual(writeKey, presented))) {
        return fail('write_key_forbidden', 'a write key was sent where a secret key is needed');
      }
      return fail('invalid_secret_key', 'the secret key is not known');
    },
  };
}

/** The key of a Bearer or Basic authorization header, if it carries one. */
export function presentedKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer?.[1] !== undefined) return bearer[1];
  return basicAuthUser(authorization);
}
