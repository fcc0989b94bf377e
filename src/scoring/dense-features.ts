import type { SessionUpdate } from '../core/index.js';
import type { FeatureContext } from './feature-hasher.js';

/** Which channels get a one-hot column (others share one `other` column). */
export interface DenseFeatureSpec {
  readonly channels: readonly string[];
}

const NUMERIC = [
  'markov_probability',
  'log_pageviews',
  'log_duration_s',
  'converted_so_far',
  'known_user',
  'has_profile',
  'log_lifetime_value',
] as const;

export function denseFeatureNames(spec: DenseFeatureSpec): string[] {
  return [...NUMERIC, ...spec.channels.map((c) => `channel=${c}`), 'channel=other'];
}

/**
 * A small dense vector per session prefix for batch retraining (ml-logistic-regression), in the
 * order of denseFeatureNames(): the hashed sparse features serve the online model; these are
 * few, named and readable, so an analyst can compare a batch challenger with them.
 */
export function denseFeatures(
  update: SessionUpdate,
  context: FeatureContext,
  spec: DenseFeatureSpec,
): number[] {
  const session = update.session;
  const profile = context.profile;
  const markov = context.markovProbability;
  const out = [
    Number.isFinite(markov) ? markov : 0,
    Math.log1p(Math.max(0, session.pageviewCount)),
    Math.log1p(Math.max(0, (session.endedAt - session.startedAt) / 1000)),
    session.conversions > 0 ? 1 : 0,
    session.userId === null ? 0 : 1,
    profile === undefined ? 0 : 1,
    profile === undefined ? 0 : Math.log1p(Math.max(0, profile.lifetimeValue)),
  ];
  const channel = spec.channels.indexOf(session.entryChannel);
  for (let i = 0; i <= spec.channels.length; i++) {
    out.push(i === (channel < 0 ? spec.channels.length : channel) ? 1 : 0);
  }
  return out;
}
