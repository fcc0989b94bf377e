import { EventLogs, pageOfTag } from './event-logs.js';
import { keyHash, keyHashOf, type VisitorHash } from './hash.js';
import { IdentityMap } from './identity-map.js';
import { KeyTable } from './key-table.js';
import type { SessionizerConfig } from './options.js';
import { FLAG_CLOSED, MAX_SITE_ID, SessionStore, STRING_FIELDS, USER_ID } from './session-store.js';
import { StringSlots, StringTable, type StringIds } from './string-table.js';
import { TimerWheel } from './timer-wheel.js';

const NONE = -1;

/**
 * Everything one partition's sessionizer holds, in one place so a checkpoint can write and read
 * it whole. The rules that change it live in partition-sessionizer.ts and session-mutations.ts.
 *
 * A visitor key's sessions form a list sorted by start time (`store.next`), its head in `keys`.
 * Sessions of one key never overlap; usually there is one, briefly two or three (a closed one
 * kept for late data beside a new one).
 */
export class SessionizerState {
  readonly config: SessionizerConfig;
  /** Entry tuples, page paths and currencies: few and hot, so their table stays small. */
  readonly strings = new StringTable();
  /**
   * User ids: many, they come and go with identified sessions, and two sessions seldom share
   * one, so they are held without deduplication (no Map lookup per identified session).
   */
  readonly users = new StringSlots();
  /** Sites are few and never released, so their ids are stable (and cacheable per event). */
  readonly sites = new StringTable();
  /** Page types get their own table so their ids stay small (they are packed into 24 bits). */
  readonly pages = new StringTable();
  readonly logs: EventLogs;
  readonly timers: TimerWheel;
  readonly store: SessionStore;
  readonly identities: IdentityMap;
  /** (site, visitor) -> earliest session of that key. */
  readonly keys: KeyTable;
  /** Largest event time seen (capped by receivedAt + maxLeadOverReceivedMs). */
  maxEventTime = Number.NEGATIVE_INFINITY;
  watermark = Number.NEGATIVE_INFINITY;
  /** Processing time of the latest event, for idle detection. */
  lastArrival = Number.NEGATIVE_INFINITY;
  /** Sessions whose close was emitted but which are kept for late data (eager mode). */
  closedCount = 0;
  private lastSite = '';
  private lastSiteId = 0;

  constructor(config: SessionizerConfig) {
    this.config = config;
    this.identities = new IdentityMap(config.maxIdentities);
    // The logs' heads and the timer marks live in the session records: an event or a close
    // then reads one record, not a record and two columns (a cache miss each at a random slot).
    this.store = new SessionStore();
    this.logs = new EventLogs(config.maxTrackedEvents, this.store);
    this.timers = new TimerWheel(1000, 4096, this.store);
    this.keys = new KeyTable(this.store);
  }

  /** The site's id, assigned on first sight. */
  siteId(site: string): number {
    if (site === this.lastSite) return this.lastSiteId;
    let id = this.sites.lookup(site);
    if (id < 0) {
      if (this.sites.size >= MAX_SITE_ID) throw new RangeError(`more than ${MAX_SITE_ID} sites`);
      id = this.sites.intern(site);
    }
    this.lastSite = site;
    this.lastSiteId = id;
    return id;
  }

  /** The earliest session of (site, visitor), or -1; `hash` when the caller has it. */
  head(site: string, visitor: string, hash?: VisitorHash): number {
    const siteId = this.siteId(site);
    const bucket = hash === undefined ? keyHash(visitor, siteId) : keyHashOf(hash, siteId);
    return this.keys.find(siteId, visitor, bucket);
  }

  /** The site's id, or -1 for a site not seen yet (never assigns one: for reading ahead). */
  peekSiteId(site: string): number {
    return site === this.lastSite ? this.lastSiteId : this.sites.lookup(site);
  }

  /** `head` for reading ahead: never assigns a site id (-1 for a site not seen yet). */
  peekHead(site: string, visitor: string, hash: VisitorHash): number {
    const siteId = this.peekSiteId(site);
    return siteId < 0 ? NONE : this.keys.find(siteId, visitor, keyHashOf(hash, siteId));
  }

