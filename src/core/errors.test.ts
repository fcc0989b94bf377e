import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  PathcastError,
  TransientError,
  ValidationError,
  isProgrammerError,
  isRetriable,
  toError,
} from './errors.js';

describe('isRetriable', () => {
  it.each([
    ['transient error', new TransientError('broker_down', 'x'), true],
    ['validation error', new ValidationError('bad_event', 'x'), false],
    ['config error', new ConfigError('PATHCAST_PORT', 'x'), false],
    ['pathcast error marked retriable', new PathcastError('x', 'x', { retriable: true }), true],
    ['kafkajs-style retriable flag', Object.assign(new Error('x'), { retriable: true }), true],
    [
      'kafkajs-style non-retriable flag',
      Object.assign(new Error('x'), { retriable: false }),
      false,
    ],
    ['connection refused', Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), true],
    ['connection reset', Object.assign(new Error('x'), { code: 'ECONNRESET' }), true],
    ['file not found', Object.assign(new Error('x'), { code: 'ENOENT' }), false],
    ['TypeError even if flagged', Object.assign(new TypeError('x'), { retriable: true }), false],
    ['RangeError', new RangeError('x'), false],
    ['plain Error', new Error('x'), false],
    ['a string', 'boom', false],
    ['null', null, false],
  ])('%s -> %s', (_name, error, expected) => {
    expect(isRetriable(error)).toBe(expected);
  });
});

describe('errors', () => {
  it('keep code, cause and name', () => {
    const cause = new Error('socket closed');
    const error = new TransientError('clickhouse_unavailable', 'insert failed', { cause });
    expect(error.code).toBe('clickhouse_unavailable');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('TransientError');
    expect(error.retriable).toBe(true);
    expect(error).toBeInstanceOf(PathcastError);
  });

  it('name the variable of a configuration error', () => {
    const error = new ConfigError('PATHCAST_PORT', 'expected an integer');
    expect(error.message).toBe('PATHCAST_PORT: expected an integer');
    expect(error.variable).toBe('PATHCAST_PORT');
    expect(error.code).toBe('config_invalid');
  });

  it('tell programmer errors apart', () => {
    expect(isProgrammerError(new TypeError('x'))).toBe(true);
    expect(isProgrammerError(new TransientError('x', 'x'))).toBe(false);
  });

  it('wrap non-errors without losing them', () => {
    const wrapped = toError({ weird: 1 });
    expect(wrapped.message).toContain('{"weird":1}');
    expect(wrapped.cause).toEqual({ weird: 1 });
    const original = new Error('x');
    expect(toError(original)).toBe(original);
  });
});
