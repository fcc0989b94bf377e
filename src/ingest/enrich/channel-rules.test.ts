import { describe, expect, it } from 'vitest';
import { CHANNELS, channelFor, isPaidMedium } from './channel-rules.js';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';

describe('channelFor (GA4 default channel groups)', () => {
  it.each([
    ['(direct)', '(none)', '', 'Direct'],
    ['(direct)', '(not set)', '', 'Direct'],
    ['(DIRECT)', '(None)', '', 'Direct'],
    ['google', 'cpc', 'pmax cross-network q3', 'Cross-network'],
    ['google', 'cpc', '', 'Paid Search'],
    ['bing', 'ppc', '', 'Paid Search'],
    ['google', 'paidsearch', '', 'Paid Search'],
    ['google.com', 'retargeting', '', 'Paid Search'],
    ['google', 'cpm', '', 'Paid Search'], // cpm matches .*cp.* before Display is tried, as in GA4
    ['google', 'cpc', 'summer-shop', 'Paid Shopping'],
    ['google', 'cpc', 'Shopping feed', 'Paid Shopping'],
    ['amazon', 'cpc', '', 'Paid Shopping'],
    ['google', 'cpc', 'workshop-signups', 'Paid Search'], // "workshop": shop after a letter
    ['google', 'cpc', 'eshop', 'Paid Shopping'], // ... except after "e", per GA4's [^a-df-z]
    ['facebook', 'cpc', '', 'Paid Social'],
    ['fb', 'paid_social', '', 'Paid Social'],
    ['m.facebook.com', 'paid', '', 'Paid Social'],
    ['linkedin', 'cpc', '', 'Paid Social'],
    ['youtube', 'cpv', '', 'Paid Video'],
    ['dv360', 'display', '', 'Display'],
    ['dfa', 'cpm', '', 'Display'],
    ['partner', 'banner', '', 'Display'],
    ['partner', 'interstitial', '', 'Display'],
    ['criteo', 'retargeting', '', 'Paid Other'],
    ['partner', 'cpa', '', 'Paid Other'],
    ['amazon', 'referral', '', 'Organic Shopping'],
    ['newsletter', 'email', 'black friday shopping', 'Organic Shopping'],
    ['facebook', 'referral', '', 'Organic Social'],
    ['t.co', 'referral', '', 'Organic Social'],
    ['partner', 'social', '', 'Organic Social'],
    ['partner', 'social media', '', 'Organic Social'],
    ['partner', 'sm', '', 'Organic Social'],
    ['youtube.com', 'referral', '', 'Organic Video'],
    ['partner', 'video', '', 'Organic Video'],
    ['partner', 'explainer-video', '', 'Organic Video'],
    ['google', 'organic', '', 'Organic Search'],
    ['duckduckgo', 'referral', '', 'Organic Search'],
    ['somewhere', 'organic', '', 'Organic Search'],
    ['blog.example.com', 'referral', '', 'Referral'],
    ['partner', 'app', '', 'Referral'],
    ['partner', 'link', '', 'Referral'],
    ['newsletter', 'email', '', 'Email'],
    ['newsletter', 'E-Mail', '', 'Email'],
    ['email', '(not set)', '', 'Email'],
    ['partner', 'affiliate', '', 'Affiliates'],
    ['spotify', 'audio', '', 'Audio'],
    ['sms', '(not set)', '', 'SMS'],
    ['twilio', 'sms', '', 'SMS'],
    ['app', 'push', '', 'Mobile Push Notifications'],
    ['app', 'web-push', '', 'Mobile Push Notifications'],
    ['app', 'mobile-alert', '', 'Mobile Push Notifications'],
    ['app', 'in-app-notification', '', 'Mobile Push Notifications'],
    ['firebase', '(not set)', '', 'Mobile Push Notifications'],
    ['(not set)', 'qr', '', 'Unassigned'],
    ['partner', 'print', '', 'Unassigned'],
    ['', '', '', 'Unassigned'],
  ])('%s / %s / %s -> %s', (source, medium, campaign, channel) => {
    expect(channelFor({ source, medium, campaign })).toBe(channel);
  });

  it('treats a missing campaign as none', () => {
    expect(channelFor({ source: 'google', medium: 'cpc' })).toBe('Paid Search');
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'gives a channel for hostile input %s in every position',
    (_label, text) => {
      for (const input of [
        { source: text, medium: 'cpc', campaign: '' },
        { source: 'google', medium: text, campaign: '' },
        { source: 'google', medium: 'cpc', campaign: text },
      ]) {
        expect(CHANNELS).toContain(channelFor(input));
      }
    },
  );
});

describe('isPaidMedium', () => {
  const GA4_PAID = /^(.*cp.*|ppc|retargeting|paid.*)$/;

  it.each([
    'cpc',
    'cpm',
    'cpv',
    'cpa',
    'ppc',
    'retargeting',
    'paid',
    'paid_social',
    'paidsearch',
    'xcpx',
  ])('%s is paid', (medium) => {
    expect(isPaidMedium(medium)).toBe(true);
    expect(GA4_PAID.test(medium)).toBe(true);
  });

  it.each(['organic', 'email', 'ppcx', 'retargeting2', 'unpaid', 'c-p', ''])(
    '%s is not paid',
    (medium) => {
      expect(isPaidMedium(medium)).toBe(false);
      expect(GA4_PAID.test(medium)).toBe(false);
    },
  );
});
