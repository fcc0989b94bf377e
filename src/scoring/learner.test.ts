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
    // They count nothing themselves: the learner counts the closed sessions they ship.
    const processes = [0, 1].map(() => new SessionLabeller(config, { hasher, countPaths: false }));
    const shippedExamples: TrainedExample[] = [];
    const learner = new Learner(config, { hasher, onExample: (e) => shippedExamples.push(e) });
    const topic: ModelInput[] = [];
    const consume = (): void => {
      for (const input of topic.splice(0)) {
        if (input.kind !== 'closed') throw new Error('closed sessions expected');
        learner.count(input.session);
        const { session, bits, prefixes } = input;
        if (prefixes.length > 0) learner.learn({ sessionId: session.id, bits, prefixes });
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
      const { counted, labelled } = owner.onClosed(session.closed);
      if (counted) {
        const closed = session.closed.session;
        const prefixes = labelled?.prefixes ?? [];
        topic.push(shipped({ kind: 'closed', session: closed, bits: owner.bits, prefixes }));
      }
      if (s % PUBLISH_EVERY === PUBLISH_EVERY - 1) {
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
      // The learner counted the shipped sessions in the order the trainer did: the same
      // chains, states numbered alike, solved to the same bits.
      expect(actual.pageFlow.support(0)).toBe(expected.pageFlow.support(0));
      for (const path of [['/home'], ['/product/:id'], ['/cart'], ['/checkout'], []]) {
        expect(actual.markovProbability(path)).toBe(expected.markovProbability(path));
      }
      expect(actual.channels.conversionProbability(0)).toBe(
        expected.channels.conversionProbability(0),
      );
      expect(actual.channels.support(0)).toBe(expected.channels.support(0));
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
