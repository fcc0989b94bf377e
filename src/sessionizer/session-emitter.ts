import { counter, type ClickEvent, type SessionCloseReason } from '../core/index.js';
import { failedEvent } from '../ingest/index.js';
import type { VisitorHash } from './hash.js';
import { VERSION } from './session-store.js';
import type { SessionizerState } from './sessionizer-state.js';
import type { SessionSink } from './sink.js';
import { summarize } from './summary.js';

/** Where the event was read from, kept on a failed event for replay. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

const closedTotal = counter(
  'pathcast_sessionizer_sessions_closed_total',
  'SessionClosed outputs, by reason (merged: an id merged into another or renamed)',
  ['reason'],
);

/** Each close reason's slot in SessionEmitter's counts (a Record, so none can be missing). */
const REASON_SLOT: Readonly<Record<SessionCloseReason, number>> = {
  gap: 0,
  max_length: 1,
  campaign: 2,
  merged: 3,
  shutdown: 4,
};
const REASONS = Object.keys(REASON_SLOT) as SessionCloseReason[];

/**
 * Turns state changes into outputs on the sink. Every output of a session carries a version one
 * higher than the last (storage keeps the highest), so a close supersedes the updates before it
 * and a reopened session's updates supersede its close.
 */
export class SessionEmitter {
  private readonly sink: SessionSink;
  /** Closes by reason (index in REASONS) not yet added to closedTotal: see `publishCounts`. */
  private readonly unpublished = new Float64Array(REASONS.length);
  private pending = false;

  constructor(sink: SessionSink) {
    this.sink = sink;
  }

  /** `hash`: the slot's visitor hash, when the caller has it at hand. */
  update(state: SessionizerState, slot: number, event: ClickEvent, hash?: VisitorHash): void {
    const { store } = state;
    store.add(slot, VERSION, 1);
    this.sink.session({ kind: 'update', session: summarize(state, slot, hash), event });
  }

  closed(
    state: SessionizerState,
    slot: number,
    reason: SessionCloseReason,
    mergedInto: string | null = null,
    hash?: VisitorHash,
  ): void {
    const { store } = state;
    store.add(slot, VERSION, 1);
    const session = summarize(state, slot, hash);
    this.sink.session({ kind: 'closed', session, reason, mergedInto });
    const at = REASON_SLOT[reason];
    this.unpublished[at] = (this.unpublished[at] ?? 0) + 1;
    this.pending = true;
  }

  /**
   * Adds the closes emitted since the last call to the Prometheus counter, one inc() per reason:
   * a labelled inc() costs about as much as the rest of a close. Called at the end of every
   * call that emits closes, so a scrape (which runs between them) is never behind.
   */
  publishCounts(): void {
    if (!this.pending) return;
    this.pending = false;
    const unpublished = this.unpublished;
    for (let i = 0; i < REASONS.length; i++) {
      const n = unpublished[i] ?? 0;
      if (n === 0) continue;
      closedTotal.labels(REASONS[i] ?? 'gap').inc(n);
      unpublished[i] = 0;
    }
  }

  /**
   * The session's current id gives way to `into`: it was merged into an earlier session, or its
   * start moved back (ids are made from the start). Storage deletes the old id.
   */
  merged(state: SessionizerState, slot: number, into: string, hash: VisitorHash): void {
    this.closed(state, slot, 'merged', into, hash);
  }

  identity(event: ClickEvent, anonymousId: string, userId: string): void {
    this.sink.identity({
      site: event.site,
      anonymousId,
      userId,
      linkedAt: event.timestamp,
      eventId: event.id,
      via: event.type,
    });
  }

  /** An event the sessionizer cannot take, handed over as a failed event (never dropped). */
  failed(
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
