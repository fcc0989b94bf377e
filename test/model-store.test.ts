import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '../src/core/index.js';
import { loadConfig } from '../src/config/index.js';
import { ModelStore } from '../src/runtime/model-store.js';
import { FeatureVector, Trainer, createFeatureHasher } from '../src/scoring/index.js';
import { SessionBuilder } from '../src/scoring/testing/session-builder.js';
import { openStorage, type Storage } from '../src/storage/index.js';

const PAGES = ['/home', '/category', '/product/:id', '/cart'] as const;

/** Teaches `trainer` `count` scripted sessions; every third one that reaches the cart buys. */
function teach(trainer: Trainer, from: number, count: number): void {
  for (let s = from; s < from + count; s++) {
    const builder = new SessionBuilder({ id: `s${s}`, visitor: `v${s}` });
    let at = 1_700_000_000_000 + s * 60_000;
    for (const page of PAGES.slice(0, 1 + (s % PAGES.length))) {
      trainer.onUpdate(builder.event({ at: (at += 10_000), page }), { markovProbability: 0.1 });
    }
    if (s % PAGES.length === PAGES.length - 1 && s % 3 === 0) {
      const update = builder.event({ at: at + 5_000, conversion: true, revenue: 30 });
      trainer.onUpdate(update, { markovProbability: 0.4 });
    }
    trainer.onClosed(builder.close());
  }
}

// The live model outlives a restart: snapshots go to the models table (embedded chdb here),
// at most one per interval plus the last on close, and the next start resumes the newest.
describe('ModelStore (embedded chdb)', () => {
  let storage: Storage | undefined;
  afterAll(async () => {
    await storage?.close();
  });

  it('stores at most one snapshot per interval, the last on close, and resumes the newest', async () => {
    const config = loadConfig({});
    storage = await openStorage(
      config.clickhouse,
      mkdtempSync(join(tmpdir(), 'pathcast-models-')),
      {
        logger: silentLogger,
      },
    );
    const clock = new ManualClock(1_800_000_000_000);
    const hasher = await createFeatureHasher();
    const trainer = new Trainer({ calibrationMinExamples: 20 }, { hasher });

    const first = new ModelStore(storage, { clock, logger: silentLogger }, { intervalMs: 60_000 });
    expect(await first.load()).toBeUndefined();
    teach(trainer, 0, 200);
    const a = trainer.publish();
    first.offer(a);
    teach(trainer, 200, 200);
    const b = trainer.publish();
    expect(b.version).toBeGreaterThan(a.version);
    clock.advance(10_000);
    first.offer(b); // within the interval: not stored yet
    await first.close(); // ...but on close
    const stored = await storage.queries.latestModels('live', 10);
    expect(stored.map((row) => row.version)).toEqual([b.id, a.id]);
    expect(stored[0]?.metrics['version']).toBe(b.version);

    const resumed = await new ModelStore(storage, { clock, logger: silentLogger }).load();
    expect(resumed?.id).toBe(b.id);
    // The same model: the same prediction for the same features (weights travel as float32).
    const vector = new FeatureVector();
    const update = new SessionBuilder({ id: 'probe' }).event({
      at: 1_700_000_000_000,
      page: '/cart',
    });
    hasher.extract(update, { markovProbability: 0.2 }, vector);
    expect(resumed?.propensity(vector.indices, vector.count)).toBeCloseTo(
      b.propensity(vector.indices, vector.count),
      6,
    );
    expect(resumed?.markovProbability(['/home', '/cart'])).toBeCloseTo(
      b.markovProbability(['/home', '/cart']),
      9,
    );
  }, 60_000);
});
