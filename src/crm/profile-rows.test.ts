import { describe, expect, it } from 'vitest';
import type { Profile } from '../core/index.js';
import { hashEmail } from './profile-values.js';
import {
  ProfileFileError,
  createProfileRowParser,
  formatFromPath,
  parseProfileText,
  type ProfileRow,
  type RowIssue,
} from './profile-rows.js';

const NOW = Date.UTC(2025, 0, 1);
const csv = (text: string): ProfileRow[] => parseProfileText(text, { format: 'csv', now: NOW });
const ndjson = (text: string): ProfileRow[] =>
  parseProfileText(text, { format: 'ndjson', now: NOW });

const profiles = (rows: ProfileRow[]): Profile[] =>
  rows.flatMap((row) => (row.ok ? [row.profile] : []));
const issues = (rows: ProfileRow[]): RowIssue[] =>
  rows.flatMap((row) => (row.ok ? [] : [row.issue]));
const only = (rows: ProfileRow[]): Profile => {
  expect(issues(rows)).toEqual([]);
  expect(rows).toHaveLength(1);
  return profiles(rows)[0] as Profile;
};
const onlyIssue = (rows: ProfileRow[]): RowIssue => {
  const found = issues(rows);
  expect(found).toHaveLength(1);
  return found[0] as RowIssue;
};

