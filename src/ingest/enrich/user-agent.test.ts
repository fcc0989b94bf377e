import { describe, expect, it } from 'vitest';
import { ConfigError, DEVICE_TYPES } from '../../core/index.js';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import { MAX_USER_AGENT_LENGTH, createUserAgentStep } from './user-agent.js';

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

describe('createUserAgentStep', () => {
  const step = createUserAgentStep();

  it.each([
    ['chrome on windows', CHROME_WINDOWS, 'Chrome', 'Windows', 'desktop', false],
    [
      'safari on mac',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
      'Safari',
      'Mac OS',
      'desktop',
      false,
    ],
    [
      'firefox on linux',
      'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
      'Firefox',
      'Linux',
      'desktop',
      false,
    ],
    [
      'iphone',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      'Mobile Safari',
      'iOS',
      'mobile',
      false,
    ],
    [
      'android phone',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
      'Chrome',
      'Android',
      'mobile',
      false,
    ],
    [
      'ipad',
      'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
      'Mobile Safari',
      'iOS',
      'tablet',
      false,
    ],
    [
      'android tablet (reduced UA, no "Mobile")',
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      'Chrome',
      'Android',
      'tablet',
      false,
    ],
    [
      'games console',
      'Mozilla/5.0 (PlayStation 5 3.11) AppleWebKit/605.1.15 (KHTML, like Gecko)',
      'WebKit',
      'PlayStation',
      'other',
      false,
    ],
    [
      'googlebot',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      '',
      '',
      'bot',
      true,
    ],
    [
      'bingbot posing as chrome',
      'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
      'Chrome',
      '',
      'bot',
      true,
    ],
    [
      'headless chrome',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
      'Chrome Headless',
      'Linux',
      'bot',
      true,
    ],
    ['curl', 'curl/8.4.0', '', '', 'bot', true],
    ['python requests', 'python-requests/2.31.0', '', '', 'bot', true],
    ['empty (server-side libraries)', '', '', '', 'other', false],
    ['garbage', 'a\u0000b', '', '', 'other', false],
  ])('%s', (_name, ua, browser, os, deviceType, isBot) => {
    expect(step.parse(ua)).toEqual({ browser, os, deviceType, isBot });
  });

  it('returns the cached result for a repeated user agent', () => {
    const first = step.parse(CHROME_WINDOWS);
    expect(step.parse(CHROME_WINDOWS)).toBe(first);
  });

  it('cuts very long user agents before parsing, so text after the cut is ignored', () => {
    const padded = `${CHROME_WINDOWS}${' x'.repeat(MAX_USER_AGENT_LENGTH)}`;
    expect(step.parse(`${padded} Googlebot/2.1`)).toEqual(step.parse(padded));
  });

  it('keeps working when the cache is full (bounded, evicts)', () => {
    const small = createUserAgentStep({ cacheSize: 2 });
    for (let i = 0; i < 10; i += 1) small.parse(`${CHROME_WINDOWS} v${i}`);
    expect(small.parse(CHROME_WINDOWS).browser).toBe('Chrome');
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'never throws on hostile input %s',
    (_label, ua) => {
      const info = step.parse(ua);
      expect(DEVICE_TYPES).toContain(info.deviceType);
      expect(typeof info.browser).toBe('string');
      expect(info.isBot === (info.deviceType === 'bot')).toBe(true);
    },
  );

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects cacheSize %s at construction',
    (cacheSize) => {
      expect(() => createUserAgentStep({ cacheSize })).toThrow(ConfigError);
    },
  );
});
