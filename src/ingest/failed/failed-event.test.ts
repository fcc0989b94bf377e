import { describe, expect, it } from 'vitest';
import { registry } from '../../core/index.js';
import { PAYLOAD_LIMIT, failedEvent } from './failed-event.js';

async function count(reason: string, stage: string): Promise<number> {
  const metric = await registry.getSingleMetric('pathcast_failed_events_total')?.get();
  return (
    metric?.values.find((v) => v.labels['reason'] === reason && v.labels['stage'] === stage)
      ?.value ?? 0
  );
}

describe('failedEvent', () => {
  it('keeps reason, size, truncated payload and time, and counts by reason', async () => {
    const before = await count('event_too_large', 'collector');
    const payload = JSON.stringify({ type: 'track', big: 'x'.repeat(40_000) });
    const failed = failedEvent({
      reason: 'event_too_large',
      message: 'event is 40034 bytes; the limit is 32768',
      stage: 'collector',
      site: 'shop',
      payload,
      id: 'm-1',
      failedAt: 1_000,
    });
    expect(failed).toMatchObject({
      id: 'm-1',
      site: 'shop',
      reason: 'event_too_large',
      size: payload.length,
      failedAt: 1_000,
    });
    expect(failed.payload).toHaveLength(PAYLOAD_LIMIT);
    expect(failed.processorVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(await count('event_too_large', 'collector')).toBe(before + 1);
  });

  it('derives a stable id from the payload when the event has none', () => {
    const a = failedEvent({
      reason: 'invalid_json',
      message: 'x',
      stage: 'collector',
      site: 's',
      payload: '{oops',
      failedAt: 1,
    });
    const b = failedEvent({
      reason: 'invalid_json',
      message: 'x',
      stage: 'collector',
      site: 's',
      payload: '{oops',
      failedAt: 2,
    });
    expect(a.id).toBe(b.id);
    expect(a.id).toMatch(/^failed-[0-9a-f]{32}$/);
  });

  it('never stores a raw IP', () => {
    const failed = failedEvent({
      reason: 'schema_violation',
      message: 'x',
      stage: 'processor',
      site: 's',
      payload: { type: 'nope', context: { ip: '198.51.100.23' } },
      failedAt: 1,
      source: { topic: 'events', partition: 3, offset: 99 },
    });
    expect(failed.payload).not.toContain('198.51.100.23');
    expect(failed).toMatchObject({ topic: 'events', partition: 3, offset: 99 });
  });
});
