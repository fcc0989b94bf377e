import { PathcastError, StateError, TransientError } from '../../core/index.js';

/** Stable codes of event-log errors (matched by the collector, counted in metrics). */
export const LOG_ERROR = {
  /** The log cannot take writes now (broker down, log closing): answer 503, retry later. */
  unavailable: 'log_unavailable',
  /** A bounded log stayed full past the producer's wait: backpressure, answer 503. */
  full: 'log_full',
  /** A record the log refuses whatever the retry (too large for the broker). */
  recordRejected: 'log_record_rejected',
  /** Commit or seek of a partition this member does not own (any more). */
  notOwned: 'partition_not_owned',
  /** Commit or seek outside the partition's retained range. */
  offsetOutOfRange: 'offset_out_of_range',
  /** Produce or consume on a topic ensureTopics never created. */
  unknownTopic: 'unknown_topic',
  /** A commit the broker refused for another reason than ownership. */
  commitFailed: 'commit_failed',
} as const;

export type LogErrorCode = (typeof LOG_ERROR)[keyof typeof LOG_ERROR];

export function logUnavailable(message: string, cause?: unknown): TransientError {
  return new TransientError(LOG_ERROR.unavailable, message, { cause });
}

export function logFull(
  message: string,
  details: Readonly<Record<string, unknown>>,
): TransientError {
  return new TransientError(LOG_ERROR.full, message, { details });
}

export function notOwned(topic: string, partition: number, cause?: unknown): StateError {
  return new StateError(
    LOG_ERROR.notOwned,
    `partition ${topic}/${partition} is not owned by this consumer`,
    { cause, details: { topic, partition } },
  );
}

export function offsetOutOfRange(
  topic: string,
  partition: number,
  offset: number,
  range: { readonly start: number; readonly end: number },
): PathcastError {
  return new PathcastError(
    LOG_ERROR.offsetOutOfRange,
    `offset ${offset} is outside ${topic}/${partition} [${range.start}, ${range.end}]`,
    { details: { topic, partition, offset, ...range } },
  );
}

export function unknownTopic(topic: string): StateError {
  return new StateError(
    LOG_ERROR.unknownTopic,
    `topic ${topic} does not exist; ensureTopics first`,
    {
      details: { topic },
    },
  );
}

/** Offsets must be exact non-negative integers; anything else is a caller bug. */
export function assertOffset(offset: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${offset}`);
  }
}

/** The stable code of a thrown value, for metric labels; 'error' when it has none. */
export function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}
