import type { ClickEvent, SessionCloseReason } from '../core/index.js';
import { failedEvent } from '../ingest/index.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { fingerprint, fingerprintExtra, hashVisitor, keyHashOf, type VisitorHash } from './hash.js';
import {
  resolveSessionizerConfig,
  type SessionizerConfig,
  type SessionizerOptions,
} from './options.js';
import { absorb, addEvent, createSession, moveStart, setUser } from './session-mutations.js';
import { appendCut, closeReason, CUT, mergeCut, prependCut } from './session-rules.js';
import { FLAG_CLOSED } from './session-store.js';
import { SessionizerState } from './sessionizer-state.js';
import type { SessionSink } from './sink.js';
import { idOf, summarize } from './summary.js';

const NONE = -1;

export type ProcessResult = 'accepted' | 'duplicate' | 'late' | 'invalid';

/** Where the event was read from, kept on a failed event for replay. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface SessionizerDeps {
  readonly sink: SessionSink;
}

export interface SessionizerStats {
  /** Sessions whose close has not been emitted. */
  readonly openSessions: number;
  /** Closed sessions still kept for late data (eager mode). */
  readonly closedKept: number;
  readonly identities: number;
  readonly watermark: number;
  readonly maxEventTime: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly late: number;
  /** Distinct interned strings and page types held. */
  readonly strings: number;
  readonly pageTypes: number;
}

/**
 * Event-time sessions of one partition (Flink / Kafka Streams session windows), as a pure,
 * synchronous state machine: events and processing-time ticks in, outputs to the sink. No I/O,
 * no clock of its own, so a replay of the same calls gives the same outputs. The semantics and
 * every choice behind them are written down in README.md beside this file.
 */
export class PartitionSessionizer {
  readonly config: SessionizerConfig;
  private state: SessionizerState;
  private readonly sink: SessionSink;
  private accepted = 0;
  private duplicates = 0;
  private late = 0;
  /** The current event's visitor hash: one pass over the visitor id serves key and session id. */
  private readonly hash: VisitorHash = { a: 0, b: 0 };

  constructor(options: SessionizerOptions | undefined, deps: SessionizerDeps) {
    this.config = resolveSessionizerConfig(options);
    this.state = new SessionizerState(this.config);
    this.sink = deps.sink;
  }

  /** Takes one event; `now` is the processing time (for idle detection and failed events). */
  process(event: ClickEvent, now: number, origin?: RecordOrigin): ProcessResult {
    const s = this.state;
    const { store, config } = s;
    if (now > s.lastArrival) s.lastArrival = now;
    const t = event.timestamp;
    if (!Number.isFinite(t)) {
      this.reject(
        event,
        now,
        origin,
        'invalid_timestamp',
        `event time ${String(t)} is not a number`,
      );
      return 'invalid';
    }
    if (t < s.watermark - config.allowedLatenessMs) {
      this.late += 1;
      this.reject(event, now, origin, 'late', lateMessage(t, s.watermark, config));
      return 'late';
    }

    const hash = hashVisitor(event.visitor, this.hash);
    const head = s.head(event.site, event.visitor, hash);
    let prev = NONE;
    let next = head;
    while (next !== NONE && (store.start[next] ?? 0) <= t) {
      prev = next;
      next = store.next[next] ?? NONE;
    }
    const fp = fingerprint(event.id);
    const extra = fingerprintExtra();
    // A resent event normally has its original's time; with a re-corrected clock skew it may
    // sit just outside that session, so both neighbours are searched.
    if (
      (prev !== NONE && s.logs.has(prev, fp, extra)) ||
      (next !== NONE && s.logs.has(next, fp, extra))
    ) {
      this.duplicates += 1;
      return 'duplicate';
    }

    let target: number;
    // The target's due time can only come earlier when it is new, starts earlier or reopens.
    let earlier = false;
    // NOTE: within the session's span (its last instant included) an event just joins: a
    // campaign touch splits only when strictly later, so two sessions of a key never share a
    // start time, and ids (made from it) stay unique.
    if (prev !== NONE && t <= store.end(prev)) {
      target = prev;
      earlier = store.hasFlag(target, FLAG_CLOSED);
      addEvent(s, target, event, fp, extra);
    } else if (prev !== NONE && appendCut(s, prev, event) === CUT.none) {
      target = prev;
      earlier = store.hasFlag(target, FLAG_CLOSED);
      addEvent(s, target, event, fp, extra);
      this.mergeFollowing(target, hash);
    } else if (next !== NONE && prependCut(s, next, event) === CUT.none) {
      earlier = true;
      target = next;
      this.emitMerged(target, idOfStart(s, target, t, hash), hash);
      moveStart(s, target, event);
      addEvent(s, target, event, fp, extra);
      this.mergeFollowing(target, hash);
    } else {
      // One string per visitor: later sessions of a key share the first one's.
      const visitor = head === NONE ? event.visitor : (store.visitor[head] ?? event.visitor);
      const bucket = keyHashOf(hash, s.siteId(event.site));
      target = createSession(s, event, visitor, bucket);
      s.link(target, prev, head, bucket);
      addEvent(s, target, event, fp, extra);
      earlier = true;
    }
    if (earlier) s.schedule(target);
    // The previous session's close may now come sooner (its successor starts earlier).
    if (prev !== NONE && prev !== target) s.schedule(prev);
    this.emitUpdate(target, event, hash);
    this.linkIdentities(event, target);

    const lead = event.receivedAt + config.maxLeadOverReceivedMs;
    const seen = t < lead ? t : lead;
    if (seen > s.maxEventTime) {
      s.maxEventTime = seen;
      const watermark = seen - config.outOfOrdernessMs;
      if (watermark > s.watermark) s.watermark = watermark;
    }
    if (s.timers.pending(s.watermark)) this.fire();
    this.accepted += 1;
    return 'accepted';
  }

