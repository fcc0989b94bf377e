import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/index.js';
import { fingerprint, fingerprintExtra, sessionId } from './hash.js';

describe('session ids and fingerprints', () => {
  it('makes ids from site, visitor and start that sort by start time', () => {
    const a = sessionId('s1', 'v1', Date.UTC(2025, 0, 1));
    expect(sessionId('s1', 'v1', Date.UTC(2025, 0, 1))).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{12}-[0-9a-f]{16}$/);
    expect(a.slice(0, 12)).toBe(Date.UTC(2025, 0, 1).toString(16).padStart(12, '0'));
    expect(sessionId('s1', 'v2', Date.UTC(2025, 0, 1))).not.toBe(a);
    expect(sessionId('s2', 'v1', Date.UTC(2025, 0, 1))).not.toBe(a);
    // (site, visitor) is hashed as a pair, not as a concatenation.
    expect(sessionId('s', '1v1', 0)).not.toBe(sessionId('s1', 'v1', 0));
    expect(sessionId('s1', 'v1', Date.UTC(2025, 0, 1) + 1) > a).toBe(true);
  });

  // Ids are stored and replayed: these were made by the first implementation and must never
  // change (hash.ts, TRICKY).
  it.each([
    [
      'shop',
      '0193b7a2-0000-7000-8000-00000000abcd',
      1735689600000,
      '01941f297c00-585636e0e98c4629',
    ],
    ['s1', 'v1', 0, '000000000000-9de7f19072c96c46'],
    ['site-ü', 'visitor with ünïcode ✓', 253402300799999, 'e677d21fdbff-aa94814d41d96a05'],
    ['a', '', 1, '000000000001-aa689ff8cf80e16a'],
    ['shop', 'x'.repeat(101), 4294967296, '000100000000-2f985ec8a409099f'],
  ])('keeps the id of (%s, %s, %d) byte for byte', (site, visitor, start, id) => {
    expect(sessionId(site, visitor, start)).toBe(id);
  });

  it('writes the start as 12 hex digits for any start up to 2^48', () => {
    const random = mulberry32(11);
    for (let i = 0; i < 2_000; i++) {
      const start = Math.floor(random() * 2 ** 48);
      const id = sessionId('s', `v${i}`, start);
      expect(id.slice(0, 12)).toBe(start.toString(16).padStart(12, '0'));
      expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-f]{16}$/);
    }
  });

  it('spreads 200k ids over 40-bit fingerprints without collisions', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) {
      const fp = fingerprint(`0193b7a2-${i.toString(16).padStart(4, '0')}-7000-8000-00000000abcd`);
      seen.add(fp * 256 + fingerprintExtra());
    }
    expect(seen.size).toBe(200_000);
  });

  it('spreads visitor hashes without collisions', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) ids.add(sessionId('site', `anon-${i}`, 0));
    expect(ids.size).toBe(100_000);
  });
});
