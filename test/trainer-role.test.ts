import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../src/core/index.js';
import { MemoryEventLog, topicNames } from '../src/ingest/index.js';
import {
  SessionChains,
  SessionLabeller,
  createFeatureHasher,
  encodeModelInput,
  resolveTrainerConfig,
  type FeatureHasher,
  type LabelledSession,
  type ModelSnapshot,
  type TrainerOptions,
} from '../src/scoring/index.js';
import { SessionBuilder } from '../src/scoring/testing/session-builder.js';
import { pollUntil } from './polling.js';
import { KafkaCheckpointStore } from '../src/runtime/kafka-checkpoint-store.js';
import { followModels } from '../src/runtime/model-follower.js';
import { ModelInputsShipper } from '../src/runtime/model-inputs.js';
import { TrainerRole } from '../src/runtime/trainer-role.js';
import { decodeTrainerState } from '../src/runtime/trainer-state.js';

const topics = topicNames('t');
const GROUP = 'processors';
const OPTIONS: TrainerOptions = {
  sampling: { sampleRate: 1, maxPrefixesPerSession: 100 },
  publishIntervalMs: 50,
};
const PAGES = ['/home', '/category', '/product/:id', '/cart'];

let hasher: FeatureHasher;
beforeAll(async () => {
  hasher = await createFeatureHasher({ bits: 16 });
});

const closing: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of closing.splice(0).reverse()) await item.close();
});

async function memoryLog(): Promise<MemoryEventLog> {
  const log = new MemoryEventLog({}, { logger: silentLogger });
  await log.start();
  closing.push(log);
  await log.ensureTopics([
    { name: topics.modelInputs, partitions: 1 },
    { name: topics.models, partitions: 1, compacted: true },
  ]);
  return log;
}

async function snapshotStore(log: MemoryEventLog, id: string): Promise<KafkaCheckpointStore> {
  const store = new KafkaCheckpointStore(
    { log, topic: topics.models, logger: silentLogger },
    { catchUpTimeoutMs: 5_000, readerGroupPrefix: id },
  );
  await store.start();
  closing.push(store);
  return store;
}

async function trainer(
  log: MemoryEventLog,
  id: string,
  options: TrainerOptions = OPTIONS,
): Promise<TrainerRole> {
  const store = await snapshotStore(log, id);
  const role = new TrainerRole({
    log,
    topics,
    group: GROUP,
    store,
    hasher,
    trainer: options,
    clock: systemClock,
    logger: silentLogger,
  });
  await role.start();
  closing.push(role);
  return role;
}

async function shipper(log: MemoryEventLog): Promise<ModelInputsShipper> {
  const shipping = new ModelInputsShipper(
    {
      log,
      topic: topics.modelInputs,
      labeller: new SessionLabeller(resolveTrainerConfig(OPTIONS), { hasher, countPaths: false }),
      logger: silentLogger,
    },
    { retryMs: 50 },
  );
  await shipping.start();
  closing.push(shipping);
  return shipping;
}

/** Session n: 1 to 4 pages, every fourth one converting; returns its prefixes (events). */
function play(
  into: { onUpdate: ModelInputsShipper['onUpdate']; onClosed: ModelInputsShipper['onClosed'] },
  n: number,
): number {
  const builder = new SessionBuilder({ id: `s${n}`, visitor: `v${n}` });
  let events = 0;
  for (const page of PAGES.slice(0, 1 + (n % 4))) {
    into.onUpdate(builder.event({ at: n * 1_000 + events, page }), { markovProbability: 0.1 });
    events++;
  }
  if (n % 4 === 3) {
    into.onUpdate(builder.event({ at: n * 1_000 + events, conversion: true }), {
      markovProbability: 0.1,
    });
    events++;
  }
  into.onClosed(builder.close());
  return events;
}

/** The labelled session `play(n)` closes, as a shipper of an earlier build shipped it. */
function labelledAgain(n: number): LabelledSession {
  const labeller = new SessionLabeller(resolveTrainerConfig(OPTIONS), { hasher });
  let labelled: LabelledSession | undefined;
  play(
    {
      onUpdate: (u, c) => labeller.onUpdate(u, c),
      onClosed: (c) => {
        labelled = labeller.onClosed(c).labelled;
      },
    },
    n,
  );
  if (labelled === undefined) throw new Error('nothing labelled');
  return labelled;
}

/**
 * A count-delta record of one more session, with an id, as one produce that the broker took but
 * answered with an error would leave it on the topic: twice.
 */
