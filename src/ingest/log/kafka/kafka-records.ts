import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { LogRecord, ProducerRecord } from '../event-log.js';

const EMPTY_VALUE = Buffer.alloc(0);
const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Our record as a kafkajs message; the key is always set, so the partitioner hashes it. */
export function toKafkaMessage(record: ProducerRecord): Message {
  const message: Message = { key: record.key, value: record.value };
  if (record.headers !== undefined) message.headers = { ...record.headers };
  if (record.timestamp !== undefined) message.timestamp = String(record.timestamp);
  return message;
}

/**
 * A fetched kafkajs message as our record. Keys and header values are decoded as UTF-8 (we
 * write them as strings); a header repeated on the wire keeps its first value; a null value (a
 * tombstone on a compacted topic) becomes an empty buffer.
 */
export function toLogRecord(topic: string, partition: number, message: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key === null ? '' : message.key.toString('utf8'),
    value: message.value ?? EMPTY_VALUE,
    headers: message.headers === undefined ? EMPTY_HEADERS : decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

function decodeHeaders(headers: IHeaders): Readonly<Record<string, string>> {
  const names = Object.keys(headers);
  if (names.length === 0) return EMPTY_HEADERS;
  const decoded: Record<string, string> = {};
  for (const name of names) {
    const raw = headers[name];
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first === undefined) continue;
    decoded[name] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return decoded;
}
