import { randomBytes } from 'node:crypto';
import {
  counter,
  toError,
  type Lifecycle,
  type Logger,
  type SessionClosed,
  type SessionUpdate,
} from '../core/index.js';
import type { EventLog, ProducerRecord } from '../ingest/index.js';
import {
  encodeModelInput,
  type FeatureContext,
  type MarkovDeltas,
  type SessionLabeller,
} from '../scoring/index.js';

export interface ModelInputsOptions {
  /** How often the chains' count deltas are shipped (and on close). Default 2 s. */
  readonly deltaIntervalMs?: number;
  /** Records waiting for the log; beyond, the oldest labelled sessions are dropped. Default 50,000. */
  readonly maxPending?: number;
  /** Wait before producing again after a failed produce. Default 1 s. */
  readonly retryMs?: number;
}

export interface ModelInputsDeps {
  readonly log: EventLog;
  /** The model-inputs topic (`topicNames(prefix).modelInputs`), created beforehand. */
  readonly topic: string;
  readonly labeller: SessionLabeller;
  /** Keys this process's delta records. */
  readonly instanceId: string;
  readonly logger: Logger;
}

const inputsProduced = counter(
  'pathcast_model_inputs_produced_total',
  'Records this process shipped to the model-inputs topic, by kind (labelled, deltas) and outcome (sent, dropped).',
  ['kind', 'outcome'],
);

/** Most bytes in one produce call: well under the broker's 1 MiB record-batch default. */
const MAX_REQUEST_BYTES = 512 * 1024;

interface PendingInput {
  readonly kind: 'labelled' | 'deltas';
  readonly record: ProducerRecord;
  readonly bytes: number;
}

/**
 * The scorer's side of learning in the distributed shape: the process that sessionizes samples
 * and labels prefixes (SessionLabeller) and ships each closed session's labelled prefixes, keyed
 * by session id, and its chains' count deltas (every deltaIntervalMs and on close) to the
 * model-inputs topic, where the one trainer role learns from them. It learns nothing locally;
 * the model it scores with arrives from the models topic.
 *
 * Produces are batched, one in flight, never blocking the pipeline; a failed produce is retried
 * after retryMs with the same records first, so a short broker outage loses nothing. Beyond
 * maxPending waiting records the oldest labelled sessions are dropped and counted (deltas are
 * kept: a lost delta would be a permanent hole in the counts).
 *
 * Every deltas record carries an id of its own (this shipper's random run id and a sequence
 * number), so one produced twice (a produce that failed after the broker had taken it, then
 * retried) is merged once: the trainer skips an id it merged recently, as it skips sessions.
 *
 * NOTE: inputs are not part of the partition checkpoints. A process that crashes ships again
 * the sessions its partitions replay (the trainer skips the ones it learnt recently) and their
 * counts in a later delta with a new id (counted twice), and loses the labels of prefixes
 * sampled before the crash of sessions still open then.
 */
export class ModelInputsShipper implements Lifecycle {
  private readonly deps: ModelInputsDeps;
  private readonly deltaIntervalMs: number;
  private readonly maxPending: number;
  private readonly retryMs: number;
  private readonly logger: Logger;
  private pending: PendingInput[] = [];
  private inFlight: Promise<void> | undefined;
  private scheduled = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Unique to this shipper: a restarted process with the same instance id gets another. */
  private readonly runId = randomBytes(6).toString('hex');
  private deltaRecords = 0;

  constructor(deps: ModelInputsDeps, options: ModelInputsOptions = {}) {
    this.deps = deps;
    this.deltaIntervalMs = options.deltaIntervalMs ?? 2_000;
    this.maxPending = options.maxPending ?? 50_000;
    this.retryMs = options.retryMs ?? 1_000;
    this.logger = deps.logger.child({ component: 'model_inputs' });
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => this.shipDeltas(), this.deltaIntervalMs);
    this.timer.unref();
  }

  /** Ships the last deltas and waits until every waiting record is produced (or fails). */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.shipDeltas();
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
    for (const input of this.pending.splice(0)) {
      inputsProduced.inc({ kind: input.kind, outcome: 'dropped' });
    }
  }

  onUpdate(update: SessionUpdate, context: FeatureContext): void {
    this.deps.labeller.onUpdate(update, context);
  }

  onClosed(closed: SessionClosed): void {
    const labelled = this.deps.labeller.onClosed(closed).labelled;
    if (labelled === undefined || labelled.prefixes.length === 0) return;
    const value = Buffer.from(encodeModelInput({ kind: 'labelled', session: labelled }));
    this.enqueue({
      kind: 'labelled',
      record: { key: labelled.sessionId, value },
      bytes: value.length,
    });
  }

  /** Exports the chains' deltas and queues them, unless empty. */
  shipDeltas(): void {
    if (this.closed) return;
    const deltas = this.deps.labeller.exportDeltas();
    if (isEmpty(deltas)) return;
    const id = `${this.deps.instanceId}/${this.runId}/${this.deltaRecords++}`;
    const value = Buffer.from(encodeModelInput({ kind: 'deltas', deltas, id }));
    this.enqueue({
      kind: 'deltas',
      record: { key: `deltas.${this.deps.instanceId}`, value },
      bytes: value.length,
    });
  }

  private enqueue(input: PendingInput): void {
    if (this.closed) {
      inputsProduced.inc({ kind: input.kind, outcome: 'dropped' });
      return;
    }
    this.pending.push(input);
    if (this.pending.length > this.maxPending) this.dropOldestLabelled();
    if (!this.scheduled && this.inFlight === undefined && this.retryTimer === undefined) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    }
  }

  private dropOldestLabelled(): void {
    const excess = this.pending.length - this.maxPending;
    let dropped = 0;
    this.pending = this.pending.filter((input) => {
      if (dropped >= excess || input.kind !== 'labelled') return true;
      dropped++;
      return false;
    });
    if (dropped > 0) inputsProduced.inc({ kind: 'labelled', outcome: 'dropped' }, dropped);
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
          for (const input of batch) inputsProduced.inc({ kind: input.kind, outcome: 'sent' });
          this.inFlight = undefined;
          this.drain();
        },
        (error: unknown) => {
          this.logger.warn('model_inputs_produce_failed', {
            records: batch.length,
            err: toError(error),
          });
          // Back to the front, in order: deltas and sessions are not lost to a short outage.
          this.pending.unshift(...batch);
          if (this.pending.length > this.maxPending) this.dropOldestLabelled();
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

function isEmpty(deltas: MarkovDeltas): boolean {
  return deltas.pageFlow.edges.from.length === 0 && deltas.channels.edges.from.length === 0;
}
