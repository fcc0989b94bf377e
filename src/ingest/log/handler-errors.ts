import { isProgrammerError } from '../../core/index.js';

/**
 * Whether an error thrown by a batch handler should stop the consumer rather than have the
 * batch delivered again. The rule is kafkajs's own (its retrier bails on these), so both
 * transports treat a handler's error the same way: a bug, or an error that says
 * `retriable: false`, is fatal; anything else (a database away, a plain Error) is retried.
 */
export function isFatalHandlerError(error: unknown): boolean {
  if (isProgrammerError(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  return (error as { retriable?: unknown }).retriable === false;
}
