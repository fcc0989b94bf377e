import { describe, expect, it } from 'vitest';
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
