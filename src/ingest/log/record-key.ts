/**
 * The record key of the events topic: (site, visitor), so one visitor's events stay in one
 * partition and are sessionized by one member.
 *
 * Encoding: `<site length>:<site><visitor>`, the length in UTF-16 code units, e.g.
 * `4:demoa1b2`. Length-prefixing keeps the pair unambiguous whatever characters either part
 * holds (a separator such as NUL would need site ids to be free of it), and the key stays
 * readable in Kafka tools.
 */

export interface VisitorKeyParts {
  readonly site: string;
  readonly visitor: string;
}

export function visitorKey(site: string, visitor: string): string {
  return `${site.length}:${site}${visitor}`;
}

/** The inverse of `visitorKey`; undefined for a key it did not make. */
export function parseVisitorKey(key: string): VisitorKeyParts | undefined {
  const colon = key.indexOf(':');
  if (colon < 1 || colon > 10) return undefined;
  const digits = key.slice(0, colon);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return undefined;
  const length = Number(digits);
  const start = colon + 1;
  if (start + length > key.length) return undefined;
  return { site: key.slice(start, start + length), visitor: key.slice(start + length) };
}
