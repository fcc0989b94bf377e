import { beforeAll, describe, expect, it } from 'vitest';
import { createFeatureHasher, type FeatureHasher } from './feature-hasher.js';
import { Learner, type TrainedExample } from './learner.js';
import { decodeModelInput, encodeModelInput, type ModelInput } from './model-input-codec.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { SessionLabeller } from './session-labeller.js';
import { SyntheticShop, type SyntheticSession } from './testing/synthetic-sessions.js';
import { Trainer } from './trainer.js';
import { resolveTrainerConfig, type TrainerOptions } from './trainer-config.js';

let hasher: FeatureHasher;
beforeAll(async () => {
  hasher = await createFeatureHasher({ bits: 16 });
});

const OPTIONS: TrainerOptions = {
  // Every update a candidate and no reservoir: no random draw, so two labellers sample what one
  // trainer samples.
  sampling: { sampleRate: 1, maxPrefixesPerSession: 100 },
  calibrationMinExamples: 200,
};
const SESSIONS = 3_000;
const PUBLISH_EVERY = 500;

/** What goes over the topic: encoded, then decoded as the trainer role would. */
function shipped(input: ModelInput): ModelInput {
  const decoded = decodeModelInput(encodeModelInput(input));
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.value;
}

function sessions(): SyntheticSession[] {
  const shop = new SyntheticShop(7);
  return Array.from({ length: SESSIONS }, () => shop.next());
}

describe('split trainer: labellers ship, one learner learns', () => {
  it('learns the same model from shipped inputs as the in-process trainer on the same sessions', () => {
    const all = sessions();
    const inProcess: TrainedExample[] = [];
    const trainer = new Trainer(OPTIONS, { hasher, onExample: (e) => inProcess.push(e) });

    // Two scoring processes, each the owner of half the visitors, and the trainer role.
    const config = resolveTrainerConfig(OPTIONS);
    const processes = [0, 1].map(() => new SessionLabeller(config, { hasher }));
    const shippedExamples: TrainedExample[] = [];
    const learner = new Learner(config, { hasher, onExample: (e) => shippedExamples.push(e) });
    const topic: ModelInput[] = [];
    const shipDeltas = (): void => {
      for (const labeller of processes) {
        topic.push(shipped({ kind: 'deltas', deltas: labeller.exportDeltas() }));
      }
    };
    const consume = (): void => {
      for (const input of topic.splice(0)) {
        if (input.kind === 'labelled') learner.learn(input.session);
        else expect(learner.mergeDeltas(input.deltas).ok).toBe(true);
      }
    };

    const published: Array<[ModelSnapshot, ModelSnapshot]> = [];
    all.forEach((session, s) => {
      const owner = processes[session.closed.session.visitor.length % 2] as SessionLabeller;
      for (const update of session.updates) {
        // The same feature context on both sides (the model they score with is not under test).
        const context = { markovProbability: (update.session.pageviewCount % 7) / 7 };
        trainer.onUpdate(update, context);
        owner.onUpdate(update, context);
      }
      trainer.onClosed(session.closed);
      const labelled = owner.onClosed(session.closed).labelled;
      if (labelled !== undefined) topic.push(shipped({ kind: 'labelled', session: labelled }));
      if (s % PUBLISH_EVERY === PUBLISH_EVERY - 1) {
        shipDeltas();
        consume();
        published.push([trainer.publish(), learner.publish()]);
      }
    });

    expect(shippedExamples.length).toBeGreaterThan(5_000);
    expect(shippedExamples).toEqual(inProcess);
    expect(published).toHaveLength(SESSIONS / PUBLISH_EVERY);
    for (const [expected, actual] of published) {
      const e = expected.parts;
      const a = actual.parts;
      expect(a.version).toBe(e.version);
      expect(a.updates).toBe(e.updates);
      expect(a.classifier).toEqual(e.classifier);
      expect(a.calibrator).toEqual(e.calibrator);
      expect(a.metrics).toEqual(e.metrics);
      // Counts are sums: merged from two processes they equal one process's counts.
      expect(actual.pageFlow.support(0)).toBe(expected.pageFlow.support(0));
      // Merged chains number their states in another order, so the solver's iterations stop
      // at another point within its tolerance: equal to 1e-9, not to the last bit.
      for (const path of [['/home'], ['/product/:id'], ['/cart'], ['/checkout'], []]) {
        expect(actual.markovProbability(path)).toBeCloseTo(expected.markovProbability(path), 9);
      }
      expect(actual.channels.conversionProbability(0)).toBeCloseTo(
        expected.channels.conversionProbability(0) as number,
        9,
      );
    }
    const last = published[published.length - 1]?.[1];
    expect(last?.pageFlow.support(0)).toBe(SESSIONS);
    // The calibrator was refitted from the identity: the comparison covers calibration too.
    expect(last?.parts.calibrator.knots).toBeGreaterThan(2);
  });

  it('refuses a labelled session made with another hasher size', () => {
    const learner = new Learner(resolveTrainerConfig(), { hasher });
    expect(() => learner.learn({ sessionId: 's', bits: 12, prefixes: [] })).toThrow(RangeError);
    expect(learner.examples).toBe(0);
  });
});
