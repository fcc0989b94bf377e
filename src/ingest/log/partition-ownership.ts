import { retry, toError, type Logger } from '../../core/index.js';
import type { LogConsumer, PartitionHandler } from './event-log.js';
import { isFatalHandlerError } from './handler-errors.js';
import { partitionEvents } from './log-metrics.js';

export interface OwnershipDeps {
  readonly handler: PartitionHandler;
  /** Handed to the callbacks as `ctx.consumer`. */
  readonly consumer: LogConsumer;
  readonly logger: Logger;
  readonly labels: { readonly transport: string; readonly topic: string; readonly group: string };
  /** Backoff bounds for retrying a failed callback, ms. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

/**
 * The partitions a consumer owns and the handler callbacks that move them, shared by both
 * transports so the contract of event-log.ts is kept the same way:
 * - `assign` owns the partitions first (so the handler may seek and commit), then awaits
 *   onAssigned;
 * - `release('revoked')` awaits onRevoked while the partitions are still owned (commits go
 *   through), `release('lost')` disowns them first (commits are refused) and calls onLost, or
 *   onRevoked when the handler has no onLost;
 * - a callback that throws is retried a few times unless the error is fatal.
 */
export class PartitionOwnership {
  private readonly deps: OwnershipDeps;
  private order: number[] = [];
  private readonly owned = new Set<number>();

  constructor(deps: OwnershipDeps) {
    this.deps = deps;
  }

  has(partition: number): boolean {
    return this.owned.has(partition);
  }

  /** The owned partitions, ascending. */
  list(): readonly number[] {
    return [...this.order];
  }

  get size(): number {
    return this.order.length;
  }

  /** Throws the handler's error when onAssigned keeps failing: the caller must fail then. */
  async assign(partitions: readonly number[]): Promise<void> {
    this.order = [...partitions].sort((a, b) => a - b);
    this.owned.clear();
    for (const partition of this.order) this.owned.add(partition);
    if (partitions.length === 0) return;
    const { handler, consumer } = this.deps;
    const onAssigned = handler.onAssigned;
    if (onAssigned !== undefined) {
      const given = this.list();
      await this.withRetries('assigned', () => onAssigned.call(handler, given, { consumer }));
    }
    this.record('assigned', partitions.length);
  }

  /** Never throws: the partitions go anyway, and their uncommitted work is redone elsewhere. */
  async release(mode: 'revoked' | 'lost'): Promise<void> {
    const partitions = this.list();
    if (partitions.length === 0) return;
    if (mode === 'lost') this.clear();
    const { handler, consumer } = this.deps;
    const callback = mode === 'revoked' ? handler.onRevoked : (handler.onLost ?? handler.onRevoked);
    try {
      if (callback !== undefined) {
        await this.withRetries(mode, () => callback.call(handler, partitions, { consumer }));
      }
    } catch (error) {
      this.deps.logger.error('log_partitions_release_failed', {
        mode,
        partitions,
        err: toError(error),
      });
    } finally {
      this.clear();
    }
    this.record(mode, partitions.length);
  }

  private clear(): void {
    this.owned.clear();
    this.order = [];
  }

  private record(event: 'assigned' | 'revoked' | 'lost', count: number): void {
    partitionEvents.inc({ ...this.deps.labels, event }, count);
  }

  private withRetries(what: string, fn: () => Promise<void>): Promise<void> {
    return retry(fn, {
      retries: 3,
      initialMs: this.deps.retryInitialMs,
      maxMs: this.deps.retryMaxMs,
      isRetriable: (error) => !isFatalHandlerError(error),
      onRetry: (error, attempt, delayMs) =>
        this.deps.logger.warn('log_partition_callback_retry', {
          what,
          attempt,
          delayMs,
          err: error,
        }),
    });
  }
}
