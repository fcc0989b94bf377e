import { ConfigError } from '../../core/index.js';

/**
 * One page-type rule. `pattern` is either
 * - a regular expression source, when it starts with `^` (e.g. `^/(en|de)/products?/\d+$`), or
 * - a path glob, when it starts with `/`: `*` matches within one segment, `**` across segments
 *   (also none), `?` one character (e.g. `/blog/**`, `/product/*`, `/u/*\/edit`).
 * Both are matched case-insensitively against the normalised path (lower case, no query or
 * fragment, no trailing or doubled slashes, `/` for the root).
 */
export interface PageTypeRule {
  readonly pattern: string;
  /** The page type to report, e.g. `product`. */
  readonly pageType: string;
}

export interface PageTypeOptions {
  /** Checked in order, first match wins; unmatched paths fall back to id stripping. Default none. */
  readonly rules?: readonly PageTypeRule[];
}

export interface CompiledPageTypeRule {
  readonly test: RegExp;
  readonly pageType: string;
}

export interface PageTypeConfig {
  readonly rules: readonly CompiledPageTypeRule[];
}

export interface PageTypeStep {
  /** Page type of a URL path (query and fragment, if any, are ignored); '' for an empty path. */
  classify(path: string): string;
}

export const ID_PLACEHOLDER = ':id';

const DIGITS = /^\d+$/;
/** Dates, versions and other number runs: 2024-01-15, 1.2.3, 10_000. */
const NUMBER_RUN = /^\d+(?:[._-]\d+)+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_ID = /^[0-9a-f]{8,}$/i;
const TOKEN_ID = /^[A-Za-z0-9_.~=-]{16,}$/;
const HAS_DIGIT = /\d/;
const TOKEN_SEPARATORS = /[-_.~=]/;
const LETTERS = /^[a-z]+$/i;
/** A doubled slash anywhere, or a trailing one after something. */
const UNCLEAN_SLASHES = /\/\/|.\/$/;

export function resolvePageTypeConfig(options: PageTypeOptions = {}): PageTypeConfig {
  const rules = options.rules ?? [];
  if (!Array.isArray(rules)) {
    throw new ConfigError('pageType.rules', 'must be an array of { pattern, pageType }');
  }
  return { rules: rules.map((rule: unknown, index) => compileRule(rule, index)) };
}

/**
 * Page types from URL rules, falling back to the path with its ids replaced by `:id`
 * (`/product/12345` -> `/product/:id`). Rules are compiled once here, and a bad one stops
 * construction with a ConfigError naming it.
 */
export function createPageTypeStep(options: PageTypeOptions = {}): PageTypeStep {
  const { rules } = resolvePageTypeConfig(options);
  return {
    classify(path: string): string {
      const normalised = normalisePath(path);
      if (normalised === '') return '';
      for (const rule of rules) {
        if (rule.test.test(normalised)) return rule.pageType;
      }
      return stripIds(normalised);
    },
  };
}

/**
 * `/Product//12/` -> `/product/12`: query and fragment cut, lower case, empty segments dropped.
 * '' stays '' (no page); anything else becomes at least `/`.
 */
export function normalisePath(path: string): string {
  let end = path.length;
  const query = path.indexOf('?');
  if (query !== -1) end = query;
  const fragment = path.indexOf('#');
  if (fragment !== -1 && fragment < end) end = fragment;
  const raw = end === path.length ? path : path.slice(0, end);
  if (raw === '') return path === '' ? '' : '/';
  const lower = raw.toLowerCase();
  // Most paths are already clean; only split the ones that are not.
  if (lower.startsWith('/') && !UNCLEAN_SLASHES.test(lower)) return lower;
  let out = '';
  for (const segment of lower.split('/')) {
    if (segment !== '') out += `/${segment}`;
  }
  return out === '' ? '/' : out;
}

/** Replaces id-like segments of a normalised path with `:id`. */
export function stripIds(normalisedPath: string): string {
  const path = normalisedPath;
  // Built only from the first id on: paths without ids come back as they are.
  let out: string | null = null;
  let start = 1;
  while (start < path.length) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    const segment = path.slice(start, end);
    if (isIdSegment(segment)) out = (out ?? path.slice(0, start)) + ID_PLACEHOLDER;
    else if (out !== null) out += segment;
    if (out !== null && end < path.length) out += '/';
    start = end + 1;
  }
  return out ?? path;
}

export function isIdSegment(segment: string): boolean {
  if (!HAS_DIGIT.test(segment)) return segment.length === 36 && UUID.test(segment);
  if (DIGITS.test(segment) || NUMBER_RUN.test(segment) || UUID.test(segment)) return true;
  if (HEX_ID.test(segment)) return true;
  return TOKEN_ID.test(segment) && !isMostlyWords(segment);
}

/**
 * A slug is mostly words (`how-to-cook-pasta-in-2024`, `iphone-15-pro-max`); a random token
 * (`v1stgxr8_z5jdhi6b-myt`, `<md5>.png`) is mostly letter-digit mixes. Heuristic: the
 * letters-only parts cover at least 40% of the segment.
 */
function isMostlyWords(segment: string): boolean {
  let wordChars = 0;
  for (const part of segment.split(TOKEN_SEPARATORS)) {
    if (LETTERS.test(part)) wordChars += part.length;
  }
  return wordChars * 5 >= segment.length * 2;
}

function compileRule(rule: unknown, index: number): CompiledPageTypeRule {
  const name = `pageType.rules[${index}]`;
  if (typeof rule !== 'object' || rule === null) {
    throw new ConfigError(name, 'must be an object { pattern, pageType }');
  }
  const { pattern, pageType } = rule as { pattern?: unknown; pageType?: unknown };
  if (typeof pattern !== 'string' || pattern.trim() === '') {
    throw new ConfigError(name, 'pattern must be a non-empty string');
  }
  if (typeof pageType !== 'string' || pageType.trim() === '') {
    throw new ConfigError(name, `pageType for pattern "${pattern}" must be a non-empty string`);
  }
  if (pattern.startsWith('^')) {
    try {
      return { test: new RegExp(pattern, 'i'), pageType };
    } catch (error) {
      throw new ConfigError(name, `pattern "${pattern}" is not a valid regular expression`, {
        cause: error,
      });
    }
  }
  if (!pattern.startsWith('/')) {
    throw new ConfigError(
      name,
      `pattern "${pattern}" must be a path glob starting with "/" or a regular expression starting with "^"`,
    );
  }
  return { test: globToRegExp(pattern), pageType };
}

function globToRegExp(glob: string): RegExp {
  // Same shape as the paths it is matched against: no doubled or trailing slashes.
  const normalised = glob.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  let source = '^';
  for (let i = 0; i < normalised.length; i += 1) {
    const char = normalised[i] ?? '';
    if (char === '*' && normalised[i + 1] === '*') {
      // `/**` is zero or more whole segments, so `/blog/**` matches `/blog` itself and
      // `/**/edit` matches `/edit` but not `/bedit`.
      source = source.endsWith('/') ? `${source.slice(0, -1)}(?:/.*)?` : `${source}.*`;
      i += 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`${source}$`, 'i');
}
