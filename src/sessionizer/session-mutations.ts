import type { ClickEvent } from '../core/index.js';
import { tagOf } from './event-logs.js';
import { ENTRY_SEPARATOR } from './session-rules.js';
import {
  CONVERSIONS,
  CURRENCY_ID,
  END_OFFSET,
  ENTRY_ID,
  EVENTS,
  EXIT_ID,
  EXIT_OFFSET,
  FLAG_BOT,
  FLAG_CLOSED,
  HASH,
  LANDING_ID,
  PAGEVIEWS,
  USER_ID,
} from './session-store.js';
import type { VisitorHash } from './hash.js';
import type { SessionizerState } from './sessionizer-state.js';
import type { StringTable } from './string-table.js';

/**
 * The changes an accepted event makes to a session's aggregates. Every string a session holds
 * is an interned id with one reference per holder, so each change here releases what it
 * replaces (string-table.ts); the tests check that a drained sessionizer holds no string.
 */

function isPageView(event: ClickEvent): boolean {
  return event.type === 'page' || event.type === 'screen';
}

/**
 * Recently built entry tuples by their fields, with the id they were last interned under. Most
 * events share a handful of contexts, and a hit saves building (and hashing) a fresh
 * ~50-character string and the string table's lookup for every new session.
 *
 * NOTE: module-wide, so shared by the sessionizers of all partitions, whose string tables give
 * other ids: a cached id is used only while that table still holds the very tuple under it.
 */
const CACHE_SIZE = 256;
const cachedFields = new Array<string>(CACHE_SIZE * 6).fill('');
const cachedTuples = new Array<string>(CACHE_SIZE).fill('');
const cachedIds = new Int32Array(CACHE_SIZE);

/** The first event's marketing and device context, interned as one tuple (ENTRY in rules). */
function internEntry(strings: StringTable, event: ClickEvent): number {
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
    const tuple = cachedTuples[at] ?? '';
    const id = cachedIds[at] ?? 0;
    if (strings.held(id) === tuple) {
      strings.retain(id);
      return id;
    }
    const interned = strings.intern(tuple);
    cachedIds[at] = interned;
    return interned;
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
  const id = strings.intern(tuple);
  cachedIds[at] = id;
  return id;
}

/**
 * A new, empty session starting at the event's time, for the key (site, visitor) whose key-table
 * hash is `hash` (and whose visitor hash is `visitorHash`, when the caller has it). The caller
 * links it and adds the event.
 */
export function createSession(
  state: SessionizerState,
  event: ClickEvent,
  visitor: string,
  hash: number,
  visitorHash?: VisitorHash,
): number {
  const { store, strings } = state;
  const slot = store.alloc();
  store.setStart(slot, event.timestamp);
  store.setSite(slot, state.siteId(event.site));
  store.visitor[slot] = visitor;
  store.set(slot, HASH, hash);
  store.set(slot, ENTRY_ID, internEntry(strings, event));
  // An event with a user of its own sets it right after (addEvent): only anonymous events need
  // the user this visitor was linked to.
  if (event.userId === null || event.userId === '') {
    const known = state.identities.get(event.site, visitor, visitorHash);
    if (known !== undefined) store.set(slot, USER_ID, state.users.intern(known));
  }
  state.logs.open(slot);
  return slot;
}

