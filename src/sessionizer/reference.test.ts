import { describe, expect, it } from 'vitest';
import type { ClickEvent } from '../core/index.js';
import { sessionId } from './hash.js';
import type { SessionizerOptions } from './options.js';
import { PartitionSessionizer } from './partition-sessionizer.js';
import { CollectingSink } from './sink.js';
import { comparable, finalSessions, referenceSessions } from './test-reference.js';
import { generateStream, HOUR, MINUTE, type Arrival, type StreamOptions } from './test-support.js';

/**
 * The incremental sessionizer against the definition: whatever order the events arrive in
 * (within the allowed lateness), the sessions it finally closes equal the brute-force ones
 * computed from the time-sorted events it accepted: boundaries, counts, revenue, path, entry,
 * landing and exit pages, and ids (a function of site, visitor and start).
 */
function run(arrivals: readonly Arrival[], options: SessionizerOptions) {
  const sink = new CollectingSink();
  const sessionizer = new PartitionSessionizer(options, { sink });
  const accepted: ClickEvent[] = [];
  const seen = new Set<string>();
  for (const { event, at } of arrivals) {
    const result = sessionizer.process(event, at);
    if (result === 'accepted') accepted.push(event);
    // Every duplicate must be a resend of an accepted event, and every resend a duplicate.
    if (result === 'duplicate') expect(seen.has(event.id)).toBe(true);
    if (result === 'accepted') {
      expect(seen.has(event.id)).toBe(false);
      seen.add(event.id);
    }
  }
  sessionizer.drain();
  return { sink, accepted, sessionizer };
}

function expectReference(
  arrivals: readonly Arrival[],
  options: SessionizerOptions & { gapMs: number },
) {
  const { sink, accepted } = run(arrivals, options);
  const expected = referenceSessions(accepted, {
    gapMs: options.gapMs,
    maxLengthMs: options.maxLengthMs ?? 24 * HOUR,
    splitOnCampaign: options.splitOnCampaign ?? false,
  });
  const actual = finalSessions(sink);
  expect(actual.map(comparable)).toEqual(expected);
  for (const session of actual) {
    expect(session.id).toBe(sessionId(session.site, session.visitor, session.startedAt));
  }
  return { sink, accepted, expected };
}

const base: StreamOptions = {
  visitors: 60,
  visitsPerVisitor: 6,
  spacing: [1000, 12 * MINUTE],
  maxDelay: 10 * MINUTE,
  gapMs: 30 * MINUTE,
};

describe('sessionizer against the brute-force reference', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('events shuffled by up to 10 min (seed %i)', (seed) => {
    const arrivals = generateStream(seed, base);
    const { sink, accepted } = expectReference(arrivals, { gapMs: 30 * MINUTE });
    expect(accepted).toHaveLength(arrivals.length);
    expect(sink.failures).toHaveLength(0);
  });

  it.each([11, 12, 13, 14])('with resends and events past the lateness (seed %i)', (seed) => {
    const arrivals = generateStream(seed, {
      ...base,
      duplicateShare: 0.1,
      lateShare: 0.03,
      lateDelay: [20 * MINUTE, 3 * HOUR],
    });
    const { sink, accepted } = expectReference(arrivals, { gapMs: 30 * MINUTE });
    const unique = new Set(arrivals.map((a) => a.event.id)).size;
    expect(sink.failures.length).toBeGreaterThan(0);
    expect(sink.failures.every((f) => f.reason === 'late')).toBe(true);
    // Nothing vanishes: every event id was either sessionized or reported late.
    expect(new Set([...accepted.map((e) => e.id), ...sink.failures.map((f) => f.id)]).size).toBe(
      unique,
    );
  });

  it.each([21, 22, 23])('long visits split at the max length (seed %i)', (seed) => {
    // Long visits with events 13-29 min apart: over a 3 h max length, under the gap, and
    // further apart than the delay so no bridging merge can straddle a max-length cut.
    const arrivals = generateStream(seed, {
      ...base,
      visitors: 30,
      spacing: [13 * MINUTE, 29 * MINUTE],
      maxDelay: 12 * MINUTE,
      longVisitMs: 8 * HOUR,
    });
    const { expected } = expectReference(arrivals, { gapMs: 30 * MINUTE, maxLengthMs: 3 * HOUR });
    expect(expected.some((s) => s.endedAt - s.startedAt > 2.5 * HOUR)).toBe(true);
  });

  it.each([31, 32, 33])('campaign splits, in order per visitor (seed %i)', (seed) => {
    const arrivals = generateStream(seed, { ...base, maxDelay: 0, campaignShare: 0.2 });
    const { sink } = expectReference(arrivals, { gapMs: 30 * MINUTE, splitOnCampaign: true });
    expect(sink.sessions.some((o) => o.kind === 'closed' && o.reason === 'campaign')).toBe(true);
  });

  it('gives the same final sessions for in-order and shuffled input', () => {
    const shuffled = generateStream(41, base);
    const inOrder = [...shuffled].sort(
      (a, b) => a.event.timestamp - b.event.timestamp || a.at - b.at,
    );
    const final = (arrivals: readonly Arrival[]) =>
      finalSessions(run(arrivals, { gapMs: 30 * MINUTE }).sink).map((s) => ({
        ...s,
        version: 0,
      }));
    expect(final(shuffled)).toEqual(final(inOrder));
  });
});
