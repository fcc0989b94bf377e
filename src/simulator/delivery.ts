import { eventHead, stampedText } from './event-text.js';
import { isoTime } from './iso-time.js';
import { malformedRecord, type MalformedKind } from './malformed.js';
import type { MinHeap } from './min-heap.js';
import type { SimulationConfig } from './options.js';
import type { Random } from './prng.js';
import type { SimulatedEvent } from './simulated-event.js';
import type { SessionRun } from './session-run.js';
import type { Visitor } from './visitor.js';

export type DeliveryFault = 'none' | 'late' | 'outOfOrder';

/**
 * A record waiting in the delivery queue. The truth is recorded when it leaves, so a run that
 * stops early (live timing) reports exactly what was sent.
 */
export interface PendingRecord {
  readonly record: SimulatedEvent;
  /** properties.seq of the event; -1 for malformed records. */
  readonly seq: number;
  readonly visitor: Visitor;
  /** The session an event or duplicate belongs to; undefined for malformed records. */
  readonly run: SessionRun | undefined;
  /** True event time. */
  readonly time: number;
  readonly fault: DeliveryFault;
  readonly malformedKind: MalformedKind | undefined;
}

const MINUTE = 60_000;

/**
 * Decides when each generated event reaches the collector and stamps its times the way a
 * Segment client would: `timestamp` and `sentAt` by the device's clock (skewed for some
 * visitors), `receivedAt` by the collector's (historical timing only; a live collector stamps
 * its own). Because skew shifts both client times equally, timestamp + (receivedAt - sentAt)
 * is the true event time. Faults are drawn from their own random stream, so they never change
 * the traffic itself.
 *
 * Writers create payloads with placeholder `timestamp`, `sentAt`, `receivedAt` and `writeKey`
 * fields, so stamping fills existing fields and objects keep one shape (they serialise faster);
 * `receivedAt` stays undefined, so absent from JSON, in live timing. With the context's JSON
 * (shared by a page view's events) it also writes each record's text (see event-text.ts).
 */
export class Delivery {
  private readonly config: SimulationConfig;
  private readonly random: Random;
  private readonly queue: MinHeap<PendingRecord>;
  private readonly stampReceivedAt: boolean;

  constructor(config: SimulationConfig, random: Random, queue: MinHeap<PendingRecord>) {
    this.config = config;
    this.random = random;
    this.queue = queue;
    this.stampReceivedAt = config.timing === 'historical';
  }

  /** Queues an event of `run` that happened at `time` (true time), with its faults. */
  deliver(run: SessionRun, time: number, payload: Record<string, unknown>, context: string): void {
    const { random, config } = this;
    const visitor = run.visitor;
    const faults = config.faults;
    const messageId = payload['messageId'] as string;
    const seq = (payload['properties'] as { seq: number }).seq;
    // Browsers send within a second or two of the event.
    let delay = 50 + random.int(1450);
    let fault: DeliveryFault = 'none';
    if (random.chance(faults.late)) {
      delay = Math.round(random.uniform(config.lateMaxMinutes / 6, config.lateMaxMinutes) * MINUTE);
      fault = 'late';
    } else if (random.chance(faults.outOfOrder)) {
      delay += Math.round(random.uniform(5_000, config.maxShuffleMinutes * MINUTE));
      fault = 'outOfOrder';
    }
    const sendAt = time + delay;
    const skew = visitor.skewMs;
    const writeKey = visitor.site.writeKey;
    const timestamp = isoTime(time + skew);
    const sentAt = isoTime(sendAt + skew);
    const receivedAt = this.stampReceivedAt ? isoTime(sendAt) : undefined;
    payload['timestamp'] = timestamp;
    payload['sentAt'] = sentAt;
    payload['receivedAt'] = receivedAt;
    payload['writeKey'] = writeKey;
    const head = eventHead(payload, context);
    const text = stampedText(head, timestamp, sentAt, receivedAt, writeKey);
    this.push(run, 'event', messageId, payload, text, sendAt, seq, time, fault);

    if (random.chance(faults.duplicate)) {
      // A client retry after a lost response: same messageId, re-sent (so a new sentAt) later.
      const again = sendAt + 1_000 + random.int(119_000);
      const againSentAt = isoTime(again + skew);
      const againReceivedAt = this.stampReceivedAt ? isoTime(again) : undefined;
      const copy = { ...payload, sentAt: againSentAt, receivedAt: againReceivedAt };
      const copyText = stampedText(head, timestamp, againSentAt, againReceivedAt, writeKey);
      this.push(run, 'duplicate', messageId, copy, copyText, again, seq, time, 'none');
    }
    if (random.chance(faults.malformed)) {
      const bad = malformedRecord(random, visitor.anonymousId, isoTime(time + skew));
      const at = sendAt + random.int(1000);
      this.queue.push(at, {
        record: {
          site: visitor.site.id,
          writeKey: visitor.site.writeKey,
          ip: visitor.ip,
          visitor: bad.kind === 'missing_ids' ? '' : visitor.anonymousId,
          messageId: bad.messageId,
          kind: 'malformed',
          payload: bad.text,
          text: bad.text,
          sendAt: at,
        },
        seq: -1,
        visitor,
        run: undefined,
        time,
        fault: 'none',
        malformedKind: bad.kind,
      });
    }
  }

  private push(
    run: SessionRun,
    kind: 'event' | 'duplicate',
    messageId: string,
    payload: Record<string, unknown>,
    text: string,
    sendAt: number,
    seq: number,
    time: number,
    fault: DeliveryFault,
  ): void {
    const visitor = run.visitor;
    this.queue.push(sendAt, {
      record: {
        site: visitor.site.id,
        writeKey: visitor.site.writeKey,
        ip: visitor.ip,
        visitor: visitor.anonymousId,
        messageId,
        kind,
        payload,
        text,
        sendAt,
      },
      seq,
      visitor,
      run,
      time,
      fault,
      malformedKind: undefined,
    });
  }
}
