import { describe, expect, it } from 'vitest';
import { createPageTypeStep } from '../ingest/index.js';
import { PAGE_TYPES } from './generative-model.js';
import { Random } from './prng.js';
import { pageTypeRules, pageView, type Site } from './site-catalog.js';

const SITE: Site = {
  id: 'site-1',
  index: 0,
  name: 'Site 1',
  origin: 'https://site-1.example',
  writeKey: 'k',
  currency: 'EUR',
};

describe('pageTypeRules', () => {
  it('classifies every generated URL as its hidden page type, through enrichment', () => {
    const step = createPageTypeStep({ rules: pageTypeRules() });
    const random = new Random(5, 0);
    for (const type of PAGE_TYPES) {
      for (let i = 0; i < 50; i++) {
        const view = pageView(type, SITE, random, {
          checkoutId: undefined,
          lastProductId: undefined,
        });
        expect(step.classify(`${view.path}${view.search}`), view.path).toBe(type);
      }
    }
  });

  it('is needed for the blog: id stripping alone keeps its slugs apart', () => {
    const step = createPageTypeStep();
    const random = new Random(5, 0);
    const blogTypes = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const view = pageView('blog', SITE, random, {
        checkoutId: undefined,
        lastProductId: undefined,
      });
      blogTypes.add(step.classify(view.path));
    }
    expect(blogTypes.size).toBeGreaterThan(1);
  });
});