describe('CSV rows', () => {
  it('reads every field, hashes the email and keeps other columns as attributes', () => {
    const text =
      'user_id,email,segment,lifetime_value,orders,first_order_at,last_order_at,tenure_days,churned,plan,site\n' +
      'u1, Ann@Example.com ,vip,1234.5,12,2020-01-01,2024-05-01T10:00:00Z,1600,no,pro,shop\n';
    expect(only(csv(text))).toEqual({
      userId: 'u1',
      emailHash: hashEmail('ann@example.com'),
      segment: 'vip',
      lifetimeValue: 1234.5,
      orders: 12,
      firstOrderAt: Date.UTC(2020, 0, 1),
      lastOrderAt: Date.UTC(2024, 4, 1, 10),
      tenureDays: 1600,
      churned: false,
      attributes: { plan: 'pro', site: 'shop' },
      updatedAt: NOW,
    });
  });

  it('takes camelCase and spaced headers too (the simulator writes camelCase)', () => {
    const text =
      'userId,site,email,segment,lifetimeValue,orders,firstOrderAt,lastOrderAt,tenureDays,churned,Updated At\n' +
      'c-1,shop,a@b.co,regular,10,2,2024-01-01T00:00:00.000Z,2024-02-01T00:00:00.000Z,30,true,1735689600001\n';
    const profile = only(csv(text));
    expect(profile).toMatchObject({
      userId: 'c-1',
      segment: 'regular',
      orders: 2,
      churned: true,
      attributes: { site: 'shop' },
      updatedAt: 1_735_689_600_001,
    });
  });

  it('defaults what is missing or empty', () => {
    expect(only(csv('user_id,segment,orders,first_order_at,churned,note\nu1,,,,,\n'))).toEqual({
      userId: 'u1',
      emailHash: '',
      segment: '',
      lifetimeValue: 0,
      orders: 0,
      firstOrderAt: null,
      lastOrderAt: null,
      tenureDays: 0,
      churned: false,
      attributes: {},
      updatedAt: NOW,
    });
  });

  it('never keeps the raw email anywhere in the profile', () => {
    const profile = only(csv('user_id,email\nu1,private.person@example.org\n'));
    expect(JSON.stringify(profile)).not.toContain('private.person');
  });

  it.each([
    ['missing user id', 'user_id,segment\n,vip\n', 'user_id', 'missing_user_id', /empty/],
    ['blank user id', 'user_id,segment\n   ,vip\n', 'user_id', 'missing_user_id', /empty/],
    ['orders not a number', 'user_id,orders\nu1,many\n', 'orders', 'invalid_value', /whole number/],
    ['negative orders', 'user_id,orders\nu1,-2\n', 'orders', 'invalid_value', /whole number/],
    [
      'money with separators',
      'user_id,lifetime_value\nu1,"1,234.50"\n',
      'lifetime_value',
      'invalid_value',
      /number like/,
    ],
    [
      'churned not a flag',
      'user_id,churned\nu1,maybe\n',
      'churned',
      'invalid_value',
      /true\/false/,
    ],
    [
      'bad date',
      'user_id,first_order_at\nu1,yesterday\n',
      'first_order_at',
      'invalid_value',
      /ISO 8601/,
    ],
    [
      'seconds, not ms',
      'user_id,last_order_at\nu1,1714521600\n',
      'last_order_at',
      'invalid_value',
      /seconds/,
    ],
    [
      'last before first',
      'user_id,first_order_at,last_order_at\nu1,2024-05-02,2024-05-01\n',
      'last_order_at',
      'invalid_value',
      /before the first/,
    ],
    ['not an email', 'user_id,email\nu1,nobody\n', 'email', 'invalid_value', /not an email/],
    ['bad email hash', 'user_id,email_hash\nu1,xyz\n', 'email_hash', 'invalid_value', /SHA-256/],
    ['NUL in the user id', 'user_id\n"u\u00001"\n', 'user_id', 'invalid_text', /NUL/],
    ['NUL in an attribute', 'user_id,note\nu1,a\u0000b\n', 'note', 'invalid_text', /NUL/],
    [
      'user id of 10k characters',
      `user_id\n${'u'.repeat(10_000)}\n`,
      'user_id',
      'too_long',
      /10000 characters long; the limit is 512/,
    ],
    [
      'attribute JSON not an object',
      'user_id,attributes\nu1,[1]\n',
      'attributes',
      'invalid_value',
      /object/,
    ],
  ])('%s: an error naming the line and field', (_name, text, field, code, reason) => {
    const issue = onlyIssue(csv(text));
    expect(issue).toMatchObject({ line: 2, field, code, severity: 'error' });
    expect(issue.reason).toMatch(reason);
  });

  it('reports the wrong number of fields and malformed quoting with their line', () => {
    const rows = csv('user_id,segment\nu1,a,extra\nu2\n"u3"x,b\nu4,ok\n');
    expect(issues(rows).map((i) => [i.line, i.code, i.reason])).toEqual([
      [2, 'field_count', 'has 3 fields; the header has 2'],
      [3, 'field_count', 'has 1 fields; the header has 2'],
      [4, 'malformed_csv', 'unexpected text after the closing quote of field 1'],
    ]);
    expect(profiles(rows).map((p) => p.userId)).toEqual(['u4']);
  });

  it('keeps hostile text verbatim: quotes, SQL, unicode, 10k characters, __proto__', () => {
    const long = 'é'.repeat(10_000);
    const sql = `'; DROP TABLE crm_profiles; --`;
    const text =
      'user_id,segment,note,__proto__,constructor\n' +
      `"u ""1""",${'"Ünïcödé 😀"'},"${sql}\nsecond line","${long}",x\n`;
    const profile = only(csv(text));
    expect(profile.userId).toBe('u "1"');
    expect(profile.segment).toBe('Ünïcödé 😀');
    expect(profile.attributes['note']).toBe(`${sql}\nsecond line`);
    expect(profile.attributes['__proto__']).toBe(long);
    expect(Object.getPrototypeOf(profile.attributes)).toBe(Object.prototype);
    expect(Object.keys(profile.attributes)).toEqual(['note', '__proto__', 'constructor']);
  });

  it('keeps duplicate user ids as rows (the import reports and resolves them)', () => {
    const rows = csv('user_id,segment\nu1,a\nu1,b\n');
    expect(profiles(rows).map((p) => p.segment)).toEqual(['a', 'b']);
  });

  it('reads a nested attributes column as JSON', () => {
    expect(
      only(csv('user_id,attributes,plan\nu1,"{""tier"":""gold"",""n"":3}",pro\n')).attributes,
    ).toEqual({
      tier: 'gold',
      n: '3',
      plan: 'pro',
    });
  });

  it.each([
    ['an empty file', '', /the file is empty/],
    ['only a BOM and blank lines', '\ufeff\n\n', /the file is empty/],
    [
      'no header (data on line 1)',
      'u1,a@b.c,vip\nu2,c@d.e,new\n',
      /no user id column.*found "u1", "a@b.c", "vip"/,
    ],
    ['a header without a user id', 'email,segment\na@b.c,vip\n', /no user id column/],
    [
      'a column named twice',
      'user_id,userId\nu1,u1\n',
      /names the same column twice \("user_id" and "userId"\)/,
    ],
    ['an attribute named twice', 'user_id,plan,plan\nu1,a,b\n', /names the same column twice/],
    ['an unnamed column', 'user_id,,x\nu1,a,b\n', /header column 2 has no name/],
    ['a malformed header', '"user_id\nu1\n', /the header is malformed/],
  ])('refuses %s as a whole', (_name, text, reason) => {
    expect(() => csv(text)).toThrow(ProfileFileError);
    expect(() => csv(text)).toThrow(reason);
  });

  it('streams: rows come out as their chunks complete', () => {
    const parser = createProfileRowParser({ format: 'csv', now: NOW });
    expect(parser.push('user_id,seg')).toEqual([]);
    expect(parser.push('ment\nu1,a\nu2')).toHaveLength(1);
    expect(parser.end()).toHaveLength(1);
  });
});

