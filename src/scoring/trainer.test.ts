import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, MemoryLogger, type SessionCloseReason } from '../core/index.js';
import { createFeatureHasher, type FeatureHasher } from './feature-hasher.js';
import type { ModelSnapshot } from './model-snapshot.js';
import {
  SessionBuilder,
  type ScriptedEvent,
  type SessionSetup,
} from './testing/session-builder.js';
import { Trainer, type TrainedExample } from './trainer.js';
import type { TrainerOptions } from './trainer-config.js';

let hasher: FeatureHasher;
beforeAll(async () => {
  hasher = await createFeatureHasher({ bits: 16 });
});
afterEach(() => {
  vi.useRealTimers();
});

const KEEP_ALL: TrainerOptions = {
  sampling: { sampleRate: 1, maxPrefixesPerSession: 100 },
};

/** Feeds one scripted session through the trainer and closes it. */
function feed(
  trainer: Trainer,
  setup: SessionSetup,
  events: readonly ScriptedEvent[],
  reason: SessionCloseReason = 'gap',
): void {
  const builder = new SessionBuilder(setup);
  for (const e of events) trainer.onUpdate(builder.event(e), { markovProbability: 0.1 });
  trainer.onClosed(builder.close(reason));
}

function labelsBySession(examples: readonly TrainedExample[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const e of [...examples].sort((a, b) => a.eventCount - b.eventCount)) {
    (out[e.sessionId] ??= []).push(e.label);
  }
  return out;
}

describe('Trainer labelling', () => {
  it('labels each prefix "converted after this point"', () => {
    const examples: TrainedExample[] = [];
    const trainer = new Trainer(KEEP_ALL, { hasher, onExample: (e) => examples.push(e) });
    // Conversion as the last event: every earlier prefix is positive, the last is not.
    feed(trainer, { id: 'last' }, [
      { at: 0, page: '/home' },
      { at: 1, page: '/product' },
      { at: 2, page: '/checkout' },
      { at: 3, conversion: true, revenue: 30 },
    ]);
    // Two conversions: positive until the second one.
    feed(trainer, { id: 'two' }, [
      { at: 0, page: '/home' },
      { at: 1, conversion: true },
      { at: 2, page: '/product' },
      { at: 3, conversion: true },
      { at: 4, page: '/home' },
    ]);
    feed(trainer, { id: 'none' }, [
      { at: 0, page: '/home' },
      { at: 1, page: '/blog' },
    ]);
    expect(labelsBySession(examples)).toEqual({
      last: [1, 1, 1, 0],
      two: [1, 1, 1, 0, 0],
      none: [0, 0],
    });
    expect(trainer.stats.examples).toBe(11);
    expect(trainer.stats.pendingSessions).toBe(0);
    // Progressive validation: the first example was scored by an untrained model.
    expect(examples[0]?.raw).toBe(0.5);
  });

  it('scores every prefix of a session with the model from before that session', () => {
    const warmUp = (trainer: Trainer): void =>
      feed(trainer, { id: 'warm' }, [{ at: 0, page: '/a' }]);
    const events: ScriptedEvent[] = Array.from({ length: 10 }, (_, at) =>
      at === 9 ? { at, conversion: true } : { at, page: '/a' },
    );
    const examples: TrainedExample[] = [];
    const trainer = new Trainer(KEEP_ALL, { hasher, onExample: (e) => examples.push(e) });
    warmUp(trainer);
    feed(trainer, { id: 'same' }, events);
    const scores = examples.filter((e) => e.sessionId === 'same').map((e) => e.raw);
    // Prefix k alone, after the same warm-up: the score the trainer must have given it. Had the
    // trainer learnt the session's earlier prefixes first (same label), the scores would lean.
    const alone = events.map((_, k) => {
      const seen: TrainedExample[] = [];
      const probe = new Trainer(KEEP_ALL, { hasher, onExample: (e) => seen.push(e) });
      warmUp(probe);
      const builder = new SessionBuilder({ id: 'same' });
      let update = builder.event(events[0] as ScriptedEvent);
      for (const e of events.slice(1, k + 1)) update = builder.event(e);
      probe.onUpdate(update, { markovProbability: 0.1 });
      probe.onClosed(builder.close());
      return seen[seen.length - 1]?.raw;
    });
    expect(scores).toHaveLength(10);
    expect(scores).toEqual(alone);
  });

  it('skips bots, merged sessions and shutdown closes by default', () => {
    const examples: TrainedExample[] = [];
    const trainer = new Trainer(KEEP_ALL, { hasher, onExample: (e) => examples.push(e) });
    const path = [
      { at: 0, page: '/home' },
      { at: 1, conversion: true },
    ];
    feed(trainer, { id: 'bot', isBot: true }, path);
    feed(trainer, { id: 'merged' }, path, 'merged');
    feed(trainer, { id: 'down' }, path, 'shutdown');
    expect(examples).toEqual([]);
    expect(trainer.stats.pendingSessions).toBe(0);
    expect(trainer.publish().pageFlow.support(0)).toBe(0);

    const permissive = new Trainer(
      { ...KEEP_ALL, includeBots: true, learnFromShutdown: true },
      { hasher, onExample: (e) => examples.push(e) },
    );
    feed(permissive, { id: 'bot', isBot: true }, path);
    feed(permissive, { id: 'down' }, path, 'shutdown');
    expect(labelsBySession(examples)).toEqual({ bot: [1, 0], down: [1, 0] });
  });

  it('keeps at most maxPrefixesPerSession prefixes of a long session', () => {
    const examples: TrainedExample[] = [];
    const trainer = new Trainer(
      { sampling: { maxPrefixesPerSession: 3 } },
      { hasher, onExample: (e) => examples.push(e) },
    );
    feed(
      trainer,
      { id: 'long' },
      Array.from({ length: 20 }, (_, i) => ({ at: i, page: `/p${i % 4}` })),
    );
    expect(examples).toHaveLength(3);
  });

  it('refuses bad options with a configuration error', () => {
    expect(() => new Trainer({ sampling: { sampleRate: 0 } }, { hasher })).toThrow(ConfigError);
    expect(() => new Trainer({ validationWindow: -1 }, { hasher })).toThrow(
      'trainer.validationWindow',
    );
  });
});

