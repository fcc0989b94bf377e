/**
 * Strings that break naive quoting, escaping or encoding. Every stored string field and every
 * string filter is tried with each of them, on both engines.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  "it's",
  "''",
  'say "hi"',
  'back\\slash',
  'ends with a backslash\\',
  "\\'",
  "\\'; DROP TABLE events; --",
  "' OR 1=1 --",
  "' OR '1'='1",
  "x' UNION ALL SELECT * FROM system.tables --",
  'UNION SELECT 1',
  '; SELECT 1; --',
  '/* comment */',
  '`backtick`',
  'tab\tnew\nline\rreturn',
  'nul\u0000byte',
  '\u0000',
  '\u0001\u001f\u007f controls',
  'ünïcödé',
  '😀 astral plane',
  '中文 / עברית / العربية',
  'zero\u200bwidth\u202eRLO',
  '%_like_%',
  '{"json": [1, "two"]}',
  '<xml attr="1">&amp;</xml>',
  '$conversion',
  'a > b ; c',
  '',
  ' ',
  'x'.repeat(10_000),
  `${"'\\".repeat(2_500)}${'é'.repeat(2_500)}`,
];

/** A shorter label for test names. */
export function label(value: string): string {
  const shown = value.length > 24 ? `${value.slice(0, 24)}... (${value.length} chars)` : value;
  return JSON.stringify(shown);
}
