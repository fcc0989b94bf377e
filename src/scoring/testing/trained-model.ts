import type { FeatureHasher } from '../feature-hasher.js';
import type { ModelSnapshot } from '../model-snapshot.js';
import { seededRandom } from '../random.js';
import { SessionBuilder } from './session-builder.js';
import { Trainer } from '../trainer.js';

const PAGES = ['/home', '/category', '/product/:id', '/cart', '/blog'] as const;
const CHANNELS = ['Direct', 'Email', 'Paid Search', 'Organic Search'] as const;

/**
 * A small trained model for tests of snapshots and scoring: a few hundred random sessions,
 * with calibration fitted (calibrationMinExamples is low) and both chains populated.
 */
export function trainSmallModel(hasher: FeatureHasher, sessions = 400, seed = 1): ModelSnapshot {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const trainer = new Trainer({ calibrationMinExamples: 50 }, { hasher });
  for (let s = 0; s < sessions; s++) {
    const builder = new SessionBuilder({
      id: `s${s}`,
      visitor: `v${s % 150}`,
      channel: pick(CHANNELS),
    });
    let at = 1_700_000_000_000 + s * 60_000;
    const length = 1 + Math.floor(random() * 5);
    for (let e = 0; e < length; e++) {
      const page = pick(PAGES);
      const update = builder.event({ at: (at += 10_000), page });
      trainer.onUpdate(update, { markovProbability: random() * 0.2 });
      if (page === '/cart' && random() < 0.5) {
        trainer.onUpdate(builder.event({ at: (at += 5_000), conversion: true, revenue: 20 }), {
          markovProbability: 0.5,
        });
        break;
      }
    }
    trainer.onClosed(builder.close());
  }
  return trainer.publish();
}
