/**
 * Serialises events faster than JSON.stringify of the whole payload, with the same bytes: the
 * big part of an event, its context, is the same for every event on one page view, and most of
 * the context is the same for every event of one visitor, so those pieces are stringified once
 * and reused. The records' `text` must equal JSON.stringify(payload); a test holds that for
 * every kind of event.
 *
 * TRICKY: this relies on key order. A context is {page, campaign?, userAgent, ip, locale,
 * library}; a payload ends with the four fields delivery stamps (timestamp, sentAt, receivedAt,
 * writeKey); and every key is a plain identifier that needs no escaping.
 */

/** The stamped fields, always last in a payload. */
const STAMPED: ReadonlySet<string> = new Set(['timestamp', 'sentAt', 'receivedAt', 'writeKey']);

/** `"userAgent":…,"ip":…,"locale":…,"library":…`: the per-visitor end of every context. */
export function contextTail(
  userAgent: string,
  ip: string,
  locale: string,
  library: Readonly<Record<string, string>>,
): string {
  return JSON.stringify({ userAgent, ip, locale, library }).slice(1, -1);
}

/** JSON of a context {page, campaign?, ...tail}, as JSON.stringify would write it. */
export function contextText(page: object, campaign: object | undefined, tail: string): string {
  const campaignText = campaign === undefined ? '' : `,"campaign":${JSON.stringify(campaign)}`;
  return `{"page":${JSON.stringify(page)}${campaignText},${tail}}`;
}

/** JSON of a payload up to its stamped fields (no closing brace), reusing the context's text. */
export function eventHead(payload: Readonly<Record<string, unknown>>, context: string): string {
  let out = '{';
  let first = true;
  for (const key in payload) {
    if (STAMPED.has(key)) continue;
    const value = payload[key];
    if (value === undefined) continue;
    out += `${first ? '' : ','}"${key}":${key === 'context' ? context : JSON.stringify(value)}`;
    first = false;
  }
  return out;
}

/** The whole event: head plus the stamped fields (times are ISO strings: no escaping). */
export function stampedText(
  head: string,
  timestamp: string,
  sentAt: string,
  receivedAt: string | undefined,
  writeKey: string,
): string {
  const received = receivedAt === undefined ? '' : `,"receivedAt":"${receivedAt}"`;
  return `${head},"timestamp":"${timestamp}","sentAt":"${sentAt}"${received},"writeKey":${JSON.stringify(writeKey)}}`;
}
