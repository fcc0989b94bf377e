import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { toKafkaMessage, toLogRecord } from './kafka-records.js';

function fetched(overrides: Partial<KafkaMessage>): KafkaMessage {
  return {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    timestamp: '1700000000000',
    attributes: 0,
    offset: '41',
    headers: {},
    ...overrides,
  } as KafkaMessage;
}

describe('toKafkaMessage', () => {
  it('keeps key, value, headers and a timestamp as kafkajs wants them', () => {
    expect(
      toKafkaMessage({ key: 'k', value: 'v', headers: { a: '1' }, timestamp: 1_700_000_000_123 }),
    ).toEqual({ key: 'k', value: 'v', headers: { a: '1' }, timestamp: '1700000000123' });
  });

  it('leaves out what was not given, and copies headers', () => {
    const headers = { a: '1' };
    const message = toKafkaMessage({ key: 'k', value: Buffer.from([1]), headers });
    expect(message).toEqual({ key: 'k', value: Buffer.from([1]), headers: { a: '1' } });
    expect(message.headers).not.toBe(headers);
    expect(toKafkaMessage({ key: 'k', value: 'v' })).toEqual({ key: 'k', value: 'v' });
  });
});

describe('toLogRecord', () => {
  it('decodes offsets, timestamps, keys and headers', () => {
    const record = toLogRecord(
      't',
      2,
      fetched({
        headers: { a: Buffer.from('1'), b: 'two', c: [Buffer.from('x'), 'y'], d: undefined },
      }),
    );
    expect(record).toEqual({
      topic: 't',
      partition: 2,
      offset: 41,
      key: 'k',
      value: Buffer.from('v'),
      headers: { a: '1', b: 'two', c: 'x' },
      timestamp: 1_700_000_000_000,
    });
  });

  it('turns a null key into "" and a tombstone into an empty value', () => {
    const record = toLogRecord('t', 0, fetched({ key: null, value: null }));
    expect(record.key).toBe('');
    expect(record.value.length).toBe(0);
  });

  it('keeps UTF-8 keys intact', () => {
    expect(toLogRecord('t', 0, fetched({ key: Buffer.from('4:démo🙂', 'utf8') })).key).toBe(
      '4:démo🙂',
    );
  });
});