describe('NDJSON rows', () => {
  it('reads Profile-shaped JSON and import-style keys alike', () => {
    const rows = ndjson(
      [
        JSON.stringify({
          userId: 'u1',
          emailHash: 'A'.repeat(64),
          segment: 'vip',
          lifetimeValue: 10.5,
          orders: 3,
          firstOrderAt: 1_700_000_000_000,
          lastOrderAt: null,
          tenureDays: 9,
          churned: false,
          attributes: { plan: 'pro', seats: 5 },
          updatedAt: 1_700_000_000_001,
        }),
        '',
        JSON.stringify({ user_id: 42, email: 'X@Y.io', churned: 'yes', site: 'shop', vip: true }),
      ].join('\r\n'),
    );
    expect(issues(rows)).toEqual([]);
    expect(profiles(rows)).toEqual([
      {
        userId: 'u1',
        emailHash: 'a'.repeat(64),
        segment: 'vip',
        lifetimeValue: 10.5,
        orders: 3,
        firstOrderAt: 1_700_000_000_000,
        lastOrderAt: null,
        tenureDays: 9,
        churned: false,
        attributes: { plan: 'pro', seats: '5' },
        updatedAt: 1_700_000_000_001,
      },
      expect.objectContaining({
        userId: '42',
        emailHash: hashEmail('x@y.io'),
        churned: true,
        attributes: { site: 'shop', vip: 'true' },
        updatedAt: NOW,
      }),
    ]);
  });

  it.each([
    ['invalid JSON', '{"user_id": "u1",', null, 'malformed_json', /invalid JSON/],
    ['an array', '[1,2]', null, 'not_an_object', /got an array/],
    ['a string', '"u1"', null, 'not_an_object', /got string/],
    ['no user id', '{"segment":"vip"}', 'user_id', 'missing_user_id', /empty/],
    ['a null user id', '{"userId":null}', 'userId', 'missing_user_id', /empty/],
    ['an object user id', '{"userId":{"a":1}}', 'userId', 'invalid_value', /got an object/],
    ['orders as text', '{"userId":"u","orders":"lots"}', 'orders', 'invalid_value', /whole number/],
    ['orders fractional', '{"userId":"u","orders":2.5}', 'orders', 'invalid_value', /whole number/],
    [
      'a nested non-text attribute',
      '{"userId":"u","prefs":{"a":1}}',
      'prefs',
      'invalid_value',
      /expected text/,
    ],
    [
      'attributes not an object',
      '{"userId":"u","attributes":"x"}',
      'attributes',
      'invalid_value',
      /object/,
    ],
    [
      'two keys for one field',
      '{"userId":"a","user_id":"b"}',
      'user_id',
      'invalid_value',
      /same field as "userId"/,
    ],
    ['an unpaired surrogate', '{"userId":"u\\ud800"}', 'userId', 'invalid_text', /unpaired/],
  ])('%s: an error naming the line', (_name, line, field, code, reason) => {
    const issue = onlyIssue(ndjson(`{"userId":"ok"}\n${line}\n`));
    expect(issue).toMatchObject({ line: 2, field, code });
    expect(issue.reason).toMatch(reason);
  });

  it('keeps a "__proto__" key as an attribute, never as a prototype', () => {
    const profile = only(ndjson('{"userId":"u","__proto__":"x","attributes":{"__proto__":"y"}}'));
    expect(Object.getPrototypeOf(profile.attributes)).toBe(Object.prototype);
    expect(Object.keys(profile.attributes)).toEqual(['__proto__']);
    expect(profile.attributes['__proto__']).toBe('x');
  });

  it('reports an over-long line and goes on', () => {
    const rows = parseProfileText(
      `${JSON.stringify({ userId: 'a', n: 'x'.repeat(200) })}\n{"userId":"b"}\n`,
      {
        format: 'ndjson',
        now: NOW,
        maxFieldChars: 100,
      },
    );
    expect(issues(rows).map((i) => [i.line, i.reason])).toEqual([
      [1, 'line is longer than 100 characters'],
    ]);
    expect(profiles(rows).map((p) => p.userId)).toEqual(['b']);
  });

  it('gives no rows for an empty file', () => {
    expect(ndjson('')).toEqual([]);
    expect(ndjson('\n \n')).toEqual([]);
  });
});

describe('formatFromPath', () => {
  it.each([
    ['profiles.csv', 'csv'],
    ['dir/PROFILES.CSV', 'csv'],
    ['a.ndjson', 'ndjson'],
    ['a.jsonl', 'ndjson'],
    ['a.json', undefined],
    ['a.txt', undefined],
  ])('%s -> %s', (path, format) => {
    expect(formatFromPath(path)).toBe(format);
  });
});
