import { cumulative, type Random } from './prng.js';

/**
 * Devices and network addresses of simulated visitors. The strings are real browsers' user
 * agents so UA parsing is exercised as in production; addresses are drawn from blocks that are
 * allocated to regional registries (so geo lookup finds a country) but nothing is ever
 * contacted, and ranges reserved for private or special use are never produced.
 */

export type DeviceKind = 'desktop' | 'mobile' | 'tablet';

export interface Device {
  readonly kind: DeviceKind;
  readonly userAgent: string;
  readonly locale: string;
}

const USER_AGENTS: Readonly<Record<DeviceKind, readonly string[]>> = {
  desktop: [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36',
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0',
  ],
  mobile: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
    'Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
    'Mozilla/5.0 (Linux; Android 12; moto g(60)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36',
    'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0',
  ],
  tablet: [
    'Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Safari/537.36',
    'Mozilla/5.0 (Linux; Android 11; Lenovo TB-J606F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.119 Safari/537.36',
  ],
};

/** Crawlers, monitors and scrapers that run JavaScript (or fake page calls). */
export const BOT_USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/124.0.6367.91 Safari/537.36',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'python-requests/2.31.0',
];

const KINDS: readonly DeviceKind[] = ['desktop', 'mobile', 'tablet'];
const KIND_WEIGHTS = cumulative([0.48, 0.44, 0.08]);
const LOCALES: readonly string[] = [
  'en-US',
  'en-US',
  'en-GB',
  'de-DE',
  'fr-FR',
  'es-ES',
  'nl-NL',
  'pt-BR',
  'ja-JP',
  'en-IN',
];

export function drawDevice(random: Random): Device {
  const kind = KINDS[random.weighted(KIND_WEIGHTS)] ?? 'desktop';
  return { kind, userAgent: random.pick(USER_AGENTS[kind]), locale: random.pick(LOCALES) };
}

/**
 * First octets of IPv4 /8 blocks held by the five regional registries (ARIN, RIPE NCC, APNIC,
 * LACNIC, AFRINIC), none of which contain private, loopback, multicast or documentation space.
 */
const IPV4_FIRST_OCTETS: readonly number[] = [
  2, 5, 24, 31, 37, 41, 46, 49, 50, 58, 59, 60, 61, 62, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76,
  77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 101,
  102, 103, 105, 106, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123,
  124, 125, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 193,
  194, 195, 196, 197, 200, 201, 202, 203, 210, 211, 212, 213, 217, 218, 219, 220, 221, 222,
];

/** Global unicast IPv6 prefixes allocated to registries (2a00::/12 RIPE, 2600::/12 ARIN, ...). */
const IPV6_PREFIXES: readonly string[] = [
  '2a00',
  '2a01',
  '2a02',
  '2a03',
  '2600',
  '2601',
  '2602',
  '2604',
  '2400',
  '2401',
  '2800',
  '2c0f',
];

/** A public-looking address; about one in seven is IPv6. */
export function drawIp(random: Random): string {
  if (random.chance(0.15)) {
    const groups = [random.pick(IPV6_PREFIXES)];
    for (let i = 0; i < 7; i++) groups.push(random.hex(4).replace(/^0+(?=.)/, ''));
    return groups.join(':');
  }
  const first = random.pick(IPV4_FIRST_OCTETS);
  // TRICKY: 203.0.113.0/24 is documentation space inside an allocated /8; keep clear of it.
  const second = first === 203 ? 1 + random.int(254) : random.int(256);
  return `${first}.${second}.${random.int(256)}.${1 + random.int(254)}`;
}

/** Crawlers come from data-centre-ish blocks; any public address will do. */
export function drawBotIp(random: Random): string {
  return `${random.pick([34, 35, 52, 54, 66, 157, 207])}.${random.int(256)}.${random.int(256)}.${1 + random.int(254)}`;
}
