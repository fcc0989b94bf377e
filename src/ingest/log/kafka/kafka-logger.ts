import kafkajs, { type LogEntry, type logCreator } from 'kafkajs';
import type { LogFields, Logger } from '../../../core/index.js';

const { logLevel } = kafkajs;

/** Fields of a kafkajs log entry worth keeping: small scalars that name what happened. */
const KEPT_FIELDS = new Set([
  'groupId',
  'memberId',
  'topic',
  'partition',
  'broker',
  'clientId',
  'error',
  'retryCount',
  'retryTime',
  'generationId',
  'offset',
]);

/**
 * Routes kafkajs's own logging into our Logger as `kafkajs_log` events.
 *
 * Quiet by design: kafkajs logs every retry and every reconnect as an error, and joins and
 * commits at info. What matters reaches our logs through our own events (produce failures,
 * consumer crashes, partition changes), with context; so kafkajs errors and warnings become
 * warnings, and its info and debug lines debug.
 */
export function createLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () => (entry: LogEntry) => {
    const fields = kafkaLogFields(entry);
    if (entry.level === logLevel.ERROR || entry.level === logLevel.WARN) {
      child.warn('kafkajs_log', fields);
    } else {
      child.debug('kafkajs_log', fields);
    }
  };
}

/** The fields of one kafkajs entry: namespace, message and the kept scalars. Pure. */
export function kafkaLogFields(entry: LogEntry): LogFields {
  const fields: Record<string, unknown> = {
    namespace: entry.namespace,
    message: entry.log.message,
  };
  for (const [name, value] of Object.entries(entry.log)) {
    if (!KEPT_FIELDS.has(name)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      fields[name] = value;
    }
  }
  return fields;
}
