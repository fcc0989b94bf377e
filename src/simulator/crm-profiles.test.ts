import { describe, expect, it } from 'vitest';
import { CRM_CSV_COLUMNS, crmCsv, drawProfile, type CrmProfile } from './crm-profiles.js';
import { VISITOR_TYPES } from './generative-model.js';
import { Random } from './prng.js';

const DAY = 86_400_000;

describe('CRM profiles', () => {
  const asOf = Date.UTC(2025, 0, 6);
  const random = new Random(4);
  const customers = VISITOR_TYPES.filter((t) => t.segment !== null);

  it.each(customers.map((t) => [t.id, t]))('draws consistent %s profiles', (_, type) => {
    for (let i = 0; i < 500; i++) {
      const p = drawProfile(
        random,
        { userId: `usr_${i}`, email: `u${i}@example.com`, site: 'site-1' },
        type,
        asOf,
      );
      const first = Date.parse(p.firstOrderAt);
      const last = Date.parse(p.lastOrderAt);
      expect(p.segment).toBe(type.segment);
      expect(p.churned).toBe(type.churned);
      expect(p.orders).toBeGreaterThanOrEqual(1);
      expect(p.lifetimeValue).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(last);
      expect(last).toBeLessThan(asOf);
      expect(Math.round((asOf - first) / DAY)).toBe(p.tenureDays);
      if (type.churned) expect(asOf - last).toBeGreaterThanOrEqual(180 * DAY);
    }
  });

  it('writes RFC 4180 CSV with a header row, quoting hostile values', () => {
    const hostile: CrmProfile = {
      userId: 'usr_"quoted", and\nnewline',
      site: 'site-1',
      email: "o'brien;DROP TABLE users@example.com",
      segment: 'vip',
      lifetimeValue: 1234.5,
      orders: 3,
      firstOrderAt: '2020-01-01T00:00:00.000Z',
      lastOrderAt: '2024-01-01T00:00:00.000Z',
      tenureDays: 1832,
      churned: false,
    };
    const text = crmCsv([hostile]);
    const [header, ...rest] = text.split('\n');
    expect(header).toBe(CRM_CSV_COLUMNS.join(','));
    expect(rest.join('\n')).toBe(
      '"usr_""quoted"", and\nnewline",site-1,o\'brien;DROP TABLE users@example.com,vip,1234.5,3,2020-01-01T00:00:00.000Z,2024-01-01T00:00:00.000Z,1832,false\n',
    );
  });
});
