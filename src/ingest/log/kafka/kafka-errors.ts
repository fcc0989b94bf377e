import {
  PathcastError,
  StateError,
  TransientError,
  isProgrammerError,
} from '../../../core/index.js';
import { LOG_ERROR, logUnavailable } from '../log-errors.js';

/** Broker error types that reject the records themselves: retrying the same records won't help. */
const RECORD_REJECTED = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'INVALID_REQUIRED_ACKS',
]);

/**
 * Errors after which the idempotent producer's id or sequence numbers are out of step with the
 * broker (typically: a request timed out on our side but was written, retries were bounded, and
 * the next batch reuses its sequence). Only a new producer id gets the producer going again.
 */
const PRODUCER_OUT_OF_STEP = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

/** The member no longer belongs to the generation it thinks: its partitions may be elsewhere. */
const MEMBERSHIP_LOST = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/**
 * The broker's error type (`REBALANCE_IN_PROGRESS`, ...) of a kafkajs error, looking through
 * the wrappers kafkajs adds (NumberOfRetriesExceeded, NonRetriableError) via `cause`.
 */
export function kafkaErrorType(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The group is rebalancing and still waits for this member: it may flush and commit first. */
export function isRebalanceInProgress(error: unknown): boolean {
  return kafkaErrorType(error) === 'REBALANCE_IN_PROGRESS';
}

export function isMembershipLost(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && MEMBERSHIP_LOST.has(type);
}

export function isProducerOutOfStep(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && PRODUCER_OUT_OF_STEP.has(type);
}

/**
 * What produce() throws for a kafkajs failure: `log_record_rejected` when the broker refuses
 * the records themselves, otherwise TransientError `log_unavailable` (broker down, timeouts,
 * leader elections, retries exhausted) — the collector's 503. Bugs pass through untouched.
 */
export function toProduceError(error: unknown, topic: string): Error {
  if (isProgrammerError(error) || error instanceof PathcastError) return error as Error;
  const type = kafkaErrorType(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (type !== undefined && RECORD_REJECTED.has(type)) {
    return new PathcastError(
      LOG_ERROR.recordRejected,
      `kafka rejected records for ${topic}: ${reason}`,
      {
        cause: error,
        retriable: false,
        details: { topic, type },
      },
    );
  }
  return logUnavailable(`kafka did not take records for ${topic}: ${reason}`, error);
}

/** What commit() throws for a kafkajs failure. */
export function toCommitError(error: unknown, topic: string, partition: number): Error {
  if (isProgrammerError(error) || error instanceof PathcastError) return error as Error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isMembershipLost(error) || isRebalanceInProgress(error)) {
    return new StateError(
      LOG_ERROR.notOwned,
      `commit of ${topic}/${partition} refused, the group moved on: ${reason}`,
      { cause: error, details: { topic, partition } },
    );
  }
  return new TransientError(
    LOG_ERROR.commitFailed,
    `commit of ${topic}/${partition} failed: ${reason}`,
    {
      cause: error,
      details: { topic, partition },
    },
  );
}

/** What admin operations (ensureTopics, partitionsFor, lag) throw for a kafkajs failure. */
export function toAdminError(error: unknown, what: string): Error {
  if (isProgrammerError(error) || error instanceof PathcastError) return error as Error;
  const reason = error instanceof Error ? error.message : String(error);
  return logUnavailable(`kafka ${what} failed: ${reason}`, error);
}
