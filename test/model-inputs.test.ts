import { beforeAll, describe, expect, it } from 'vitest';
import { TransientError, silentLogger } from '../src/core/index.js';
import { MemoryEventLog, type EventLog, type ProducerRecord } from '../src/ingest/index.js';
import {
  SessionLabeller,
  createFeatureHasher,
  decodeModelInput,
  resolveTrainerConfig,
  type FeatureHasher,
  type ModelInput,
} from '../src/scoring/index.js';
import { SessionBuilder } from '../src/scoring/testing/session-builder.js';
import { pollUntil } from './polling.js';
import { ModelInputsShipper } from '../src/runtime/model-inputs.js';

const TOPIC = 't.model-inputs';

let hasher: FeatureHasher;
beforeAll(async () => {
  hasher = await createFeatureHasher({ bits: 16 });
});

/** A log whose produce fails the first `failures` calls, recording what it was given. */
function flakyLog(failures: number): {
  log: EventLog;
  produced: ProducerRecord[];
  calls(): number;
} {
  const produced: ProducerRecord[] = [];
  let calls = 0;
  const inner = new MemoryEventLog({}, { logger: silentLogger });
  const log: EventLog = Object.assign(Object.create(inner) as EventLog, {
    produce: async (_topic: string, records: readonly ProducerRecord[]): Promise<void> => {
      calls++;
      if (calls <= failures) throw new TransientError('log_unavailable', 'broker down');
      produced.push(...records);
    },
  });
  return { log, produced, calls: () => calls };
}

function decoded(record: ProducerRecord): ModelInput {
  const input = decodeModelInput(record.value as Buffer);
  if (!input.ok) throw new Error(input.reason);
  return input.value;
}

function ship(shipper: ModelInputsShipper, n: number, converts: boolean): void {
  const builder = new SessionBuilder({ id: `s${n}`, visitor: `v${n}` });
  shipper.onUpdate(builder.event({ at: 1, page: '/home' }), { markovProbability: 0.1 });
  shipper.onUpdate(builder.event({ at: 2, page: '/cart' }), { markovProbability: 0.1 });
  if (converts)
    shipper.onUpdate(builder.event({ at: 3, conversion: true }), { markovProbability: 0.1 });
  shipper.onClosed(builder.close());
}

describe('ModelInputsShipper', () => {
  it('ships labelled sessions keyed by id and deltas, and retries through an outage in order', async () => {
    const { log, produced, calls } = flakyLog(2);
    const shipper = new ModelInputsShipper(
      {
        log,
        topic: TOPIC,
        labeller: new SessionLabeller(resolveTrainerConfig(), { hasher }),
        instanceId: 'p1',
        logger: silentLogger,
      },
      { deltaIntervalMs: 60_000, retryMs: 10 },
    );
    await shipper.start();
    ship(shipper, 1, true);
    ship(shipper, 2, false);
    shipper.onClosed(new SessionBuilder({ id: 'bot', isBot: true }).close()); // nothing to ship
    await pollUntil(
      'both sessions, after two failed produces',
      () => (produced.length >= 2 ? true : undefined),
      {
        timeoutMs: 5_000,
      },
    );
    expect(calls()).toBeGreaterThanOrEqual(3);
    expect(produced.map((r) => r.key)).toEqual(['s1', 's2']);
    const first = decoded(produced[0] as ProducerRecord);
    expect(first).toMatchObject({ kind: 'labelled', session: { sessionId: 's1', bits: 16 } });
    if (first.kind !== 'labelled') throw new Error('labelled expected');
    expect(first.session.prefixes.map((p) => [p.eventCount, p.label])).toEqual([
      [1, 1],
      [2, 1],
      [3, 0],
    ]);
    // Close ships the counts of both sessions as one delta record, and nothing after.
    await shipper.close();
    await shipper.close();
    expect(produced).toHaveLength(3);
    const last = produced[2] as ProducerRecord;
    expect(last.key).toBe('deltas.p1');
    const deltas = decoded(last);
    if (deltas.kind !== 'deltas') throw new Error('deltas expected');
    // Its id: the instance, this shipper's run, the record's number (the trainer skips repeats).
    expect(deltas.id).toMatch(/^p1\/[0-9a-f]{12}\/0$/);
    // start -> /home for both sessions.
    expect(deltas.deltas.pageFlow?.edges.weight[0]).toBe(2);
    ship(shipper, 3, false);
    expect(produced).toHaveLength(3);
  });
});
