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
import { ModelInputsShipper, type ModelInputsOptions } from '../src/runtime/model-inputs.js';

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

/** A started shipper on `log`, with a labeller that leaves the counting to the trainer. */
async function shipperOn(
  log: EventLog,
  options: ModelInputsOptions,
): Promise<{ shipper: ModelInputsShipper; labeller: SessionLabeller }> {
  const labeller = new SessionLabeller(resolveTrainerConfig(), { hasher, countPaths: false });
  const shipper = new ModelInputsShipper(
    { log, topic: TOPIC, labeller, logger: silentLogger },
    options,
  );
  await shipper.start();
  return { shipper, labeller };
}

describe('ModelInputsShipper', () => {
  it('ships each closed session that counts, keyed by id, and retries through an outage in order', async () => {
    const { log, produced, calls } = flakyLog(2);
    const { shipper, labeller } = await shipperOn(log, { retryMs: 10 });
    ship(shipper, 1, true);
    ship(shipper, 2, false);
    shipper.onClosed(new SessionBuilder({ id: 'bot', isBot: true }).close()); // nothing to ship
    await pollUntil(
      'both sessions, after two failed produces',
      () => (produced.length >= 2 ? true : undefined),
      { timeoutMs: 5_000 },
    );
    expect(calls()).toBeGreaterThanOrEqual(3);
    expect(produced.map((r) => r.key)).toEqual(['s1', 's2']);
    const [first, second] = produced.map(decoded);
    // What the trainer counts (path, outcome, visitor and entry) and learns (the prefixes).
    expect(first).toMatchObject({
      kind: 'closed',
      session: { id: 's1', visitor: 'v1', path: ['/home', '/cart'], converted: true },
      bits: 16,
    });
    if (first?.kind !== 'closed') throw new Error('closed expected');
    expect(first.prefixes.map((p) => [p.eventCount, p.label])).toEqual([
      [1, 1],
      [2, 1],
      [3, 0],
    ]);
    expect(second).toMatchObject({ kind: 'closed', session: { id: 's2', converted: false } });
    // The labeller counted nothing itself: the trainer counts what is shipped.
    expect(labeller.chains.exportCounts().pageFlow.edges.from).toHaveLength(0);

    // Closing waits for what is waiting; a session closed after that is dropped, not shipped.
    await shipper.close();
    await shipper.close();
    expect(produced).toHaveLength(2);
    ship(shipper, 3, false);
    expect(produced).toHaveLength(2);
  });

  it('flushes once every session taken is produced, through failed produces', async () => {
    const { log, produced, calls } = flakyLog(2);
    const { shipper } = await shipperOn(log, { retryMs: 10 });
    await shipper.flush(); // idle: at once
    ship(shipper, 1, false);
    ship(shipper, 2, true);
    // What the pipeline does before a checkpoint: nothing it covers may be still waiting.
    await shipper.flush();
    expect(calls()).toBe(3);
    expect(produced.map((r) => r.key)).toEqual(['s1', 's2']);
    ship(shipper, 3, false);
    await shipper.flush();
    expect(produced.map((r) => r.key)).toEqual(['s1', 's2', 's3']);
    await shipper.close();
  });

  it('drops the oldest waiting sessions beyond maxPending', async () => {
    const { log, produced } = flakyLog(1);
    const { shipper } = await shipperOn(log, { retryMs: 10, maxPending: 3 });
    for (let n = 1; n <= 5; n++) ship(shipper, n, false);
    await pollUntil('the retried produce', () => (produced.length >= 3 ? true : undefined), {
      timeoutMs: 5_000,
    });
    await shipper.close();
    expect(produced.map((r) => r.key)).toEqual(['s3', 's4', 's5']);
  });
});
