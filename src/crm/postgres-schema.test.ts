import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import {
  deleteManySql,
  profileTableIdentifier,
  selectManySql,
  upsertSql,
} from './postgres-schema.js';

describe('profile table names', () => {
  it.each([
    ['crm_profiles', '"crm_profiles"'],
    ['crm.profiles', '"crm"."profiles"'],
    ['_t1', '"_t1"'],
  ])('quotes %s', (table, identifier) => {
    expect(profileTableIdentifier(table)).toBe(identifier);
  });

  it.each([
    'crm_profiles; DROP TABLE users',
    'crm_profiles"--',
    'Profiles',
    '1table',
    'a.b.c',
    '',
    'x'.repeat(64),
    'täble',
    'crm profiles',
  ])('refuses %j', (table) => {
    expect(() => profileTableIdentifier(table)).toThrow(ConfigError);
  });

  it('passes every value as a parameter; only the checked name is in the SQL', () => {
    const upsert = upsertSql('crm_profiles');
    expect(upsert).toContain('INSERT INTO "crm_profiles"');
    expect(upsert).toContain('unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int4[]');
    expect(upsert).toContain('$11::int8[]');
    expect(upsert).toContain('WHERE "crm_profiles".updated_at <= EXCLUDED.updated_at');
    expect(selectManySql('crm_profiles')).toMatch(/WHERE user_id = ANY\(\$1::text\[\]\)$/);
    expect(deleteManySql('crm_profiles')).toBe(
      'DELETE FROM "crm_profiles" WHERE user_id = ANY($1::text[])',
    );
  });
});
