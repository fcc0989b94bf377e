/**
 * A brute-force reference sessionizer for the tests, sharing no code with the real one, and the
 * helpers to compare the real one's final sessions with it. Not part of the module's API.
 */
import { MAX_SESSION_PATH, type ClickEvent, type SessionSummary } from '../core/index.js';
import type { CollectingSink } from './sink.js';

export interface ReferenceOptions {
  readonly gapMs: number;
  readonly maxLengthMs: number;
  readonly splitOnCampaign: boolean;
}

export type ReferenceSession = Pick<
  SessionSummary,
  | 'site'
  | 'visitor'
  | 'startedAt'
  | 'endedAt'
  | 'eventCount'
  | 'pageviewCount'
  | 'path'
  | 'entryChannel'
  | 'entrySource'
  | 'entryMedium'
  | 'entryCampaign'
  | 'landingPage'
  | 'exitPage'
  | 'isBot'
  | 'conversions'
  | 'revenue'
>;

/**
 * The definition, by brute force: a key's events sorted by time (ties in arrival order), cut
 * where the gap is exceeded, where max length is reached, or at a new campaign touch strictly
 * later than the event before it.
 */
export function referenceSessions(
  events: readonly ClickEvent[],
  options: ReferenceOptions,
): ReferenceSession[] {
  const byKey = new Map<string, { event: ClickEvent; order: number }[]>();
  events.forEach((event, order) => {
    const key = `${event.site}|${event.visitor}`;
    const list = byKey.get(key) ?? [];
    list.push({ event, order });
    byKey.set(key, list);
  });
  const sessions: ReferenceSession[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.event.timestamp - b.event.timestamp || a.order - b.order);
    let current: ClickEvent[] = [];
    const flush = (): void => {
      if (current.length > 0) sessions.push(summarise(current));
      current = [];
    };
    for (const { event } of list) {
      const first = current[0];
      const last = current[current.length - 1];
      if (
        first !== undefined &&
        last !== undefined &&
        (event.timestamp - last.timestamp > options.gapMs ||
          event.timestamp - first.timestamp >= options.maxLengthMs ||
          (options.splitOnCampaign &&
            event.timestamp > last.timestamp &&
            isTouch(event) &&
            raw(event) !== raw(first)))
      ) {
        flush();
      }
      current.push(event);
    }
    flush();
  }
  return sessions.sort(
    (a, b) =>
      a.site.localeCompare(b.site) ||
      a.visitor.localeCompare(b.visitor) ||
      a.startedAt - b.startedAt,
  );
}

function isTouch(event: ClickEvent): boolean {
  return !(
    event.campaign === '' &&
    (event.source === '' || event.source === '(direct)') &&
    (event.medium === '' || event.medium === '(none)')
  );
}

function raw(event: ClickEvent): string {
  return `${event.source}|${event.medium}|${event.campaign}`;
}

function summarise(events: readonly ClickEvent[]): ReferenceSession {
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('empty session');
  const pages = events.filter((e) => e.type === 'page' || e.type === 'screen');
  const converted = events.filter((e) => e.isConversion);
  return {
    site: first.site,
    visitor: first.visitor,
    startedAt: first.timestamp,
    endedAt: last.timestamp,
    eventCount: events.length,
    pageviewCount: pages.length,
    path: pages.slice(0, MAX_SESSION_PATH).map((e) => e.pageType),
    entryChannel: first.channel,
    entrySource: first.source,
    entryMedium: first.medium,
    entryCampaign: first.campaign,
    landingPage: pages[0]?.path ?? '',
    exitPage: pages[pages.length - 1]?.path ?? '',
    isBot: events.some((e) => e.isBot),
    conversions: converted.length,
    revenue: events.reduce((sum, e) => sum + e.revenue, 0),
  };
}

/** The sessions a run ended with: the last closed output of each id not merged away. */
export function finalSessions(sink: CollectingSink): SessionSummary[] {
  const last = new Map<string, SessionSummary | null>();
  for (const output of sink.sessions) {
    if (output.kind !== 'closed') continue;
    last.set(output.session.id, output.reason === 'merged' ? null : output.session);
  }
  const sessions = [...last.values()].filter((s): s is SessionSummary => s !== null);
  return sessions.sort(
    (a, b) =>
      a.site.localeCompare(b.site) ||
      a.visitor.localeCompare(b.visitor) ||
      a.startedAt - b.startedAt,
  );
}

/** The reference fields of a sessionizer summary, for comparing with `referenceSessions`. */
export function comparable(session: SessionSummary): ReferenceSession {
  return {
    site: session.site,
    visitor: session.visitor,
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    eventCount: session.eventCount,
    pageviewCount: session.pageviewCount,
    path: session.path,
    entryChannel: session.entryChannel,
    entrySource: session.entrySource,
    entryMedium: session.entryMedium,
    entryCampaign: session.entryCampaign,
    landingPage: session.landingPage,
    exitPage: session.exitPage,
    isBot: session.isBot,
    conversions: session.conversions,
    revenue: session.revenue,
  };
}
