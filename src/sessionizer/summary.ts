import { MAX_SESSION_PATH, type DeviceType, type SessionSummary } from '../core/index.js';
import { hashVisitor, sessionIdOf, type VisitorHash } from './hash.js';
import { ENTRY, ENTRY_SEPARATOR } from './session-rules.js';
import {
  CONVERSIONS,
  CURRENCY_ID,
  END_OFFSET,
  ENTRY_ID,
  EVENTS,
  EXIT_ID,
  FLAG_BOT,
  LANDING_ID,
  PAGEVIEWS,
  USER_ID,
  VERSION,
} from './session-store.js';
import type { SessionizerState } from './sessionizer-state.js';

const scratch: VisitorHash = { a: 0, b: 0 };

/**
 * The session's id as it stands (its start may still move back: see README.md); `hash` is the
 * visitor's hash when the caller has it.
 */
export function idOf(state: SessionizerState, slot: number, hash?: VisitorHash): string {
  const visitorHash = hash ?? hashVisitor(state.store.visitorOf(slot), scratch);
  return sessionIdOf(state.siteOf(slot), visitorHash, state.store.start(slot));
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
  const entry = strings.parts(store.i32(slot, ENTRY_ID), ENTRY_SEPARATOR);
  const start = store.start(slot);
  const conversions = store.u32(slot, CONVERSIONS);
  const userId = store.i32(slot, USER_ID);
  const path = state.logs.pages(slot, MAX_SESSION_PATH, state.pageName);
  return {
    id: idOf(state, slot, hash),
    site: state.siteOf(slot),
    visitor: store.visitorOf(slot),
    userId: userId === 0 ? null : state.users.held(userId),
    startedAt: start,
    endedAt: start + store.u32(slot, END_OFFSET),
    eventCount: store.u32(slot, EVENTS),
    pageviewCount: store.u32(slot, PAGEVIEWS),
    path,
    entryChannel: entry[ENTRY.channel] ?? '',
    entrySource: entry[ENTRY.source] ?? '',
    entryMedium: entry[ENTRY.medium] ?? '',
    entryCampaign: entry[ENTRY.campaign] ?? '',
    landingPage: strings.held(store.i32(slot, LANDING_ID)),
    exitPage: strings.held(store.i32(slot, EXIT_ID)),
    deviceType: (entry[ENTRY.device] ?? 'other') as DeviceType,
    country: entry[ENTRY.country] ?? '',
    isBot: store.hasFlag(slot, FLAG_BOT),
    converted: conversions > 0,
    conversions,
    revenue: store.revenue(slot),
    currency: strings.held(store.i32(slot, CURRENCY_ID)),
    version: store.u32(slot, VERSION),
  };
}
