import type { ClickEvent } from '../core/index.js';
import { tagOf } from './event-logs.js';
import { ENTRY_SEPARATOR } from './session-rules.js';
import { FLAG_BOT, FLAG_CLOSED } from './session-store.js';
import type { SessionizerState } from './sessionizer-state.js';

/**
 * The changes an accepted event makes to a session's aggregates. Every string a session holds
 * is an interned id with one reference per holder, so each change here releases what it
 * replaces (string-table.ts); the tests check that a drained sessionizer holds no string.
 */

function isPageView(event: ClickEvent): boolean {
  return event.type === 'page' || event.type === 'screen';
}

/**
 * Recently built entry tuples by their fields. Most events share a handful of contexts, and a
 * hit saves building (and hashing) a fresh ~50-character string for every new session.
 */
const CACHE_SIZE = 256;
const cachedFields = new Array<string>(CACHE_SIZE * 6).fill('');
const cachedTuples = new Array<string>(CACHE_SIZE).fill('');

/** The first event's marketing and device context, as one tuple string (ENTRY in rules). */
function entryTuple(event: ClickEvent): string {
  const { channel, source, medium, campaign, deviceType, country } = event;
  const at =
    (channel.length * 31 +
      source.length * 17 +
      medium.length * 7 +
      campaign.length * 3 +
      (source.charCodeAt(0) | 0) +
      (country.charCodeAt(1) | 0)) &
    (CACHE_SIZE - 1);
  const f = at * 6;
  if (
    cachedFields[f] === channel &&
    cachedFields[f + 1] === source &&
    cachedFields[f + 2] === medium &&
    cachedFields[f + 3] === campaign &&
    cachedFields[f + 4] === deviceType &&
    cachedFields[f + 5] === country
  ) {
    return cachedTuples[at] ?? '';
  }
  const s = ENTRY_SEPARATOR;
  const tuple = [channel, source, medium, campaign, deviceType, country].join(s);
  cachedFields[f] = channel;
  cachedFields[f + 1] = source;
  cachedFields[f + 2] = medium;
  cachedFields[f + 3] = campaign;
  cachedFields[f + 4] = deviceType;
  cachedFields[f + 5] = country;
  cachedTuples[at] = tuple;
  return tuple;
}

/**
 * A new, empty session starting at the event's time, for the key (site, visitor) whose key-table
 * hash is `hash`. The caller links it and adds the event.
 */
export function createSession(
  state: SessionizerState,
  event: ClickEvent,
  visitor: string,
  hash: number,
): number {
  const { store, strings } = state;
  const slot = store.alloc();
  store.start[slot] = event.timestamp;
  store.site[slot] = state.siteId(event.site);
  store.visitor[slot] = visitor;
  store.hash[slot] = hash;
  store.entry[slot] = strings.intern(entryTuple(event));
  const known = state.identities.get(event.site, visitor);
  if (known !== undefined) store.userId[slot] = strings.intern(known);
  state.logs.open(slot);
  return slot;
}

/** Moves the session's start back to `event`, which becomes its first event (entry context). */
export function moveStart(state: SessionizerState, slot: number, event: ClickEvent): void {
  const { store, strings } = state;
  const delta = (store.start[slot] ?? 0) - event.timestamp;
  store.start[slot] = event.timestamp;
  store.endOffset[slot] = (store.endOffset[slot] ?? 0) + delta;
  if ((store.pageviews[slot] ?? 0) > 0) {
    store.exitOffset[slot] = (store.exitOffset[slot] ?? 0) + delta;
  }
  state.logs.rebase(slot, delta);
  const entry = strings.intern(entryTuple(event));
  strings.release(store.entry[slot] ?? 0);
  store.entry[slot] = entry;
}

