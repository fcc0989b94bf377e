import type { PendingRecord } from './delivery.js';
import { CHANNELS, CONVERSION_EVENT, VISITOR_TYPES } from './generative-model.js';
import type { MalformedKind } from './malformed.js';
import type { SessionRun } from './session-run.js';
import type { SessionTruth } from './session-truth.js';
import type { Visitor } from './visitor.js';

/** Counts of what a run generated and injected, as they appear in the truth file. */
export interface FaultTruth {
  readonly outOfOrder: { count: number; messageIds: string[] };
  readonly late: { count: number; messageIds: string[] };
  readonly duplicates: { count: number; messageIds: string[] };
  readonly malformed: {
    count: number;
    byKind: Record<MalformedKind, number>;
    records: { messageId: string; kind: MalformedKind }[];
  };
  readonly clockSkew: {
    visitors: number;
    events: number;
    byOffsetMs: Record<string, number>;
    skewedVisitors: { visitor: string; offsetMs: number }[];
  };
  readonly bots: { visitors: number; sessions: number; events: number };
  /** Events delivered after an event of the same visitor with a higher seq. */
  deliveredOutOfSeqOrder: number;
}

export interface RunCounts {
  /** Distinct events generated (the `events` option when the run completes). */
  events: number;
  humanEvents: number;
  botEvents: number;
  /** Records handed to the sink: events + duplicates + malformed. */
  records: number;
  visitors: number;
  humanVisitors: number;
  sessions: number;
  humanSessions: number;
  conversions: number;
  conversionsByEvent: Record<string, number>;
  revenueByCurrency: Record<string, number>;
  /** Start and end of true event time. */
  firstEventAt: number;
  lastEventAt: number;
}

const CONVERSION_EVENTS: ReadonlySet<string> = new Set(Object.values(CONVERSION_EVENT));

/**
 * Collects the per-run side of the ground truth: sessions, injected faults, and the realised
 * mix of (visitor type, channel) that the exact figures weight by. Everything is counted as
 * records leave (`delivered`), so the truth describes exactly what a receiver got, also when a
 * live run stops with records still queued.
 */
export class TruthRecorder {
  /** Human sessions per component, indexed visitorType * CHANNELS.length + channel. */
  readonly componentSessions = new Float64Array(VISITOR_TYPES.length * CHANNELS.length);
  readonly visitorsByType = new Float64Array(VISITOR_TYPES.length);
  readonly counts: RunCounts = {
    events: 0,
    humanEvents: 0,
    botEvents: 0,
    records: 0,
    visitors: 0,
    humanVisitors: 0,
    sessions: 0,
    humanSessions: 0,
    conversions: 0,
    conversionsByEvent: {},
    revenueByCurrency: {},
    firstEventAt: Number.POSITIVE_INFINITY,
    lastEventAt: Number.NEGATIVE_INFINITY,
  };
  readonly faults: FaultTruth = {
    outOfOrder: { count: 0, messageIds: [] },
    late: { count: 0, messageIds: [] },
    duplicates: { count: 0, messageIds: [] },
    malformed: {
      count: 0,
      byKind: { invalid_json: 0, wrong_types: 0, missing_ids: 0, oversize: 0 },
      records: [],
    },
    clockSkew: { visitors: 0, events: 0, byOffsetMs: {}, skewedVisitors: [] },
    bots: { visitors: 0, sessions: 0, events: 0 },
    deliveredOutOfSeqOrder: 0,
  };
  private readonly keepSessions: boolean;
  private readonly runs: SessionRun[] = [];
  private finished: SessionTruth[] | undefined;

  constructor(keepSessions: boolean) {
    this.keepSessions = keepSessions;
  }

  /** A session was opened (in start order); it counts once its first event is delivered. */
  opened(run: SessionRun): void {
    if (this.keepSessions) this.runs.push(run);
  }