describe('Trainer Markov counts', () => {
  it('turns closed sessions into page-flow paths and visitor channel journeys', () => {
    const trainer = new Trainer({}, { hasher });
    feed(trainer, { id: 'a', visitor: 'v1', channel: 'Email' }, [
      { at: 0, page: '/home' },
      { at: 1, page: '/cart' },
      { at: 2, conversion: true, revenue: 50 },
    ]);
    feed(trainer, { id: 'b', visitor: 'v2', channel: 'Social' }, [
      { at: 0, page: '/home' },
      { at: 1, page: '/blog' },
    ]);
    feed(trainer, { id: 'c', visitor: 'v2', channel: 'Email' }, [
      { at: 5, page: '/blog' },
      { at: 6, conversion: true, revenue: 10 },
    ]);
    const model = trainer.publish();
    // Page flow: home -> cart (converts) or blog; blog converts once out of twice.
    expect(model.markovProbability(['/home', '/cart'])).toBeCloseTo(1, 9);
    expect(model.markovProbability(['/blog'])).toBeCloseTo(0.5, 9);
    expect(model.markovProbability(['/home'])).toBeCloseTo(0.75, 9);
    // Unknown page: the probability from start (2 of 3 sessions converted... via the chain).
    expect(model.markovProbability(['/nowhere'])).toBeCloseTo(
      model.pageFlow.conversionProbability(0) as number,
      12,
    );
    expect(model.nextPages(['/home'])).toEqual([
      { pageType: '/blog', probability: 0.5 },
      { pageType: '/cart', probability: 0.5 },
    ]);
    // Channel journeys: v1 Email -> conversion; v2 Social -> Email -> conversion.
    const channels = model.channels;
    expect(channels.conversionProbability(channels.stateOf(['Social']) as number)).toBe(1);
    expect(channels.expectedValue()).toBeCloseTo(30, 9);
  });

  it('drain() ends open channel journeys as null and publishes them', () => {
    const trainer = new Trainer({}, { hasher });
    feed(trainer, { id: 'a', visitor: 'v1', channel: 'Email' }, [
      { at: 0, page: '/home' },
      { at: 1, conversion: true },
    ]);
    feed(trainer, { id: 'b', visitor: 'v2', channel: 'Display' }, [{ at: 0, page: '/home' }]);
    const before = trainer.publish();
    // v2's journey is open: in no count yet.
    expect(before.channels.stateOf(['Display'])).toBeUndefined();
    expect(trainer.stats.openJourneys).toBe(1);
    expect(trainer.drain()).toBe(1);
    expect(trainer.stats.openJourneys).toBe(0);
    const after = trainer.publish();
    expect(after.version).toBe(before.version + 1);
    const display = after.channels.stateOf(['Display']) as number;
    expect(after.channels.conversionProbability(display)).toBe(0);
    expect(after.channels.conversionProbability(0)).toBeCloseTo(0.5, 12);
  });

  it('merges other processes’ counts additively', () => {
    const sessions: Array<[SessionSetup, ScriptedEvent[]]> = [
      [
        { id: '1', visitor: 'a' },
        [
          { at: 0, page: '/home' },
          { at: 1, conversion: true },
        ],
      ],
      [
        { id: '2', visitor: 'b' },
        [
          { at: 0, page: '/home' },
          { at: 1, page: '/blog' },
        ],
      ],
      [
        { id: '3', visitor: 'c' },
        [
          { at: 0, page: '/blog' },
          { at: 1, conversion: true },
        ],
      ],
      [
        { id: '4', visitor: 'd' },
        [
          { at: 0, page: '/home' },
          { at: 1, page: '/cart' },
        ],
      ],
    ];
    const all = new Trainer({}, { hasher });
    const left = new Trainer({}, { hasher });
    const right = new Trainer({}, { hasher });
    sessions.forEach(([setup, events], i) => {
      feed(all, setup, events);
      feed(i % 2 === 0 ? left : right, setup, events);
    });
    expect(left.mergeDeltas(right.exportDeltas()).ok).toBe(true);
    // Exported once: a second export is empty.
    expect(right.exportDeltas().pageFlow.edges.from).toHaveLength(0);
    const expected = all.publish();
    const merged = left.publish();
    for (const path of [['/home'], ['/blog'], ['/cart'], []]) {
      expect(merged.markovProbability(path)).toBeCloseTo(expected.markovProbability(path), 12);
    }
    const incompatible = new Trainer({ pageFlow: { order: 2 } }, { hasher });
    expect(left.mergeDeltas({ pageFlow: incompatible.exportDeltas().pageFlow }).ok).toBe(false);
  });
});