  /**
   * Processing-time tick for an idle partition: once no event arrived for idleTimeoutMs, event
   * time is taken to move on with the processing clock from the newest event seen. Call it only
   * when the partition is caught up (no lag): see README.md. Returns the sessions closed.
   */
  advanceTime(now: number): number {
    const s = this.state;
    if (s.lastArrival === Number.NEGATIVE_INFINITY) return 0;
    const idle = now - s.lastArrival - this.config.idleTimeoutMs;
    if (!(idle > 0)) return 0;
    const watermark = s.maxEventTime - this.config.outOfOrdernessMs + idle;
    if (watermark > s.watermark) s.watermark = watermark;
    return s.timers.pending(s.watermark) ? this.fire() : 0;
  }

  /**
   * End of input (a batch backfill, a test): the watermark goes to infinity, so every session
   * closes with the reason it would have closed with anyway, and the state empties. Further
   * events are late. Not for shutdown: a stopping processor checkpoints its open sessions.
   */
  drain(): number {
    this.state.watermark = Number.POSITIVE_INFINITY;
    return this.fire();
  }

  /** The whole state as a versioned binary checkpoint (checkpoint.ts). */
  snapshot(): Buffer {
    return encodeCheckpoint(this.state);
  }

  /**
   * Replaces the whole state with a checkpoint's, or throws StateError (corrupt, another
   * version, other options) and leaves the state as it was.
   */
  restore(checkpoint: Buffer): void {
    this.state = decodeCheckpoint(this.config, checkpoint);
  }

  openSessions(): number {
    return this.state.store.size - this.state.closedCount;
  }

  watermark(): number {
    return this.state.watermark;
  }

  stats(): SessionizerStats {
    const s = this.state;
    return {
      openSessions: this.openSessions(),
      closedKept: s.closedCount,
      identities: s.identities.size,
      watermark: s.watermark,
      maxEventTime: s.maxEventTime,
      accepted: this.accepted,
      duplicates: this.duplicates,
      late: this.late,
      strings: s.strings.size,
      pageTypes: s.pages.size,
    };
  }

  /** Merges the sessions after `slot` that it now reaches (a bridging event, a new entry). */
  private mergeFollowing(slot: number, hash: VisitorHash): void {
    const s = this.state;
    for (;;) {
      const later = s.store.next[slot] ?? NONE;
      if (later === NONE || mergeCut(s, slot, later) !== CUT.none) return;
      this.emitMerged(later, idOf(s, slot, hash), hash);
      absorb(s, slot, later);
      s.retire(later);
    }
  }

