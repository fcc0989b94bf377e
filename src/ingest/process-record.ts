import { VERSION, ok, type ClickEvent, type Clock, type Ok } from '../core/index.js';
import type { Enricher } from './enrich/index.js';
import { decodeEnvelope } from './envelope.js';
import { failedEvent, type FailedEvent } from './failed/index.js';
import { normalizeSegmentEvent } from './segment/normalize.js';

/** Where a record was read from; failed events keep it for replay. */
export interface RecordSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: Buffer | string;
}

/** An event ready for the sessionizer, or the failed event to store instead. */
export type ProcessOutcome = Ok<ClickEvent> | { readonly ok: false; readonly failed: FailedEvent };

export type EventProcessor = (record: RecordSource) => ProcessOutcome;

export interface EventProcessorDeps {
  readonly enricher: Enricher;
  readonly clock: Clock;
}

/**
 * Turns one record of the events topic into a ClickEvent, or into a failed event with its
 * reason. Never throws, whatever the record holds: a poison message must not stop a partition.
 */
export function createEventProcessor(deps: EventProcessorDeps): EventProcessor {
  return (record) => {
    const source = { topic: record.topic, partition: record.partition, offset: record.offset };
    const failWith = (
      reason: FailedEvent['reason'],
      message: string,
      site: string,
      payload: unknown,
      id: string | null = null,
    ): ProcessOutcome => ({
      ok: false,
      failed: failedEvent({
        reason,
        message,
        stage: 'processor',
        site,
        payload,
        id,
        failedAt: deps.clock.now(),
        source,
      }),
    });

    const envelope = decodeEnvelope(record.value);
    if (!envelope.ok) {
      const text = typeof record.value === 'string' ? record.value : record.value.toString('utf8');
      return failWith('poison_message', envelope.reason, '', text);
    }
    const { site, receivedAt, sentAt, event } = envelope.value;
    const normalized = normalizeSegmentEvent(event, { site, receivedAt, sentAt });
    if (!normalized.ok) {
      return failWith(normalized.code, normalized.reason, site, event, messageIdOf(event));
    }
    const { base, inputs } = normalized.value;
    const enriched = deps.enricher.enrich({
      type: base.type,
      name: base.name,
      url: base.url,
      referrer: base.referrer,
      userAgent: inputs.userAgent,
      ip: inputs.ip,
      campaign: inputs.campaign,
      properties: inputs.properties,
    });
    if (!enriched.ok) return failWith('enrichment_failed', enriched.reason, site, event, base.id);
    const enrichment = enriched.value;
    // The collector resolved the IP already when it was the producer (and dropped the raw IP).
    const geo =
      inputs.ip === ''
        ? { country: envelope.value.country, ipPrefix: envelope.value.ipPrefix }
        : {};
    return ok({ ...base, ...enrichment, ...geo, processorVersion: VERSION });
  };
}

function messageIdOf(event: unknown): string | null {
  const id = (event as { messageId?: unknown } | null)?.messageId;
  return typeof id === 'string' && id !== '' ? id : null;
}
