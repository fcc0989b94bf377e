import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { recordText, type EventSink } from './event-sink.js';

/** Lines are gathered into chunks of about this many characters before a stream write. */
const CHUNK_CHARS = 256 * 1024;

export interface NdjsonSinkOptions {
  /** Leave the stream open on close (stdout). Default: end it when this sink opened it. */
  readonly keepOpen?: boolean;
}

/**
 * One record per line: the Segment event as JSON, or a malformed record's raw text. Writes go
 * out in large chunks and wait for `drain` when the stream's buffer is full, so a run of
 * millions of events streams at disk speed in bounded memory.
 */
export function createNdjsonSink(
  target: string | Writable,
  options: NdjsonSinkOptions = {},
): EventSink {
  const ownStream = typeof target === 'string';
  const stream: Writable = ownStream ? createWriteStream(target) : target;
  const keepOpen = options.keepOpen ?? !ownStream;
  let failure: Error | undefined;
  const onError = (error: Error): void => {
    failure ??= error;
  };
  stream.on('error', onError);
  let chunk = '';
  let closing: Promise<void> | undefined;

  const flush = (): Promise<void> | undefined => {
    if (failure !== undefined) return Promise.reject(failure);
    if (chunk === '') return undefined;
    const ok = stream.write(chunk);
    chunk = '';
    return ok ? undefined : drained();
  };
  const drained = async (): Promise<void> => {
    // once() rejects if the stream emits 'error' while waiting.
    await once(stream, 'drain');
    if (failure !== undefined) throw failure;
  };

  return {
    write(record) {
      if (closing !== undefined) throw new Error('ndjson sink is closed');
      chunk += `${recordText(record)}\n`;
      return chunk.length >= CHUNK_CHARS ? flush() : undefined;
    },
    close() {
      closing ??= (async () => {
        await flush();
        if (!keepOpen) {
          stream.end();
          await finished(stream);
        }
        stream.off('error', onError);
        if (failure !== undefined) throw failure;
      })();
      return closing;
    },
  };
}
