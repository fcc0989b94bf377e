import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HUGE_PAGES_TUNABLE,
  hugePagesAdvised,
  hugePagesHint,
  withHugePages,
} from './huge-pages.js';

describe('huge-page tunable', () => {
  it('tells whether GLIBC_TUNABLES asks malloc for huge pages', () => {
    expect(hugePagesAdvised(HUGE_PAGES_TUNABLE)).toBe(true);
    expect(hugePagesAdvised('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2')).toBe(true);
    expect(hugePagesAdvised('glibc.malloc.hugetlb=0')).toBe(false);
    expect(hugePagesAdvised('glibc.malloc.hugetlb=10')).toBe(false);
    expect(hugePagesAdvised('')).toBe(false);
    expect(hugePagesAdvised(undefined)).toBe(false);
  });

  it('sets or takes out the tunable and keeps the others', () => {
    expect(withHugePages(undefined, true)).toBe(HUGE_PAGES_TUNABLE);
    expect(withHugePages('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0', true)).toBe(
      `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`,
    );
    expect(withHugePages(`${HUGE_PAGES_TUNABLE}:glibc.malloc.arena_max=2`, false)).toBe(
      'glibc.malloc.arena_max=2',
    );
    expect(withHugePages(HUGE_PAGES_TUNABLE, false)).toBe('');
  });

  it('hints at the tunable on Linux only, and only when it is missing', () => {
    expect(hugePagesHint('linux', false)).toContain(`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}`);
    expect(hugePagesHint('linux', true)).toBeUndefined();
    expect(hugePagesHint('darwin', false)).toBeUndefined();
  });

  it('is what the scripts that start Pathcast set', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { scripts: Record<string, string> };
    for (const script of ['pathcast', 'demo']) {
      expect(manifest.scripts[script]).toContain(
        `GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE} node bin/pathcast.js`,
      );
    }
  });
});