/** Moves the session's start back to `event`, which becomes its first event (entry context). */
export function moveStart(state: SessionizerState, slot: number, event: ClickEvent): void {
  const { store, strings } = state;
  const delta = store.start(slot) - event.timestamp;
  store.setStart(slot, event.timestamp);
  store.add(slot, END_OFFSET, delta);
  if (store.u32(slot, PAGEVIEWS) > 0) store.add(slot, EXIT_OFFSET, delta);
  state.logs.rebase(slot, delta);
  const entry = internEntry(strings, event);
  strings.release(store.i32(slot, ENTRY_ID));
  store.set(slot, ENTRY_ID, entry);
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
  const offset = event.timestamp - store.start(slot);
  if (offset > store.u32(slot, END_OFFSET)) store.set(slot, END_OFFSET, offset);
  store.add(slot, EVENTS, 1);

  if (isPageView(event)) {
    const before = store.u32(slot, PAGEVIEWS);
    const firstPage = before > 0 ? logs.firstPageOffset(slot) : -1;
    const pageId = pages.intern(event.pageType);
    const logged = logs.insert(slot, offset, fp, tagOf(pageId, extra), state.releaseTag);
    if (!logged) pages.release(pageId);
    store.set(slot, PAGEVIEWS, before + 1);
    if (before === 0) {
      // The first page view is landing and exit page at once: one lookup, two references.
      const path = strings.intern(event.path);
      strings.retain(path);
      strings.release(store.i32(slot, LANDING_ID));
      strings.release(store.i32(slot, EXIT_ID));
      store.set(slot, LANDING_ID, path);
      store.set(slot, EXIT_ID, path);
      store.set(slot, EXIT_OFFSET, offset);
    } else {
      if (logged && (firstPage === -1 || offset < firstPage)) {
        replace(state, LANDING_ID, slot, event.path);
      }
      // Ties go to the later arrival: of two page views in the same ms, the last one read wins.
      if (offset >= store.u32(slot, EXIT_OFFSET)) {
        replace(state, EXIT_ID, slot, event.path);
        store.set(slot, EXIT_OFFSET, offset);
      }
    }
  } else {
    logs.insert(slot, offset, fp, tagOf(0, extra), state.releaseTag);
  }

  if (event.isConversion) {
    store.add(slot, CONVERSIONS, 1);
    if (store.i32(slot, CURRENCY_ID) === 0 && event.currency !== '') {
      store.set(slot, CURRENCY_ID, strings.intern(event.currency));
    }
  }
  const revenue = event.revenue;
  if (revenue !== 0 && Number.isFinite(revenue))
    store.setRevenue(slot, store.revenue(slot) + revenue);
  if (event.isBot) store.setFlag(slot, FLAG_BOT, true);
  if (event.userId !== null && event.userId !== '') setUser(state, slot, event.userId);
  reopen(state, slot);
}

/** Sets the session's user id; false when it already had it. */
export function setUser(state: SessionizerState, slot: number, userId: string): boolean {
  const { store, users } = state;
  const held = store.i32(slot, USER_ID);
  if (held !== 0 && users.held(held) === userId) return false;
  store.set(slot, USER_ID, users.intern(userId));
  users.release(held);
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
  const { store, logs } = state;
  const delta = store.start(later) - store.start(earlier);
  logs.absorb(earlier, later, delta, state.releaseTag);
  store.set(earlier, END_OFFSET, store.u32(later, END_OFFSET) + delta);
  store.add(earlier, EVENTS, store.u32(later, EVENTS));
  store.add(earlier, CONVERSIONS, store.u32(later, CONVERSIONS));
  store.setRevenue(earlier, store.revenue(earlier) + store.revenue(later));
  const earlierViews = store.u32(earlier, PAGEVIEWS);
  const laterViews = store.u32(later, PAGEVIEWS);
  store.set(earlier, PAGEVIEWS, earlierViews + laterViews);
  if (laterViews > 0) {
    hand(state, EXIT_ID, later, earlier);
    store.set(earlier, EXIT_OFFSET, store.u32(later, EXIT_OFFSET) + delta);
    if (earlierViews === 0) hand(state, LANDING_ID, later, earlier);
  }
  if (store.i32(earlier, CURRENCY_ID) === 0) hand(state, CURRENCY_ID, later, earlier);
  if (store.i32(later, USER_ID) !== 0) hand(state, USER_ID, later, earlier);
  if (store.hasFlag(later, FLAG_BOT)) store.setFlag(earlier, FLAG_BOT, true);
  reopen(state, earlier);
  for (const field of [LANDING_ID, EXIT_ID, CURRENCY_ID, USER_ID]) {
    state.tableOf(field).release(store.i32(later, field));
    store.set(later, field, 0);
  }
}

/** Moves the string reference in `field` from `from` to `to`, releasing what `to` held. */
function hand(state: SessionizerState, field: number, from: number, to: number): void {
  const { store } = state;
  state.tableOf(field).release(store.i32(to, field));
  store.set(to, field, store.i32(from, field));
  store.set(from, field, 0);
}

function replace(state: SessionizerState, field: number, slot: number, value: string): void {
  const { store, strings } = state;
  const held = store.i32(slot, field);
  if (strings.held(held) === value) return;
  const id = strings.intern(value);
  strings.release(held);
  store.set(slot, field, id);
}
