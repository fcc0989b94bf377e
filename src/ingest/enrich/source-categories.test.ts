import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import { SOURCE_CATEGORIES, sourceCategory } from './source-categories.js';

describe('sourceCategory', () => {
  it.each([
    ['google', 'search'],
    ['Google', 'search'],
    ['  BING ', 'search'],
    ['google.com', 'search'],
    ['www.google.co.uk', 'search'],
    ['https://www.google.com/search?q=x', 'search'],
    ['search.brave.com', 'search'],
    ['duckduckgo.com', 'search'],
    ['docs.google.com', ''],
    ['mail.yahoo.com', ''],
    ['facebook', 'social'],
    ['fb', 'social'],
    ['ig', 'social'],
    ['m.facebook.com', 'social'],
    ['l.instagram.com', 'social'],
    ['x.com', 'social'],
    ['t.co', 'social'],
    ['lnkd.in', 'social'],
    ['www.linkedin.com', 'social'],
    ['vm.tiktok.com', 'social'],
    ['youtube', 'video'],
    ['m.youtube.com', 'video'],
    ['youtu.be', 'video'],
    ['amazon', 'shopping'],
    ['www.amazon.co.uk', 'shopping'],
    ['igshopping', 'shopping'],
    ['shopping.google.com', 'shopping'],
    ['newsletter', ''],
    ['example.com', ''],
    ['google.example.com', ''],
    ['(direct)', ''],
    ['', ''],
  ])('%s -> %s', (source, category) => {
    expect(sourceCategory(source)).toBe(category);
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'answers hostile input %s with a category or nothing',
    (_label, source) => {
      expect(['', ...SOURCE_CATEGORIES]).toContain(sourceCategory(source));
    },
  );
});