  /** Closes and purges what the watermark has passed, in a layout-independent order. */
  private fire(): number {
    const s = this.state;
    const { timers } = s;
    const watermark = s.watermark;
    const candidates: number[] = [];
    timers.drain(watermark, candidates);
    const due: { readonly slot: number; readonly at: number }[] = [];
    for (const slot of candidates) {
      const at = s.dueOf(slot);
      if (timers.isDue(at, watermark)) due.push({ slot, at });
      else timers.schedule(slot, at);
    }
    // TRICKY: bucket contents depend on history (due times are corrected lazily) and a restored
    // wheel has another history, so outputs are sorted by a total order of the sessions instead.
    const { store } = s;
    due.sort(
      (a, b) =>
        a.at - b.at ||
        (store.start[a.slot] ?? 0) - (store.start[b.slot] ?? 0) ||
        compare(s.siteOf(a.slot), s.siteOf(b.slot)) ||
        compare(store.visitor[a.slot] ?? '', store.visitor[b.slot] ?? ''),
    );
    let closed = 0;
    for (const { slot } of due) {
      if (!store.hasFlag(slot, FLAG_CLOSED)) {
        this.emitClosed(slot, closeReason(s, slot));
        store.setFlag(slot, FLAG_CLOSED, true);
        s.closedCount += 1;
        closed += 1;
      }
      const purgeAt = s.closeKey(slot) + this.config.allowedLatenessMs;
      if (timers.isDue(purgeAt, watermark)) s.retire(slot);
      else timers.schedule(slot, purgeAt);
    }
    return closed;
  }

  private linkIdentities(event: ClickEvent, target: number): void {
    const user = event.userId;
    if (user === null || user === '') return;
    if (event.anonymousId !== null && event.anonymousId !== '') {
      this.link(event, event.anonymousId, user, target);
    }
    if (event.type === 'alias' && event.previousId !== null && event.previousId !== '') {
      this.link(event, event.previousId, user, target);
    }
  }

  /** Records a new link, and stitches the open sessions of that id held here. */
  private link(event: ClickEvent, anonymousId: string, userId: string, target: number): void {
    const s = this.state;
    if (!s.identities.link(event.site, anonymousId, userId)) return;
    this.sink.identity({
      site: event.site,
      anonymousId,
      userId,
      linkedAt: event.timestamp,
      eventId: event.id,
      via: event.type,
    });
    for (let slot = s.head(event.site, anonymousId); slot !== NONE;) {
      if (slot !== target && !s.store.hasFlag(slot, FLAG_CLOSED) && s.store.userId[slot] === 0) {
        setUser(s, slot, userId);
        this.emitUpdate(slot, event);
      }
      slot = s.store.next[slot] ?? NONE;
    }
  }

  /** `hash`: the slot's visitor hash, when the caller has it at hand. */
  private emitUpdate(slot: number, event: ClickEvent, hash?: VisitorHash): void {
    const { store } = this.state;
    store.version[slot] = (store.version[slot] ?? 0) + 1;
    this.sink.session({ kind: 'update', session: summarize(this.state, slot, hash), event });
  }

  private emitClosed(
    slot: number,
    reason: SessionCloseReason,
    mergedInto: string | null = null,
    hash?: VisitorHash,
  ): void {
    const { store } = this.state;
    store.version[slot] = (store.version[slot] ?? 0) + 1;
    const session = summarize(this.state, slot, hash);
    this.sink.session({ kind: 'closed', session, reason, mergedInto });
  }

  /** The session's current id is retired in favour of `into` (a merge, or a start moved back). */
  private emitMerged(slot: number, into: string, hash: VisitorHash): void {
    this.emitClosed(slot, 'merged', into, hash);
  }

  private reject(
    event: ClickEvent,
    now: number,
    origin: RecordOrigin | undefined,
    reason: 'late' | 'invalid_timestamp',
    message: string,
  ): void {
    this.sink.failed(
      failedEvent({
        reason,
        message,
        stage: 'sessionizer',
        site: event.site,
        payload: event,
        id: event.id,
        failedAt: now,
        ...(origin === undefined ? {} : { source: origin }),
      }),
    );
  }
}

export function createPartitionSessionizer(
  options: SessionizerOptions | undefined,
  deps: SessionizerDeps,
): PartitionSessionizer {
  return new PartitionSessionizer(options, deps);
}

function idOfStart(state: SessionizerState, slot: number, start: number, hash: VisitorHash) {
  const saved = state.store.start[slot] ?? 0;
  state.store.start[slot] = start;
  const id = idOf(state, slot, hash);
  state.store.start[slot] = saved;
  return id;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lateMessage(t: number, watermark: number, config: SessionizerConfig): string {
  if (watermark === Number.POSITIVE_INFINITY) return 'event after the end of input (drain)';
  const behind = Math.round(watermark - t);
  return `event time ${new Date(t).toISOString()} is ${behind} ms behind the watermark ${new Date(watermark).toISOString()}, over the allowed lateness of ${config.allowedLatenessMs} ms`;
}
