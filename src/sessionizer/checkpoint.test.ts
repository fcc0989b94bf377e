import { describe, expect, it } from 'vitest';
import type { ClickEvent } from '../core/index.js';
import type { SessionizerOptions } from './options.js';
import { PartitionSessionizer } from './partition-sessionizer.js';
import { CollectingSink } from './sink.js';
import {
  clickEvent,
  generateStream,
  HOUR,
  MINUTE,
  prng,
  type StreamOptions,
} from './test-support.js';

type Op =
  | { readonly kind: 'event'; readonly event: ClickEvent; readonly at: number }
  | { readonly kind: 'tick'; readonly at: number };

/** Events plus processing-time ticks in the quiet stretches, so idle closes happen too. */
function operations(seed: number, stream: StreamOptions): Op[] {
  const ops: Op[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const { event, at } of generateStream(seed, stream)) {
    for (let tick = last + 5 * MINUTE, n = 0; tick < at && n < 30; tick += 5 * MINUTE, n++) {
      ops.push({ kind: 'tick', at: tick });
    }
    ops.push({ kind: 'event', event, at });
    last = Math.max(last, at);
  }
  return ops;
}

function apply(sessionizer: PartitionSessionizer, ops: readonly Op[]): void {
  for (const op of ops) {
    if (op.kind === 'event') sessionizer.process(op.event, op.at);
    else sessionizer.advanceTime(op.at);
  }
}

const stream: StreamOptions = {
  visitors: 12,
  visitsPerVisitor: 8,
  spacing: [1000, 15 * MINUTE],
  maxDelay: 10 * MINUTE,
  gapMs: 30 * MINUTE,
  duplicateShare: 0.08,
  lateShare: 0.05,
  lateDelay: [25 * MINUTE, 2 * HOUR],
  campaignShare: 0.15,
  longVisitMs: 30 * HOUR,
};

describe('sessionizer checkpoints', () => {
  it.each([
    { seed: 1, options: {} },
    { seed: 2, options: { splitOnCampaign: true } },
    { seed: 3, options: { closeMode: 'final' } },
    { seed: 4, options: { maxLengthMs: 4 * HOUR, maxTrackedEvents: 64, maxIdentities: 3 } },
    { seed: 5, options: { splitOnCampaign: true, idleTimeoutMs: 0 } },
  ] satisfies { seed: number; options: SessionizerOptions }[])(
    'A, checkpoint, restore, B gives exactly the outputs of A+B (seed $seed)',
    ({ seed, options }) => {
      const ops = operations(seed, stream);
      const whole = new CollectingSink();
      const reference = new PartitionSessionizer(options, { sink: whole });
      apply(reference, ops);
      reference.drain();
      expect(whole.sessions.some((o) => o.kind === 'closed' && o.reason === 'merged')).toBe(true);
      expect(whole.failures.length).toBeGreaterThan(0);

      const random = prng(seed);
      for (let trial = 0; trial < 6; trial++) {
        const cut = Math.floor(random() * ops.length);
        const split = new CollectingSink();
        const before = new PartitionSessionizer(options, { sink: split });
        apply(before, ops.slice(0, cut));
        const checkpoint = before.snapshot();
        const after = new PartitionSessionizer(options, { sink: split });
        after.restore(checkpoint);
        // The same logical state writes the same bytes, whatever its layout.
        expect(after.snapshot().equals(checkpoint)).toBe(true);
        expect(after.openSessions()).toBe(before.openSessions());
        apply(after, ops.slice(cut));
        after.drain();
        expect(split.sessions).toEqual(whole.sessions);
        expect(split.failures).toEqual(whole.failures);
        expect(split.identities).toEqual(whole.identities);
      }
    },
  );

  it('survives a chain of checkpoints, one every few hundred operations', () => {
    const ops = operations(9, stream);
    const whole = new CollectingSink();
    const reference = new PartitionSessionizer({}, { sink: whole });
    apply(reference, ops);
    reference.drain();
    const sink = new CollectingSink();
    let current = new PartitionSessionizer({}, { sink });
    for (let at = 0; at < ops.length; at += 250) {
      apply(current, ops.slice(at, at + 250));
      const next = new PartitionSessionizer({}, { sink });
      next.restore(current.snapshot());
      current = next;
    }
    current.drain();
    expect(sink.sessions).toEqual(whole.sessions);
  });

  it('is compact: about 140 bytes for a two-event session with a 36-character visitor id', () => {
    const sessionizer = new PartitionSessionizer({}, { sink: new CollectingSink() });
    const t0 = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 1000; i++) {
      const visitor = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
      sessionizer.process(clickEvent({ timestamp: t0 + i, visitor }), t0);
      sessionizer.process(clickEvent({ timestamp: t0 + i + 5000, visitor, type: 'track' }), t0);
    }
    expect(sessionizer.openSessions()).toBe(1000);
    expect(sessionizer.snapshot().length / 1000).toBeLessThan(150);
  });
});