function deltasTwice(id: string): Array<{ key: string; value: Buffer }> {
  const chains = new SessionChains(resolveTrainerConfig(OPTIONS));
  const builder = new SessionBuilder({ id: `retried-${id}` });
  builder.event({ at: 1, page: '/home' });
  chains.add(builder.close().session);
  const value = Buffer.from(
    encodeModelInput({ kind: 'deltas', deltas: chains.exportDeltas(), id }),
  );
  return [
    { key: 'deltas.retried', value },
    { key: 'deltas.retried', value },
  ];
}

/** The model the trainer role saved last, if any. */
async function savedModel(store: KafkaCheckpointStore): Promise<ModelSnapshot | undefined> {
  const saved = await store.load(topics.modelInputs, `${GROUP}.trainer`, 0);
  const state = saved === undefined ? undefined : decodeTrainerState(saved.state);
  return state?.ok === true ? state.value.model : undefined;
}

async function snapshotWith(
  role: TrainerRole,
  what: string,
  test: (model: ModelSnapshot) => boolean,
): Promise<ModelSnapshot> {
  return pollUntil(
    what,
    () => {
      const model = role.snapshot;
      return model !== undefined && test(model) ? model : undefined;
    },
    {
      timeoutMs: 10_000,
      describe: () =>
        `version ${role.snapshot?.version}, examples ${role.snapshot?.parts.updates}, sessions ${role.snapshot?.pageFlow.support(0)}`,
    },
  );
}