describe('Trainer publishing', () => {
  it('versions snapshots and republishes only after changes', () => {
    const published: ModelSnapshot[] = [];
    const trainer = new Trainer({}, { hasher, onSnapshot: (s) => void published.push(s) });
    const first = trainer.publish();
    expect(first.version).toBe(1);
    expect(first.id).toBe('ftrl@1');
    expect(trainer.publish()).toBe(first);
    feed(trainer, { id: 'x' }, [{ at: 0, page: '/home' }]);
    expect(trainer.publish().version).toBe(2);
    expect(trainer.publish(true).version).toBe(3);
    expect(trainer.snapshot?.version).toBe(3);
  });

  it('publishes on a timer after start() and once more on close(), which is idempotent', async () => {
    vi.useFakeTimers();
    const published: number[] = [];
    const trainer = new Trainer(
      { publishIntervalMs: 1000 },
      { hasher, onSnapshot: async (s) => void published.push(s.version) },
    );
    await trainer.start();
    feed(trainer, { id: 'x' }, [{ at: 0, page: '/home' }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(published).toEqual([1]);
    await vi.advanceTimersByTimeAsync(3000); // nothing new: no new versions
    expect(published).toEqual([1]);
    feed(trainer, { id: 'y' }, [{ at: 0, page: '/blog' }]);
    await Promise.all([trainer.close(), trainer.close()]);
    expect(published).toEqual([1, 2]);
    await trainer.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(published).toEqual([1, 2]);
  });

  it('logs a failing delivery and keeps publishing', async () => {
    const logger = new MemoryLogger();
    let calls = 0;
    const trainer = new Trainer(
      {},
      {
        hasher,
        logger,
        onSnapshot: () => {
          calls++;
          if (calls === 1) throw new Error('topic unavailable');
        },
      },
    );
    trainer.publish(true);
    trainer.publish(true);
    await trainer.close();
    expect(calls).toBe(2);
    expect(logger.lines.map((l) => l.event)).toContain('model_snapshot_delivery_failed');
  });

  it('resumes from a snapshot: same predictions, counts and version', () => {
    const trainer = new Trainer(KEEP_ALL, { hasher });
    for (let i = 0; i < 30; i++) {
      feed(trainer, { id: `s${i}`, channel: i % 2 === 0 ? 'Email' : 'Direct' }, [
        { at: i, page: '/home' },
        ...(i % 3 === 0 ? [{ at: i + 1, conversion: true }] : [{ at: i + 1, page: '/blog' }]),
      ]);
    }
    const snapshot = trainer.publish();
    const resumed = new Trainer(KEEP_ALL, { hasher, initial: snapshot });
    expect(resumed.stats.version).toBe(snapshot.version);
    expect(resumed.stats.examples).toBe(trainer.stats.examples);
    expect(resumed.exportDeltas().pageFlow.edges.from).toHaveLength(0);
    const again = resumed.publish(true);
    expect(again.version).toBe(snapshot.version + 1);
    expect(again.markovProbability(['/home'])).toBeCloseTo(
      snapshot.markovProbability(['/home']),
      12,
    );
    const x = Uint32Array.of(hasher.bias, hasher.index('channel', 'Email'));
    expect(again.predictRaw(x, 2)).toBe(snapshot.predictRaw(x, 2));
    expect(() => new Trainer({}, { hasher: hasher.withBits(12), initial: snapshot })).toThrow(
      RangeError,
    );
  });
});
