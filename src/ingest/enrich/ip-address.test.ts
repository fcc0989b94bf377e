import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS } from './hostile-inputs.fixture.js';
import { parseClientIp } from './ip-address.js';

describe('parseClientIp', () => {
  it.each([
    ['plain IPv4', '81.2.69.160', 4, '81.2.69.160', '81.2.69.0/24'],
    ['IPv4 with spaces around', '  8.8.4.4 ', 4, '8.8.4.4', '8.8.4.0/24'],
    ['IPv4 zero network', '0.0.0.0', 4, '0.0.0.0', '0.0.0.0/24'],
    ['IPv4 broadcast', '255.255.255.255', 4, '255.255.255.255', '255.255.255.0/24'],
    ['private IPv4', '10.1.2.3', 4, '10.1.2.3', '10.1.2.0/24'],
    [
      'full IPv6',
      '2a00:1450:4001:081b:0000:0000:0000:200e',
      6,
      '2a00:1450:4001:081b:0000:0000:0000:200e',
      '2a00:1450:4001::/48',
    ],
    [
      'compressed IPv6',
      '2a00:1450:4001:81b::200e',
      6,
      '2a00:1450:4001:81b::200e',
      '2a00:1450:4001::/48',
    ],
    [
      'upper-case IPv6',
      '2A00:1450:4001:81B::200E',
      6,
      '2a00:1450:4001:81b::200e',
      '2a00:1450:4001::/48',
    ],
    ['IPv6 zero in the prefix', '2001:0:1::5', 6, '2001:0:1::5', '2001:0:1::/48'],
    ['IPv6 trailing zeros in the prefix', '2001:db8::1', 6, '2001:db8::1', '2001:db8::/48'],
    ['IPv6 leading zeros in the prefix', '::1:0:0:0:0:1', 6, '::1:0:0:0:0:1', '0:0:1::/48'],
    ['IPv6 loopback', '::1', 6, '::1', '::/48'],
    ['IPv6 unspecified', '::', 6, '::', '::/48'],
    ['bracketed IPv6', '[2001:db8:aa::1]', 6, '2001:db8:aa::1', '2001:db8:aa::/48'],
    ['IPv6 with zone id', 'fe80::1%eth0', 6, 'fe80::1', 'fe80::/48'],
    ['IPv4-mapped IPv6', '::ffff:81.2.69.160', 4, '81.2.69.160', '81.2.69.0/24'],
    ['IPv4-mapped IPv6, hex form', '::ffff:5102:45a0', 4, '81.2.69.160', '81.2.69.0/24'],
    ['IPv4-mapped IPv6, upper case', '::FFFF:8.8.8.8', 4, '8.8.8.8', '8.8.8.0/24'],
    ['IPv4-mapped IPv6, expanded', '0:0:0:0:0:ffff:8.8.8.8', 4, '8.8.8.8', '8.8.8.0/24'],
    [
      'IPv6 with embedded IPv4 (not mapped)',
      '64:ff9b::8.8.8.8',
      6,
      '64:ff9b::8.8.8.8',
      '64:ff9b::/48',
    ],
  ])('%s', (_name, raw, version, address, prefix) => {
    expect(parseClientIp(raw)).toEqual({ version, address, prefix });
  });

  it.each([
    ['empty', ''],
    ['host name', 'example.com'],
    ['IPv4 with port', '1.2.3.4:8080'],
    ['bracketed IPv6 with port', '[::1]:443'],
    ['forwarded-for list', '1.2.3.4, 5.6.7.8'],
    ['octet too large', '256.1.1.1'],
    ['leading zeros (ambiguous octal)', '01.2.3.4'],
    ['three octets', '1.2.3'],
    ['five octets', '1.2.3.4.5'],
    ['two double colons', '1::2::3'],
    ['too many groups', '1:2:3:4:5:6:7:8:9'],
    ['group too long', '12345::1'],
    ['hex in IPv4', '0x7f.0.0.1'],
    ['NUL inside', '1.2.3.4\u0000'],
    ['very long', `1.2.3.4${' '.repeat(10_000)}`],
  ])('%s is not an IP', (_name, raw) => {
    expect(parseClientIp(raw)).toBeNull();
  });

  it.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s.slice(0, 40)), s]))(
    'never throws on hostile input %s',
    (_label, raw) => {
      expect(parseClientIp(raw)).toBeNull();
    },
  );

  it('never returns the raw address as the prefix', () => {
    for (const raw of ['81.2.69.160', '2a00:1450:4001:81b::200e', '::ffff:8.8.8.8']) {
      const parsed = parseClientIp(raw);
      expect(parsed?.prefix).not.toContain(parsed?.address);
    }
  });
});
