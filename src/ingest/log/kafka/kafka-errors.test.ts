import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PathcastError, StateError, TransientError, ValidationError } from '../../../core/index.js';
import {
  isMembershipLost,
  isProducerOutOfStep,
  isRebalanceInProgress,
  kafkaErrorType,
  toAdminError,
  toCommitError,
  toProduceError,
} from './kafka-errors.js';

const {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} = kafkajs;

/** A broker error as kafkajs builds it from an error code. */
function protocolError(
  type: string,
  retriable: boolean,
): InstanceType<typeof KafkaJSProtocolError> {
  return new KafkaJSProtocolError(
    Object.assign(new Error(`broker says ${type}`), { type, retriable }),
  );
}

function retriesExceeded(cause: Error): InstanceType<typeof KafkaJSNumberOfRetriesExceeded> {
  // kafkajs's own constructor reads these two from its second argument.
  return new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 1_000 });
}

describe('kafkaErrorType', () => {
  it('finds the broker error type through kafkajs wrappers', () => {
    const inner = protocolError('MESSAGE_TOO_LARGE', false);
    expect(kafkaErrorType(inner)).toBe('MESSAGE_TOO_LARGE');
    expect(kafkaErrorType(retriesExceeded(inner))).toBe('MESSAGE_TOO_LARGE');
    expect(kafkaErrorType(new Error('plain'))).toBeUndefined();
    expect(kafkaErrorType(undefined)).toBeUndefined();
    expect(kafkaErrorType('REBALANCE_IN_PROGRESS')).toBeUndefined();
  });

  it('stops on a cyclic cause chain', () => {
    const a: { cause?: unknown } = {};
    const b: { cause?: unknown } = { cause: a };
    a.cause = b;
    expect(kafkaErrorType(a)).toBeUndefined();
  });

  it.each([
    ['REBALANCE_IN_PROGRESS', true, false],
    ['ILLEGAL_GENERATION', false, true],
    ['UNKNOWN_MEMBER_ID', false, true],
    ['NOT_COORDINATOR', false, false],
  ])('%s: rebalance in progress %s, membership lost %s', (type, rebalancing, lost) => {
    const error = retriesExceeded(protocolError(type, false));
    expect(isRebalanceInProgress(error)).toBe(rebalancing);
    expect(isMembershipLost(error)).toBe(lost);
  });

  it.each(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'])(
    '%s puts the idempotent producer out of step',
    (type) => {
      expect(isProducerOutOfStep(protocolError(type, false))).toBe(true);
    },
  );

  it('keeps an ordinary outage apart from a producer out of step', () => {
    expect(isProducerOutOfStep(new KafkaJSConnectionError('connect ECONNREFUSED'))).toBe(false);
  });
});

describe('toProduceError', () => {
  it.each([
    ['connection refused', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')],
    ['request timeout', new KafkaJSRequestTimeoutError('Request produce(key: 0) timed out')],
    ['retries exhausted', retriesExceeded(protocolError('NOT_LEADER_FOR_PARTITION', true))],
    ['unknown topic', protocolError('UNKNOWN_TOPIC_OR_PARTITION', true)],
    ['something else', new Error('socket hang up')],
  ])('%s is log_unavailable, retriable, with the cause kept', (_name, cause) => {
    const error = toProduceError(cause, 'events');
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'log_unavailable', retriable: true, cause });
    expect(error.message).toContain('events');
  });

  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD'])(
    '%s rejects the records: not retriable',
    (type) => {
      const error = toProduceError(retriesExceeded(protocolError(type, false)), 'events');
      expect(error).toBeInstanceOf(PathcastError);
      expect(error).toMatchObject({ code: 'log_record_rejected', retriable: false });
      expect((error as PathcastError).details).toMatchObject({ topic: 'events', type });
    },
  );

  it('lets bugs and our own errors through untouched', () => {
    const bug = new TypeError('x is not a function');
    expect(toProduceError(bug, 'events')).toBe(bug);
    const ours = new ValidationError('too_big', 'nope');
    expect(toProduceError(ours, 'events')).toBe(ours);
  });
});

describe('toCommitError and toAdminError', () => {
  it.each(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS'])(
    'a commit refused with %s means the partition is not ours any more',
    (type) => {
      const error = toCommitError(protocolError(type, false), 'events', 3);
      expect(error).toBeInstanceOf(StateError);
      expect(error).toMatchObject({ code: 'partition_not_owned', details: { partition: 3 } });
    },
  );

  it('any other commit failure is a retriable commit_failed', () => {
    const error = toCommitError(new KafkaJSConnectionError('gone'), 'events', 1);
    expect(error).toMatchObject({ code: 'commit_failed', retriable: true });
  });

  it('admin failures are log_unavailable', () => {
    expect(toAdminError(new KafkaJSConnectionError('gone'), 'creating topics')).toMatchObject({
      code: 'log_unavailable',
      message: expect.stringContaining('creating topics'),
    });
  });
});