/** Adds an accepted event at or after the session's start to its aggregates and log. */
export function addEvent(
  state: SessionizerState,
  slot: number,
  event: ClickEvent,
  fp: number,
  extra: number,
): void {
  const { store, strings, pages, logs } = state;
  const offset = event.timestamp - (store.start[slot] ?? 0);
  if (offset > (store.endOffset[slot] ?? 0)) store.endOffset[slot] = offset;
  store.events[slot] = (store.events[slot] ?? 0) + 1;

  if (isPageView(event)) {
    const firstPage = (store.pageviews[slot] ?? 0) > 0 ? logs.firstPageOffset(slot) : -1;
    const pageId = pages.intern(event.pageType);
    const logged = logs.insert(slot, offset, fp, tagOf(pageId, extra), state.releaseTag);
    if (!logged) pages.release(pageId);
    const before = store.pageviews[slot] ?? 0;
    store.pageviews[slot] = before + 1;
    if (before === 0) {
      // The first page view is landing and exit page at once: one lookup, two references.
      const path = strings.intern(event.path);
      strings.retain(path);
      strings.release(store.landing[slot] ?? 0);
      strings.release(store.exit[slot] ?? 0);
      store.landing[slot] = path;
      store.exit[slot] = path;
      store.exitOffset[slot] = offset;
    } else {
      if (logged && (firstPage === -1 || offset < firstPage)) {
        replace(state, store.landing, slot, event.path);
      }
      // Ties go to the later arrival: of two page views in the same ms, the last one read wins.
      if (offset >= (store.exitOffset[slot] ?? 0)) {
        replace(state, store.exit, slot, event.path);
        store.exitOffset[slot] = offset;
      }
    }
  } else {
    logs.insert(slot, offset, fp, tagOf(0, extra), state.releaseTag);
  }

  if (event.isConversion) {
    store.conversions[slot] = (store.conversions[slot] ?? 0) + 1;
    if (store.currency[slot] === 0 && event.currency !== '') {
      store.currency[slot] = strings.intern(event.currency);
    }
  }
  if (Number.isFinite(event.revenue))
    store.revenue[slot] = (store.revenue[slot] ?? 0) + event.revenue;
  if (event.isBot) store.setFlag(slot, FLAG_BOT, true);
  if (event.userId !== null && event.userId !== '') setUser(state, slot, event.userId);
  reopen(state, slot);
}

/** Sets the session's user id; false when it already had it. */
export function setUser(state: SessionizerState, slot: number, userId: string): boolean {
  const { store, strings } = state;
  const held = store.userId[slot] ?? 0;
  if (held !== 0 && strings.held(held) === userId) return false;
  store.userId[slot] = strings.intern(userId);
  strings.release(held);
  return true;
}

/** A closed session that takes data again is open again (its next close is emitted anew). */
export function reopen(state: SessionizerState, slot: number): void {
  if (!state.store.hasFlag(slot, FLAG_CLOSED)) return;
  state.store.setFlag(slot, FLAG_CLOSED, false);
  state.closedCount -= 1;
}

/**
 * Merges session `later` into `earlier` (a late event bridged them): `earlier` keeps its id,
 * entry and landing page; `later` brings its events, its exit page and, if it has one, its user
 * id. `later`'s strings are handed over or released and its log block is freed; the caller then
 * retires its slot (SessionizerState.retire).
 */
export function absorb(state: SessionizerState, earlier: number, later: number): void {
  const { store, strings, logs } = state;
  const delta = (store.start[later] ?? 0) - (store.start[earlier] ?? 0);
  logs.absorb(earlier, later, delta, state.releaseTag);
  store.endOffset[earlier] = (store.endOffset[later] ?? 0) + delta;
  store.events[earlier] = (store.events[earlier] ?? 0) + (store.events[later] ?? 0);
  store.conversions[earlier] = (store.conversions[earlier] ?? 0) + (store.conversions[later] ?? 0);
  store.revenue[earlier] = (store.revenue[earlier] ?? 0) + (store.revenue[later] ?? 0);
  const earlierViews = store.pageviews[earlier] ?? 0;
  const laterViews = store.pageviews[later] ?? 0;
  store.pageviews[earlier] = earlierViews + laterViews;
  if (laterViews > 0) {
    hand(state, store.exit, later, earlier);
    store.exitOffset[earlier] = (store.exitOffset[later] ?? 0) + delta;
    if (earlierViews === 0) hand(state, store.landing, later, earlier);
  }
  if (store.currency[earlier] === 0) hand(state, store.currency, later, earlier);
  if (store.userId[later] !== 0) hand(state, store.userId, later, earlier);
  if (store.hasFlag(later, FLAG_BOT)) store.setFlag(earlier, FLAG_BOT, true);
  reopen(state, earlier);
  for (const column of [store.landing, store.exit, store.currency, store.userId]) {
    strings.release(column[later] ?? 0);
    column[later] = 0;
  }
}

/** Moves the reference in `column` from `from` to `to`, releasing what `to` held. */
function hand(state: SessionizerState, column: Int32Array, from: number, to: number): void {
  state.strings.release(column[to] ?? 0);
  column[to] = column[from] ?? 0;
  column[from] = 0;
}

function replace(state: SessionizerState, column: Int32Array, slot: number, value: string): void {
  const held = column[slot] ?? 0;
  if (state.strings.held(held) === value) return;
  const id = state.strings.intern(value);
  state.strings.release(column[slot] ?? 0);
  column[slot] = id;
}