  /** Key-table hash of the slot's key. */
  keyHashOf(slot: number): number {
    return this.store.hash(slot);
  }

  siteOf(slot: number): string {
    return this.sites.held(this.store.site(slot));
  }

  /** The table a string field's ids belong to. */
  tableOf(field: number): StringIds {
    return field === USER_ID ? this.users : this.strings;
  }

  /** A page type's name (a stable callback). */
  readonly pageName = (id: number): string => this.pages.held(id);

  /** Releases the page-type reference of a log entry's tag (a stable callback). */
  readonly releaseTag = (tag: number): void => {
    this.pages.release(pageOfTag(tag));
  };

  /**
   * The last event time this session can still take, so also when it ends once the watermark
   * passes: its inactivity gap, its max length, or the start of the next session of its key
   * (which began with a max-length or campaign cut).
   */
  closeKey(slot: number): number {
    const { store, config } = this;
    const start = store.start(slot);
    let key = Math.min(store.end(slot) + config.gapMs, start + config.maxLengthMs - 1);
    const next = store.next(slot);
    if (next !== NONE) key = Math.min(key, store.start(next) - 1);
    return key;
  }

  /** When the watermark must next look at this session: its close, or its purge once closed. */
  dueOf(slot: number): number {
    const closed = this.store.hasFlag(slot, FLAG_CLOSED);
    const delay = closed || this.config.closeMode === 'final' ? this.config.allowedLatenessMs : 0;
    return this.closeKey(slot) + delay;
  }

  /**
   * (Re)schedules the slot at its due time. Needed when the due time may have come earlier
   * (a new session, a start moved back, a new successor, a reopen); a later one is corrected
   * lazily when its old bucket comes up (timer-wheel.ts).
   */
  schedule(slot: number): void {
    this.timers.schedule(slot, this.dueOf(slot));
  }

  /**
   * The session before `slot` in its key's list, or -1 (`hash`: keyHashOf(slot)). Found by
   * identity: the heads on the key's probe path with its hash are followed down their lists
   * until `slot` turns up, so no visitor string is compared (or read: a purge's string is cold).
   */
  previous(slot: number, hash: number): number {
    const { store, keys } = this;
    for (let step = 0; ; step++) {
      const head = keys.probe(hash, step);
      if (head === slot) return NONE;
      if (head === NONE) throw new RangeError(`session slot ${slot} is in no key list`);
      if (store.hash(head) !== hash) continue;
      for (let prev = head, cur = store.next(head); cur !== NONE; cur = store.next(cur)) {
        if (cur === slot) return prev;
        prev = cur;
      }
    }
  }

  /**
   * Links a fresh slot (its site and visitor set) into its key's list after `prev`, or as the
   * new head before `head` (-1: the key's first session); `hash` is keyHashOf(slot).
   */
  link(slot: number, prev: number, head: number, hash: number): void {
    const { store } = this;
    if (prev === NONE) {
      store.setNext(slot, head);
      if (head === NONE) this.keys.insert(slot, hash);
      else this.keys.replace(head, slot, hash);
    } else {
      store.setNext(slot, store.next(prev));
      store.setNext(prev, slot);
    }
  }

  /** Drops a session from state: its list link, timer, strings, log and slot. */
  retire(slot: number): void {
    const { store } = this;
    const hash = this.keyHashOf(slot);
    const prev = this.previous(slot, hash);
    const next = store.next(slot);
    if (prev !== NONE) store.setNext(prev, next);
    else if (next !== NONE) this.keys.replace(slot, next, hash);
    else this.keys.remove(slot, hash);
    if (store.hasFlag(slot, FLAG_CLOSED)) this.closedCount -= 1;
    this.timers.unschedule(slot);
    this.logs.close(slot, this.releaseTag);
    for (const field of STRING_FIELDS) this.tableOf(field).release(store.i32(slot, field));
    store.free(slot);
  }
}
