import { describe, expect, it } from 'vitest';
import { monthPartition } from './ddl.js';
import { migrationChecksum } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { expiredPartitions, partitionEnd } from './retention.js';

describe('migrations', () => {
  it('are numbered 1, 2, 3, ... and idempotent statement by statement', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    for (const m of MIGRATIONS) {
      for (const statement of m.statements('db')) {
        expect(statement).toMatch(/^CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS /);
      }
    }
  });

  it('have checksums that ignore the database name and change with the SQL', () => {
    const m = MIGRATIONS[0] as (typeof MIGRATIONS)[number];
    expect(migrationChecksum(m)).toMatch(/^[0-9a-f]{16}$/);
    expect(migrationChecksum({ ...m, statements: (db) => [...m.statements(db), 'x'] })).not.toBe(
      migrationChecksum(m),
    );
  });

  it('use only the portable subset (no DateTime64, LowCardinality, Map, TTL)', () => {
    const sql = MIGRATIONS.flatMap((m) => m.statements('db')).join('\n');
    expect(sql).not.toMatch(/DateTime64|LowCardinality|\bMap\(|\bTTL\b|JSON\(|Object\(/);
  });

  it('partition by UTC month of a ms column', () => {
    expect(monthPartition('ts')).toBe("toYYYYMM(toDateTime(intDiv(ts, 1000), 'UTC'))");
  });
});

describe('retention', () => {
  it.each([
    ['202401', Date.UTC(2024, 1, 1)],
    ['202412', Date.UTC(2025, 0, 1)],
    ['all', undefined],
    ['tuple()', undefined],
    ['202413', undefined],
    ['20240101', undefined],
  ])('partition %s ends at %s', (id, end) => {
    expect(partitionEnd(id)).toBe(end);
  });

  it('expires a partition only when its whole month is before the cutoff', () => {
    const parts = ['202312', '202401', '202402', 'all'].map((partitionId) => ({
      table: 'events',
      partitionId,
    }));
    expect(expiredPartitions(parts, Date.UTC(2024, 1, 1)).map((p) => p.partitionId)).toEqual([
      '202312',
      '202401',
    ]);
    expect(expiredPartitions(parts, Date.UTC(2024, 1, 1) - 1).map((p) => p.partitionId)).toEqual([
      '202312',
    ]);
  });
});
