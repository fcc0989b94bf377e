import {
  counter,
  toError,
  type Lifecycle,
  type Logger,
  type SessionClosed,
  type SessionUpdate,
} from '../core/index.js';
import type { EventLog, ProducerRecord } from '../ingest/index.js';
import { encodeModelInput, type FeatureContext, type SessionLabeller } from '../scoring/index.js';

export interface ModelInputsOptions {
  /**
   * Closed sessions waiting for the log (a broker outage); beyond, the oldest are dropped and
   * counted in pathcast_model_inputs_produced_total, and the model never counts them. Default
   * 200,000.
   */
  readonly maxPending?: number;
  /** Wait before producing again after a failed produce. Default 1 s. */
  readonly retryMs?: number;
}

export interface ModelInputsDeps {
  readonly log: EventLog;
  /** The model-inputs topic (`topicNames(prefix).modelInputs`), created beforehand. */
  readonly topic: string;
  /** Built with `countPaths: false`: the trainer role counts what is shipped. */
  readonly labeller: SessionLabeller;
  readonly logger: Logger;
}

const inputsProduced = counter(
  'pathcast_model_inputs_produced_total',
  'Closed sessions this process shipped to the model-inputs topic, by outcome (sent, dropped).',
  ['outcome'],
);

/** Most bytes in one produce call: well under the broker's 1 MiB record-batch default. */
const MAX_REQUEST_BYTES = 512 * 1024;

interface PendingInput {
  readonly record: ProducerRecord;
  readonly bytes: number;
}

/**
 * The scorer's side of learning in the distributed shape: the process that sessionizes samples
 * and labels prefixes (SessionLabeller) and ships each closed session that counts (not a bot's,
 * not one merged into another) with its labelled prefixes, if any, keyed by session id, to the
 * model-inputs topic, where the one trainer role counts and learns it. It learns nothing
 * locally; the model it scores with arrives from the models topic.
 *
 * One record per session, not count deltas summed over many: sessions have ids that a replay
 * gives again (the sessionizer is deterministic), so the trainer counts a session once however
 * often it arrives. A process that crashes closes again, from its partitions' checkpoints, the
 * sessions it had closed and shipped since; the trainer skips them, and the model's counts equal
 * those of a run without the crash (DESIGN.md, Recovery). The channel journeys (a visitor's
 * sessions in a row) are followed by the trainer too, which sees every visitor's sessions.
 *
 * Produces are batched, one in flight, never blocking the pipeline; a failed produce is retried
 * after retryMs with the same records first, so a short broker outage loses nothing. Beyond
 * maxPending waiting records the oldest are dropped and counted.
 *
 * NOTE: the prefixes sampled before a crash of sessions still open then are lost (the sampler's
 * state is not in the checkpoints): the replayed session ships with the prefixes sampled after.
 */
export class ModelInputsShipper implements Lifecycle {
  private readonly deps: ModelInputsDeps;
  private readonly maxPending: number;
  private readonly retryMs: number;
  private readonly logger: Logger;
  private pending: PendingInput[] = [];
  private inFlight: Promise<void> | undefined;
  private scheduled = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Callers of flush waiting for the shipper to be idle. */
  private flushes: Array<() => void> = [];

  constructor(deps: ModelInputsDeps, options: ModelInputsOptions = {}) {
    this.deps = deps;
    this.maxPending = options.maxPending ?? 200_000;
    this.retryMs = options.retryMs ?? 1_000;
    this.logger = deps.logger.child({ component: 'model_inputs' });
  }

  async start(): Promise<void> {}

  /**
   * Resolves once every session taken so far is produced (or dropped beyond maxPending, or the
   * shipper closed): the pipeline awaits it before each checkpoint, so no checkpoint covers a
   * session a crash could then lose. Through a broker outage it waits, as storage does.
   */
  flush(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.flushes.push(resolve));
  }

  /** Waits until every waiting record is produced (or fails). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // One attempt more for what is left; after a failure on the way out it is counted dropped.
    while (this.inFlight !== undefined || this.pending.length > 0) {
      const before = this.pending.length;
      this.drain();
      await this.inFlight;
      if (this.pending.length >= before && this.inFlight === undefined) break;
    }
    const dropped = this.pending.splice(0).length;
    if (dropped > 0) inputsProduced.inc({ outcome: 'dropped' }, dropped);
    this.settleFlushes();
  }

  private idle(): boolean {
    return this.pending.length === 0 && this.inFlight === undefined;
  }

  private settleFlushes(): void {
    if (!this.idle()) return;
    for (const resolve of this.flushes.splice(0)) resolve();
  }

  onUpdate(update: SessionUpdate, context: FeatureContext): void {
    this.deps.labeller.onUpdate(update, context);
  }

  onClosed(closed: SessionClosed): void {
    const labeller = this.deps.labeller;
    const outcome = labeller.onClosed(closed);
    if (!outcome.counted) return;
    const { session } = closed;
    const value = Buffer.from(
      encodeModelInput({
        kind: 'closed',
        session,
        bits: outcome.labelled?.bits ?? labeller.bits,
        prefixes: outcome.labelled?.prefixes ?? [],
      }),
    );
    this.enqueue({ record: { key: session.id, value }, bytes: value.length });
  }

  private enqueue(input: PendingInput): void {
    if (this.closed) {
      inputsProduced.inc({ outcome: 'dropped' });
      return;
    }
    this.pending.push(input);
    this.dropBeyondBound();
    if (!this.scheduled && this.inFlight === undefined && this.retryTimer === undefined) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    }
  }

  /** Drops the oldest waiting records beyond maxPending (their sessions go uncounted). */
  private dropBeyondBound(): void {
    const excess = this.pending.length - this.maxPending;
    if (excess <= 0) return;
    this.pending.splice(0, excess);
    inputsProduced.inc({ outcome: 'dropped' }, excess);
  }

  /** Produces the oldest waiting records, one call at a time, until nothing is left. */
  private drain(): void {
    if (this.inFlight !== undefined || this.pending.length === 0) return;
    let bytes = 0;
    let count = 0;
    while (count < this.pending.length) {
      const next = this.pending[count] as PendingInput;
      if (count > 0 && bytes + next.bytes > MAX_REQUEST_BYTES) break;
      bytes += next.bytes;
      count++;
    }
    const batch = this.pending.splice(0, count);
    this.inFlight = this.deps.log
      .produce(
        this.deps.topic,
        batch.map((input) => input.record),
      )
      .then(
        () => {
          inputsProduced.inc({ outcome: 'sent' }, batch.length);
          this.inFlight = undefined;
          this.drain();
          this.settleFlushes();
        },
        (error: unknown) => {
          this.logger.warn('model_inputs_produce_failed', {
            records: batch.length,
            err: toError(error),
          });
          // Back to the front, in order: sessions are not lost to a short outage.
          this.pending.unshift(...batch);
          this.dropBeyondBound();
          this.inFlight = undefined;
          if (this.closed) return;
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.drain();
          }, this.retryMs);
          this.retryTimer.unref();
        },
      );
  }
}