describe('TrainerRole (on the in-memory log)', () => {
  it('learns every process’s inputs once, hands over with its state, and every process serves it', async () => {
    const log = await memoryLog();
    const served: ModelSnapshot[] = [];
    const follower = await snapshotStore(log, 'follower');
    const unfollow = followModels({
      store: follower,
      topics,
      group: GROUP,
      onModel: (model) => served.push(model),
      logger: silentLogger,
    });
    const first = await trainer(log, 'a');
    await pollUntil('the role', () => (first.holds() ? true : undefined), { timeoutMs: 5_000 });
    const second = await trainer(log, 'b');
    expect(second.holds()).toBe(false);

    // Two scoring processes, each with its own sessions.
    const [p1, p2] = [await shipper(log), await shipper(log)];
    let examples = 0;
    for (let n = 0; n < 40; n++) examples += play(n % 2 === 0 ? p1 : p2, n);
    const learnt = await snapshotWith(
      first,
      'all 40 sessions learnt and counted',
      (m) => m.parts.updates === examples && m.pageFlow.support(0) === 40,
    );

    // A process replaying its partitions after a crash closes sessions 3 and 4 again and ships
    // them again: each is counted and learnt once (43 sessions and more examples otherwise).
    play(p1, 3);
    play(p2, 4);
    await log.produce(topics.modelInputs, [
      { key: 'junk', value: Buffer.from('not a model input') },
    ]);
    examples += play(p1, 40);
    const deduped = await snapshotWith(first, 'session 40', (m) => m.pageFlow.support(0) >= 41);
    expect(deduped.pageFlow.support(0)).toBe(41);
    expect(deduped.parts.updates).toBe(examples);
    expect(deduped.version).toBeGreaterThan(learnt.version);

    // The trainer leaves: the other process takes the role from the saved snapshot.
    await first.close();
    await pollUntil('the role handed over', () => (second.holds() ? true : undefined), {
      timeoutMs: 5_000,
    });
    const resumed = await snapshotWith(second, 'the resumed model', () => true);
    expect(resumed.version).toBeGreaterThanOrEqual(deduped.version);
    expect(resumed.parts.updates).toBe(examples);
    expect(resumed.pageFlow.support(0)).toBe(41);
    // Its deduplication ring came with it: session 5 again is skipped (also as an earlier
    // build's labelled record), session 41 counted and learnt.
    play(p1, 5);
    await log.produce(topics.modelInputs, [
      {
        key: 's5',
        value: Buffer.from(encodeModelInput({ kind: 'labelled', session: labelledAgain(5) })),
      },
    ]);
    examples += play(p2, 41);
    const after = await snapshotWith(second, 'session 41', (m) => m.pageFlow.support(0) >= 42);
    expect(after.pageFlow.support(0)).toBe(42);
    expect(after.parts.updates).toBe(examples);
    expect(after.version).toBeGreaterThan(resumed.version);

    // Every process serves the saved snapshots, newest last.
    await pollUntil(
      'the follower serving the latest',
      () => (served[served.length - 1]?.version === after.version ? true : undefined),
      { timeoutMs: 5_000, describe: () => served.map((m) => m.version).join(',') },
    );
    const versions = served.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(served[served.length - 1]?.parts.updates).toBe(examples);
    unfollow();
  }, 30_000);

  it('merges a count-delta record produced twice once, also after a handover', async () => {
    const log = await memoryLog();
    const quiet = { ...OPTIONS, publishIntervalMs: 3_600_000 };
    const store = await snapshotStore(log, 'reader');
    const savedSessions = async (): Promise<number | undefined> =>
      (await savedModel(store))?.pageFlow.support(0);
    const first = await trainer(log, 'a', quiet);
    await pollUntil('the role', () => (first.holds() ? true : undefined), { timeoutMs: 5_000 });
    await log.produce(topics.modelInputs, deltasTwice('p1/0a0b0c/0'));
    await pollUntil('both records read', () => (first.learntUpTo === 2 ? true : undefined), {
      timeoutMs: 5_000,
      describe: () => `role at ${first.learntUpTo}`,
    });
    await first.close(); // publishes and saves
    expect(await savedSessions()).toBe(1);

    // The next trainer resumes the ring: the same record again is skipped, a new id merged once.
    const next = await trainer(log, 'b', quiet);
    await pollUntil('the role taken', () => (next.holds() ? true : undefined), {
      timeoutMs: 5_000,
    });
    await log.produce(topics.modelInputs, [
      ...deltasTwice('p1/0a0b0c/0'),
      ...deltasTwice('p1/0a0b0c/1'),
    ]);
    await pollUntil('all six records read', () => (next.learntUpTo === 6 ? true : undefined), {
      timeoutMs: 5_000,
      describe: () => `role at ${next.learntUpTo}`,
    });
    await next.close();
    expect(await savedSessions()).toBe(2);
  });

  it('counts a closed session whose prefixes were made with another hasher size, and learns none of them', async () => {
    const log = await memoryLog();
    const role = await trainer(log, 'a', { ...OPTIONS, publishIntervalMs: 3_600_000 });
    await pollUntil('the role', () => (role.holds() ? true : undefined), { timeoutMs: 5_000 });
    const builder = new SessionBuilder({ id: 'other-size' });
    builder.event({ at: 1, page: '/home' });
    const value = encodeModelInput({
      kind: 'closed',
      session: builder.close().session,
      bits: 12,
      prefixes: [{ indices: Uint32Array.of(1), label: 0, eventCount: 1 }],
    });
    await log.produce(topics.modelInputs, [{ key: 'other-size', value: Buffer.from(value) }]);
    await pollUntil('the record read', () => (role.learntUpTo === 1 ? true : undefined), {
      timeoutMs: 5_000,
    });
    await role.close(); // publishes and saves
    const model = await savedModel(await snapshotStore(log, 'reader'));
    expect(model?.pageFlow.support(0)).toBe(1);
    expect(model?.parts.updates).toBe(0);
  });

  it('publishes and saves its last snapshot when it closes, with the offset it learnt up to', async () => {
    const log = await memoryLog();
    // No snapshot on the timer within the test: only closing can save one.
    const role = await trainer(log, 'a', { ...OPTIONS, publishIntervalMs: 3_600_000 });
    await pollUntil('the role', () => (role.holds() ? true : undefined), { timeoutMs: 5_000 });
    const producer = await shipper(log);
    let examples = 0;
    for (let n = 0; n < 10; n++) examples += play(producer, n);
    // Closing the shipper waits until all is produced, so the end offset below covers it all.
    await producer.close();
    const probe = await log.consume({
      topic: topics.modelInputs,
      group: 'probe',
      fromBeginning: true,
      handler: { onBatch: async () => undefined },
    });
    closing.push(probe);
    const end = await pollUntil(
      'every input shipped and read by the role',
      async () => {
        const [lag] = await probe.lag();
        return lag !== undefined && lag.end > 0 && role.learntUpTo === lag.end
          ? lag.end
          : undefined;
      },
      { timeoutMs: 5_000, describe: () => `role at ${role.learntUpTo}` },
    );
    expect(role.snapshot).toBeUndefined(); // nothing published yet

    await role.close();
    const store = await snapshotStore(log, 'reader');
    const saved = await store.load(topics.modelInputs, `${GROUP}.trainer`, 0);
    expect(saved?.nextOffset).toBe(end);
    const state = saved === undefined ? undefined : decodeTrainerState(saved.state);
    const model = state?.ok === true ? state.value.model : undefined;
    expect(model?.parts.updates).toBe(examples);
    expect(model?.pageFlow.support(0)).toBe(10);
    const next = await trainer(log, 'b', { ...OPTIONS, publishIntervalMs: 3_600_000 });
    await pollUntil('the role taken', () => (next.holds() ? true : undefined), {
      timeoutMs: 5_000,
    });
    // Resumed at the saved offset, with nothing to replay.
    expect(next.learntUpTo).toBe(end);
    await next.close();
    const resumed = await store.load(topics.modelInputs, `${GROUP}.trainer`, 0);
    expect(resumed?.nextOffset).toBe(end);
  }, 30_000);
});
