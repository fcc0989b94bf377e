import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { CHANNELS } from './channel-rules.js';
import { type CampaignContext, type FbclidMode, createChannelStep } from './channel.js';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import type { ReferrerInfo } from './referrer.js';

const DIRECT: ReferrerInfo = { referrerClass: 'direct', referrerDomain: '' };
const INTERNAL: ReferrerInfo = { referrerClass: 'internal', referrerDomain: 'shop.example' };
const GOOGLE: ReferrerInfo = { referrerClass: 'search', referrerDomain: 'google.co.uk' };
const FACEBOOK: ReferrerInfo = { referrerClass: 'social', referrerDomain: 'l.facebook.com' };
const YOUTUBE: ReferrerInfo = { referrerClass: 'video', referrerDomain: 'youtube.com' };
const AMAZON: ReferrerInfo = { referrerClass: 'shopping', referrerDomain: 'amazon.com' };
const GMAIL: ReferrerInfo = { referrerClass: 'email', referrerDomain: 'mail.google.com' };
const AD_SERVER: ReferrerInfo = { referrerClass: 'paid', referrerDomain: 'ad.doubleclick.net' };
const BLOG: ReferrerInfo = { referrerClass: 'external', referrerDomain: 'blog.example.org' };

describe('createChannelStep', () => {
  const step = createChannelStep();

  it.each<
    [string, string, CampaignContext | undefined, ReferrerInfo, string, string, string, string]
  >([
    // name, query, campaign, referrer -> channel, source, medium, clickId
    ['nothing at all', '', undefined, DIRECT, 'Direct', '(direct)', '(none)', ''],
    ['internal navigation', '', undefined, INTERNAL, 'Direct', '(direct)', '(none)', ''],
    ['search engine referrer', '', undefined, GOOGLE, 'Organic Search', 'google', 'organic', ''],
    [
      'social referrer',
      '',
      undefined,
      FACEBOOK,
      'Organic Social',
      'l.facebook.com',
      'referral',
      '',
    ],
    ['video referrer', '', undefined, YOUTUBE, 'Organic Video', 'youtube.com', 'referral', ''],
    ['shopping referrer', '', undefined, AMAZON, 'Organic Shopping', 'amazon.com', 'referral', ''],
    ['webmail referrer', '', undefined, GMAIL, 'Email', 'mail.google.com', 'email', ''],
    [
      'ad server referrer',
      '',
      undefined,
      AD_SERVER,
      'Referral',
      'ad.doubleclick.net',
      'referral',
      '',
    ],
    ['other site', '', undefined, BLOG, 'Referral', 'blog.example.org', 'referral', ''],
    [
      'utm paid search',
      '?utm_source=google&utm_medium=cpc',
      undefined,
      GOOGLE,
      'Paid Search',
      'google',
      'cpc',
      '',
    ],
    [
      'utm beats the referrer',
      'utm_source=newsletter&utm_medium=email',
      undefined,
      GOOGLE,
      'Email',
      'newsletter',
      'email',
      '',
    ],
    [
      'utm names are case-insensitive',
      '?UTM_SOURCE=Facebook&Utm_Medium=CPC',
      undefined,
      DIRECT,
      'Paid Social',
      'facebook',
      'cpc',
      '',
    ],
    [
      'only a source',
      '?utm_source=newsletter',
      undefined,
      DIRECT,
      'Unassigned',
      'newsletter',
      '(not set)',
      '',
    ],
    ['only a medium', '?utm_medium=email', undefined, DIRECT, 'Email', '(not set)', 'email', ''],
    [
      'only a search source',
      '?utm_source=bing',
      undefined,
      DIRECT,
      'Organic Search',
      'bing',
      '(not set)',
      '',
    ],
    ['gclid', '?gclid=Cj0KCQ', undefined, GOOGLE, 'Paid Search', 'google', 'cpc', 'gclid'],
    ['gbraid', '?gbraid=0AAAA', undefined, DIRECT, 'Paid Search', 'google', 'cpc', 'gbraid'],
    ['wbraid', '?wbraid=CjkK', undefined, DIRECT, 'Paid Search', 'google', 'cpc', 'wbraid'],
    ['dclid', '?dclid=CJ', undefined, DIRECT, 'Display', 'dfa', 'cpm', 'dclid'],
    ['msclkid', '?msclkid=abc', undefined, DIRECT, 'Paid Search', 'bing', 'cpc', 'msclkid'],
    ['yclid', '?yclid=123', undefined, DIRECT, 'Paid Search', 'yandex', 'cpc', 'yclid'],
    ['ttclid', '?ttclid=E.C.P', undefined, DIRECT, 'Paid Social', 'tiktok', 'cpc', 'ttclid'],
    [
      'li_fat_id',
      '?li_fat_id=1-2',
      undefined,
      DIRECT,
      'Paid Social',
      'linkedin',
      'cpc',
      'li_fat_id',
    ],
    ['twclid', '?twclid=2-x', undefined, DIRECT, 'Paid Social', 'twitter', 'cpc', 'twclid'],
    ['ScCid', '?ScCid=abc', undefined, DIRECT, 'Paid Social', 'snapchat', 'cpc', 'ScCid'],
    [
      'sccid, lower case',
      '?sccid=abc',
      undefined,
      DIRECT,
      'Paid Social',
      'snapchat',
      'cpc',
      'ScCid',
    ],
    ['epik', '?epik=dj0y', undefined, DIRECT, 'Paid Social', 'pinterest', 'cpc', 'epik'],
    ['rdt_cid', '?rdt_cid=123', undefined, DIRECT, 'Paid Social', 'reddit', 'cpc', 'rdt_cid'],
    [
      'fbclid alone is organic',
      '?fbclid=IwAR',
      undefined,
      FACEBOOK,
      'Organic Social',
      'facebook',
      'social',
      'fbclid',
    ],
    [
      'gclid outranks fbclid',
      '?fbclid=IwAR&gclid=Cj0',
      undefined,
      DIRECT,
      'Paid Search',
      'google',
      'cpc',
      'gclid',
    ],
    [
      'an empty click id is no click id',
      '?gclid=&x=1',
      undefined,
      BLOG,
      'Referral',
      'blog.example.org',
      'referral',
      '',
    ],
    [
      'gclid with a shopping campaign',
      '?gclid=x&utm_campaign=Shopping%20-%20Feed',
      undefined,
      DIRECT,
      'Paid Shopping',
      'google',
      'cpc',
      'gclid',
    ],
    [
      'manual tags beat the click id',
      '?gclid=x&utm_source=newsletter&utm_medium=email',
      undefined,
      DIRECT,
      'Email',
      'newsletter',
      'email',
      'gclid',
    ],
    [
      'Segment campaign alone',
      '',
      { source: 'Google', medium: 'CPC', name: 'brand' },
      DIRECT,
      'Paid Search',
      'google',
      'cpc',
      '',
    ],
    [
      'Segment campaign beats the URL',
      '?utm_source=google&utm_medium=cpc',
      { source: 'newsletter', medium: 'email' },
      DIRECT,
      'Email',
      'newsletter',
      'email',
      '',
    ],
    [
      'Segment campaign overrides field by field',
      '?utm_source=facebook&utm_medium=social',
      { medium: 'cpc' },
      DIRECT,
      'Paid Social',
      'facebook',
      'cpc',
      '',
    ],
    [
      'blank Segment fields do not erase the URL',
      '?utm_source=google&utm_medium=cpc',
      { source: '  ', medium: '' },
      DIRECT,
      'Paid Search',
      'google',
      'cpc',
      '',
    ],
    [
      'cross-network campaign',
      '?utm_source=google&utm_medium=cpc&utm_campaign=pmax_cross-network',
      undefined,
      DIRECT,
      'Cross-network',
      'google',
      'cpc',
      '',
    ],
    [
      'first non-empty duplicate wins',
      '?utm_source=&utm_source=bing&utm_source=google&utm_medium=cpc',
      undefined,
      DIRECT,
      'Paid Search',
      'bing',
      'cpc',
      '',
    ],
    [
      'percent-encoded values',
      '?utm_source=e%2Dmail&utm_medium=%20Email+',
      undefined,
      DIRECT,
      'Email',
      'e-mail',
      'email',
      '',
    ],
  ])('%s', (_name, query, campaign, referrer, channel, source, medium, clickId) => {
    expect(step.attribute({ query, campaign, referrer })).toMatchObject({
      channel,
      source,
      medium,
      clickId,
    });
  });

  it('carries campaign, term and content, trimmed and with case kept', () => {
    const info = step.attribute({
      query:
        '?utm_source=google&utm_medium=cpc&utm_campaign=+Spring+Sale+&utm_term=Red%20Shoes&utm_content=Ad-B',
      campaign: undefined,
      referrer: DIRECT,
    });
    expect(info).toEqual({
      channel: 'Paid Search',
      source: 'google',
      medium: 'cpc',
      campaign: 'Spring Sale',
      term: 'Red Shoes',
      content: 'Ad-B',
      clickId: '',
    });
  });

  it('takes the campaign from Segment name, then utm_campaign, then utm_id', () => {
    const attribute = (query: string, campaign?: CampaignContext) =>
      step.attribute({ query, campaign, referrer: DIRECT }).campaign;
    expect(attribute('?utm_campaign=url&utm_id=42', { name: 'segment' })).toBe('segment');
    expect(attribute('?utm_campaign=url&utm_id=42')).toBe('url');
    expect(attribute('?utm_id=42')).toBe('42');
    expect(attribute('')).toBe('');
  });

  it('keeps the campaign and content of an untagged visit from a referrer', () => {
    const info = step.attribute({
      query: '?utm_campaign=launch',
      campaign: undefined,
      referrer: GOOGLE,
    });
    expect(info).toMatchObject({ channel: 'Organic Search', source: 'google', campaign: 'launch' });
  });

  it('ignores campaign fields that are not strings', () => {
    const garbage = { source: 42, medium: null, name: { x: 1 } } as unknown as CampaignContext;
    expect(step.attribute({ query: '', campaign: garbage, referrer: DIRECT })).toMatchObject({
      channel: 'Direct',
      campaign: '',
    });
  });

  it('counts a bare fbclid as paid when configured so', () => {
    const paid = createChannelStep({ fbclid: 'paid' });
    expect(
      paid.attribute({ query: '?fbclid=IwAR', campaign: undefined, referrer: DIRECT }),
    ).toMatchObject({
      channel: 'Paid Social',
      source: 'facebook',
      medium: 'cpc',
      clickId: 'fbclid',
    });
  });

  it('rejects an unknown fbclid mode at construction', () => {
    expect(() => createChannelStep({ fbclid: 'maybe' as FbclidMode })).toThrow(ConfigError);
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'survives hostile query and campaign %s',
    (_label, text) => {
      const inputs = [
        { query: text, campaign: undefined, referrer: DIRECT },
        {
          query: new URLSearchParams({ utm_source: text, utm_medium: 'cpc' }).toString(),
          campaign: undefined,
          referrer: DIRECT,
        },
        { query: '', campaign: { source: text, medium: text, name: text }, referrer: BLOG },
      ];
      for (const input of inputs) {
        const info = step.attribute(input);
        expect(CHANNELS).toContain(info.channel);
        expect(typeof info.source).toBe('string');
      }
    },
  );

  it('keeps a hostile 10k-character campaign verbatim', () => {
    const long = `'; DROP TABLE x; -- ${'ü'.repeat(10_000)}`;
    const info = step.attribute({
      query: '',
      campaign: { source: 'google', medium: 'cpc', name: long },
      referrer: DIRECT,
    });
    expect(info.campaign).toBe(long);
  });
});
