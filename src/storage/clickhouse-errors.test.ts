import { describe, expect, it } from 'vitest';
import { ClickHouseError } from '@clickhouse/client';
import { PathcastError, ValidationError } from '../core/index.js';
import { clickHouseErrorCode, isRetriableClickHouseError } from './clickhouse-errors.js';

const withCode = (message: string, code: string): Error =>
  Object.assign(new Error(message), { code });

describe('ClickHouse errors', () => {
  it.each([
    ['18.16 shape', new Error('Code: 252, e.displayText() = DB::Exception: Too many parts'), 252],
    [
      'current shape',
      new ClickHouseError({ message: 'x', code: '241', type: 'MEMORY_LIMIT_EXCEEDED' }),
      241,
    ],
    ['no code', new Error('something else'), undefined],
    ['not an error', 'Code: 1, text', undefined],
  ])('reads the code of the %s', (_name, error, code) => {
    expect(clickHouseErrorCode(error)).toBe(code);
  });

  it.each([
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), true],
    ['reset', withCode('socket hang up', 'ECONNRESET'), true],
    ['client timeout', new Error('Timeout error.'), true],
    [
      'too many parts (18.16)',
      new Error('Code: 252, e.displayText() = DB::Exception: Too many parts'),
      true,
    ],
    [
      'memory limit',
      new ClickHouseError({ message: 'x', code: '241', type: 'MEMORY_LIMIT_EXCEEDED' }),
      true,
    ],
    ['syntax error', new Error('Code: 62, e.displayText() = DB::Exception: Syntax error'), false],
    [
      'unknown column',
      new ClickHouseError({ message: 'x', code: '16', type: 'NO_SUCH_COLUMN_IN_TABLE' }),
      false,
    ],
    ['type mismatch', new Error('Code: 53, e.displayText() = DB::Exception: Type mismatch'), false],
    ['a programmer error', new TypeError('x is undefined'), false],
    ['our own retriable error', new PathcastError('x', 'y', { retriable: true }), true],
    ['our own validation error', new ValidationError('x', 'y'), false],
    [
      'a wrapped refusal',
      new Error('insert failed', { cause: withCode('refused', 'ECONNREFUSED') }),
      true,
    ],
  ])('%s is retriable: %s', (_name, error, retriable) => {
    expect(isRetriableClickHouseError(error)).toBe(retriable);
  });
});
