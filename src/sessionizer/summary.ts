import { MAX_SESSION_PATH, type DeviceType, type SessionSummary } from '../core/index.js';
import { hashVisitor, sessionIdOf, type VisitorHash } from './hash.js';
import { ENTRY, ENTRY_SEPARATOR } from './session-rules.js';
import { FLAG_BOT } from './session-store.js';
import type { SessionizerState } from './sessionizer-state.js';

const scratch: VisitorHash = { a: 0, b: 0 };

/**
 * The session's id as it stands (its start may still move back: see README.md); `hash` is the
 * visitor's hash when the caller has it.
 */
export function idOf(state: SessionizerState, slot: number, hash?: VisitorHash): string {
  const visitorHash = hash ?? hashVisitor(state.store.visitor[slot] ?? '', scratch);
  return sessionIdOf(state.siteOf(slot), visitorHash, state.store.start[slot] ?? 0);
}

/**
 * The session as an output value. Built for every output, because the state it reads changes
 * right after; the path is the only part that costs (one string per page type, shared).
 */
export function summarize(
  state: SessionizerState,
  slot: number,
  hash?: VisitorHash,
): SessionSummary {
  const { store, strings } = state;
  const entry = strings.parts(store.entry[slot] ?? 0, ENTRY_SEPARATOR);
  const start = store.start[slot] ?? 0;
  const conversions = store.conversions[slot] ?? 0;
  const userId = store.userId[slot] ?? 0;
  const path = state.logs.pages(slot, MAX_SESSION_PATH, state.pageName);
  return {
    id: idOf(state, slot, hash),
    site: state.siteOf(slot),
    visitor: store.visitor[slot] ?? '',
    userId: userId === 0 ? null : strings.held(userId),
    startedAt: start,
    endedAt: start + (store.endOffset[slot] ?? 0),
    eventCount: store.events[slot] ?? 0,
    pageviewCount: store.pageviews[slot] ?? 0,
    path,
    entryChannel: entry[ENTRY.channel] ?? '',
    entrySource: entry[ENTRY.source] ?? '',
    entryMedium: entry[ENTRY.medium] ?? '',
    entryCampaign: entry[ENTRY.campaign] ?? '',
    landingPage: strings.held(store.landing[slot] ?? 0),
    exitPage: strings.held(store.exit[slot] ?? 0),
    deviceType: (entry[ENTRY.device] ?? 'other') as DeviceType,
    country: entry[ENTRY.country] ?? '',
    isBot: store.hasFlag(slot, FLAG_BOT),
    converted: conversions > 0,
    conversions,
    revenue: store.revenue[slot] ?? 0,
    currency: strings.held(store.currency[slot] ?? 0),
    version: store.version[slot] ?? 0,
  };
}
