import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { paced } from './pacing.js';
import type { SimulatedEvent } from './simulated-event.js';

function record(sendAt: number): SimulatedEvent {
  return {
    site: 's',
    writeKey: 'k',
    ip: '1.2.3.4',
    visitor: 'v',
    messageId: String(sendAt),
    kind: 'event',
    payload: {},
    sendAt,
  };
}

async function waits(
  records: SimulatedEvent[],
  pacing: Parameters<typeof paced>[1],
  clock: ManualClock,
): Promise<number[]> {
  const out: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    out.push(ms);
    clock.advance(ms);
  };
  for await (const _ of paced(records, pacing, { clock, sleep })) {
    // consume
  }
  return out;
}

describe('paced', () => {
  it('sends each record at its sendAt by the wall clock', async () => {
    const clock = new ManualClock(0);
    expect(
      await waits(
        [record(1000), record(1000), record(1500), record(3000)],
        { mode: 'send-at' },
        clock,
      ),
    ).toEqual([1000, 500, 1500]);
  });

  it('never waits for records already due', async () => {
    const clock = new ManualClock(10_000);
    expect(await waits([record(1000), record(9000)], { mode: 'send-at' }, clock)).toEqual([]);
  });

  it('spaces records evenly at a fixed rate', async () => {
    const clock = new ManualClock(0);
    expect(
      await waits(
        [record(0), record(0), record(0), record(0)],
        { mode: 'rate', perSecond: 10 },
        clock,
      ),
    ).toEqual([100, 100, 100]);
  });

  it('does not wait at all without pacing', async () => {
    const clock = new ManualClock(0);
    expect(await waits([record(5000)], { mode: 'none' }, clock)).toEqual([]);
  });
});