  /** Called as each record leaves, in delivery order. */
  delivered(pending: PendingRecord): void {
    this.counts.records++;
    const { record, visitor, run } = pending;
    if (record.kind === 'malformed') {
      const kind = pending.malformedKind ?? 'invalid_json';
      this.faults.malformed.count++;
      this.faults.malformed.byKind[kind]++;
      this.faults.malformed.records.push({ messageId: record.messageId, kind });
      return;
    }
    if (record.kind === 'duplicate') {
      this.faults.duplicates.count++;
      this.faults.duplicates.messageIds.push(record.messageId);
      return;
    }
    if (!visitor.seen) {
      visitor.seen = true;
      this.visitorSeen(visitor);
    }
    if (run !== undefined) {
      if (run.delivered === 0) this.sessionSeen(run);
      run.delivered++;
    }
    const counts = this.counts;
    counts.events++;
    if (visitor.typeIndex < 0) {
      counts.botEvents++;
      this.faults.bots.events++;
    } else counts.humanEvents++;
    if (visitor.skewMs !== 0) this.faults.clockSkew.events++;
    if (pending.time < counts.firstEventAt) counts.firstEventAt = pending.time;
    if (pending.time > counts.lastEventAt) counts.lastEventAt = pending.time;
    if (pending.fault === 'late') {
      this.faults.late.count++;
      this.faults.late.messageIds.push(record.messageId);
    } else if (pending.fault === 'outOfOrder') {
      this.faults.outOfOrder.count++;
      this.faults.outOfOrder.messageIds.push(record.messageId);
    }
    if (pending.seq < visitor.deliveredSeq) this.faults.deliveredOutOfSeqOrder++;
    else visitor.deliveredSeq = pending.seq;
    this.conversion(record.payload);
  }

  /**
   * Ends the run. `undelivered` holds the messageIds of events still queued when a live run
   * stopped: their sessions are incomplete and say so. Sessions with nothing delivered vanish.
   */
  finish(undelivered: ReadonlySet<string>): void {
    if (this.finished !== undefined) return;
    this.finished = [];
    for (const run of this.runs) {
      if (run.delivered === 0) continue;
      const truth = run.truth;
      if (run.delivered < run.generated) {
        truth.truncated = true;
        truth.next = 'open';
        truth.nextChannel = null;
        const kept = truth.messageIds.filter((id) => !undelivered.has(id));
        truth.messageIds.length = 0;
        truth.messageIds.push(...kept);
      }
      this.finished.push(truth);
    }
  }

  /** Sessions with at least one delivered event, in start order. */
  get sessions(): readonly SessionTruth[] {
    return this.finished ?? this.runs.filter((r) => r.delivered > 0).map((r) => r.truth);
  }

  private visitorSeen(visitor: Visitor): void {
    this.counts.visitors++;
    if (visitor.typeIndex < 0) this.faults.bots.visitors++;
    else {
      this.counts.humanVisitors++;
      this.visitorsByType[visitor.typeIndex] = (this.visitorsByType[visitor.typeIndex] ?? 0) + 1;
    }
    if (visitor.skewMs !== 0) {
      const skew = this.faults.clockSkew;
      const key = String(visitor.skewMs);
      skew.visitors++;
      skew.byOffsetMs[key] = (skew.byOffsetMs[key] ?? 0) + 1;
      skew.skewedVisitors.push({ visitor: visitor.anonymousId, offsetMs: visitor.skewMs });
    }
  }

  private sessionSeen(run: SessionRun): void {
    this.counts.sessions++;
    if (run.truth.bot) {
      this.faults.bots.sessions++;
      return;
    }
    this.counts.humanSessions++;
    const k = run.visitor.typeIndex * CHANNELS.length + run.channel;
    this.componentSessions[k] = (this.componentSessions[k] ?? 0) + 1;
  }

  /** Counts a delivered conversion event (the data decides, not the plan). */
  private conversion(payload: Record<string, unknown> | string): void {
    if (typeof payload === 'string' || payload['type'] !== 'track') return;
    const event = payload['event'];
    if (typeof event !== 'string' || !CONVERSION_EVENTS.has(event)) return;
    const counts = this.counts;
    counts.conversions++;
    counts.conversionsByEvent[event] = (counts.conversionsByEvent[event] ?? 0) + 1;
    const properties = payload['properties'] as { revenue?: unknown; currency?: unknown };
    if (typeof properties.revenue === 'number' && typeof properties.currency === 'string') {
      const total = (counts.revenueByCurrency[properties.currency] ?? 0) + properties.revenue;
      counts.revenueByCurrency[properties.currency] = Math.round(total * 100) / 100;
    }
  }
}
