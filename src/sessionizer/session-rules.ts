import type { ClickEvent, SessionCloseReason } from '../core/index.js';
import { ENTRY_ID } from './session-store.js';
import type { SessionizerState } from './sessionizer-state.js';

/**
 * Whether an event (or a whole later session) may continue a session, as the sequential rule
 * over time-sorted events would decide it: a new session starts when the gap since the previous
 * event exceeds gapMs, when maxLengthMs since the session start is reached, or (splitOnCampaign)
 * when an event brings a marketing touch other than the session's entry.
 */
export const CUT = { none: 0, gap: 1, maxLength: 2, campaign: 3 } as const;
export type Cut = (typeof CUT)[keyof typeof CUT];

/** The entry tuple's fields, joined by NUL into one interned string (session-mutations.ts). */
export const ENTRY = { channel: 0, source: 1, medium: 2, campaign: 3, device: 4, country: 5 };
export const ENTRY_SEPARATOR = '\u0000';

/**
 * A marketing touch: a campaign, or a source/medium other than direct. Internal navigation is
 * attributed (direct)/(none) by ingest, so it never splits a session.
 */
export function isTouch(source: string, medium: string, campaign: string): boolean {
  return (
    campaign !== '' ||
    (source !== '' && source !== '(direct)') ||
    (medium !== '' && medium !== '(none)')
  );
}

function entryParts(state: SessionizerState, slot: number): readonly string[] {
  return state.strings.parts(state.store.i32(slot, ENTRY_ID), ENTRY_SEPARATOR);
}

function entryIsTouch(parts: readonly string[]): boolean {
  return isTouch(parts[ENTRY.source] ?? '', parts[ENTRY.medium] ?? '', parts[ENTRY.campaign] ?? '');
}

function sameTouch(parts: readonly string[], source: string, medium: string, campaign: string) {
  return (
    parts[ENTRY.source] === source &&
    parts[ENTRY.medium] === medium &&
    parts[ENTRY.campaign] === campaign
  );
}

/** May `event`, later than everything in `slot`, join it at the end? */
export function appendCut(state: SessionizerState, slot: number, event: ClickEvent): Cut {
  const { store, config } = state;
  const t = event.timestamp;
  if (t - store.end(slot) > config.gapMs) return CUT.gap;
  if (t - store.start(slot) >= config.maxLengthMs) return CUT.maxLength;
  if (
    config.splitOnCampaign &&
    isTouch(event.source, event.medium, event.campaign) &&
    !sameTouch(entryParts(state, slot), event.source, event.medium, event.campaign)
  ) {
    return CUT.campaign;
  }
  return CUT.none;
}

/** May `event`, earlier than everything in `slot`, become its first event? */
export function prependCut(state: SessionizerState, slot: number, event: ClickEvent): Cut {
  const { store, config } = state;
  const t = event.timestamp;
  if (store.start(slot) - t > config.gapMs) return CUT.gap;
  if (store.end(slot) - t >= config.maxLengthMs) return CUT.maxLength;
  if (config.splitOnCampaign) {
    const parts = entryParts(state, slot);
    // The session's first event would follow `event`: a touch of its own splits them.
    if (entryIsTouch(parts) && !sameTouch(parts, event.source, event.medium, event.campaign)) {
      return CUT.campaign;
    }
  }
  return CUT.none;
}

/** May session `later` (starting after `earlier` ends) be merged into `earlier`? */
export function mergeCut(state: SessionizerState, earlier: number, later: number): Cut {
  const { store, config } = state;
  if (store.start(later) - store.end(earlier) > config.gapMs) return CUT.gap;
  // TRICKY: the sequential rule would split inside `later` at earlier.start + maxLength; its
  // events are aggregated, so the cut can only stay where it is, at later's start.
  if (store.end(later) - store.start(earlier) >= config.maxLengthMs) return CUT.maxLength;
  if (config.splitOnCampaign && store.i32(earlier, ENTRY_ID) !== store.i32(later, ENTRY_ID)) {
    const parts = entryParts(state, later);
    const first = entryParts(state, earlier);
    if (
      entryIsTouch(parts) &&
      !sameTouch(
        first,
        parts[ENTRY.source] ?? '',
        parts[ENTRY.medium] ?? '',
        parts[ENTRY.campaign] ?? '',
      )
    ) {
      return CUT.campaign;
    }
  }
  return CUT.none;
}

/** Why a session is over, from which of its closeKey terms (sessionizer-state.ts) is smallest. */
export function closeReason(state: SessionizerState, slot: number): SessionCloseReason {
  const { store, config } = state;
  const start = store.start(slot);
  const byGap = store.end(slot) + config.gapMs;
  const byLength = start + config.maxLengthMs - 1;
  const next = store.next(slot);
  const byNext = next === -1 ? Number.POSITIVE_INFINITY : store.start(next) - 1;
  if (byGap <= byLength && byGap <= byNext) return 'gap';
  if (byLength <= byNext) return 'max_length';
  // The next session starts within the gap: it was cut off by its campaign, or by max length
  // when a bridging merge would have been too long (mergeCut).
  return mergeCut(state, slot, next) === CUT.campaign ? 'campaign' : 'max_length';
}
