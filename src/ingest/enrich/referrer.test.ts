import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import { REFERRER_CLASSES, classifyReferrer, classifyReferrerForHost } from './referrer.js';

const PAGE = 'https://www.shop.example/products/42?utm_source=x';

describe('classifyReferrer', () => {
  it.each([
    ['no referrer', '', 'direct', ''],
    ['about:blank', 'about:blank', 'direct', ''],
    ['not a URL', 'not a url', 'direct', ''],
    ['file URL', 'file:///C:/page.html', 'direct', ''],
    ['same host', 'https://www.shop.example/cart', 'internal', 'shop.example'],
    ['apex of the same site', 'https://shop.example/', 'internal', 'shop.example'],
    [
      'other subdomain of the same site',
      'http://blog.shop.example/post',
      'internal',
      'blog.shop.example',
    ],
    [
      'same host, upper case, trailing dot',
      'https://WWW.SHOP.EXAMPLE./x',
      'internal',
      'shop.example',
    ],
    ['google', 'https://www.google.com/', 'search', 'google.com'],
    ['google country domain', 'https://www.google.co.uk/search?q=x', 'search', 'google.co.uk'],
    ['bing', 'https://www.bing.com/search?q=x', 'search', 'bing.com'],
    ['duckduckgo', 'https://duckduckgo.com/', 'search', 'duckduckgo.com'],
    ['yahoo search', 'https://search.yahoo.com/search?p=x', 'search', 'search.yahoo.com'],
    ['facebook link shim', 'https://l.facebook.com/l.php?u=x', 'social', 'l.facebook.com'],
    ['facebook mobile', 'https://m.facebook.com/', 'social', 'm.facebook.com'],
    ['twitter short link', 'https://t.co/abc', 'social', 't.co'],
    ['reddit', 'https://www.reddit.com/r/analytics/', 'social', 'reddit.com'],
    ['linkedin app', 'android-app://com.linkedin.android/', 'social', 'com.linkedin.android'],
    ['tiktok (not in the referrer list)', 'https://www.tiktok.com/@x', 'social', 'tiktok.com'],
    ['youtube is video, not social', 'https://www.youtube.com/watch?v=x', 'video', 'youtube.com'],
    ['youtube mobile', 'https://m.youtube.com/', 'video', 'm.youtube.com'],
    ['amazon is shopping, not search', 'https://www.amazon.com/dp/B0', 'shopping', 'amazon.com'],
    ['gmail', 'https://mail.google.com/mail/u/0/', 'email', 'mail.google.com'],
    ['outlook', 'https://outlook.live.com/mail/0/', 'email', 'outlook.live.com'],
    [
      'ad server',
      'https://googleads.g.doubleclick.net/pagead/x',
      'paid',
      'googleads.g.doubleclick.net',
    ],
    [
      'google support is not search',
      'https://support.google.com/x',
      'external',
      'support.google.com',
    ],
    [
      'google docs is not search',
      'https://docs.google.com/document/d/1',
      'external',
      'docs.google.com',
    ],
    ['wikipedia', 'https://en.wikipedia.org/wiki/Markov_chain', 'external', 'en.wikipedia.org'],
    ['a blog', 'https://someblog.example.org/2024/post', 'external', 'someblog.example.org'],
    [
      'look-alike of the site',
      'https://shop.example.evil.com/',
      'external',
      'shop.example.evil.com',
    ],
    ['IP address', 'http://10.0.0.1:8080/', 'external', '10.0.0.1'],
    [
      'page host as a prefix of another',
      'https://www.shop.exampleevil.com/',
      'external',
      'shop.exampleevil.com',
    ],
    ['page host as user info', 'https://www.shop.example@evil.com/', 'external', 'evil.com'],
    [
      'page host and password as user info',
      'https://www.shop.example:pw@evil.com/',
      'external',
      'evil.com',
    ],
    ['same host with a port', 'https://www.shop.example:8443/x', 'internal', 'shop.example'],
    ['same host, query only', 'https://www.shop.example?x=1', 'internal', 'shop.example'],
    ['same host, nothing after', 'http://www.shop.example', 'internal', 'shop.example'],
    ['same host, path with an @', 'https://www.shop.example/@evil.com', 'internal', 'shop.example'],
  ])('%s', (_name, referrer, referrerClass, referrerDomain) => {
    expect(classifyReferrer(referrer, PAGE)).toEqual({ referrerClass, referrerDomain });
  });

  it('keeps neighbours on a shared hosting suffix apart', () => {
    expect(
      classifyReferrer('https://alice.github.io/', 'https://bob.github.io/').referrerClass,
    ).toBe('external');
    expect(
      classifyReferrer('https://alice.github.io/a', 'https://alice.github.io/b').referrerClass,
    ).toBe('internal');
  });

  it('treats hosts without a registrable domain as internal only when equal', () => {
    expect(
      classifyReferrer('http://localhost:3000/a', 'http://localhost:3000/b').referrerClass,
    ).toBe('internal');
    expect(classifyReferrer('http://10.0.0.1/', 'http://10.0.0.2/').referrerClass).toBe('external');
  });

  it('never calls anything internal when the page URL is unknown', () => {
    expect(classifyReferrer('https://www.shop.example/', '').referrerClass).toBe('external');
    expect(classifyReferrerForHost('https://www.shop.example/', '').referrerClass).toBe('external');
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'survives hostile referrer and page URL %s',
    (_label, text) => {
      for (const info of [classifyReferrer(text, PAGE), classifyReferrer('https://t.co/x', text)]) {
        expect(REFERRER_CLASSES).toContain(info.referrerClass);
        expect(typeof info.referrerDomain).toBe('string');
      }
    },
  );
});
