import { describe, expect, it } from 'vitest';
import { MarkovChain } from '../markov-online/index.js';
import { ChannelJourneys, type ChannelJourneysConfig } from './channel-journeys.js';
import { SessionBuilder } from './testing/session-builder.js';

const DAY = 86_400_000;
const CONFIG: ChannelJourneysConfig = { maxVisitors: 10, timeoutMs: 30 * DAY, maxLength: 8 };

function session(visitor: string, channel: string, at: number, revenue?: number) {
  const builder = new SessionBuilder({ id: `${visitor}-${at}`, visitor, channel });
  builder.event({ at, page: '/home' });
  if (revenue !== undefined) builder.event({ at: at + 1000, conversion: true, revenue });
  return builder.session;
}

function probability(chain: MarkovChain, path: string[]): number | undefined {
  const snapshot = chain.solve();
  const state = snapshot.stateOf(path);
  return state === undefined ? undefined : snapshot.conversionProbability(state);
}

describe('ChannelJourneys', () => {
  it('counts a journey across sessions when it converts, with its value', () => {
    const chain = new MarkovChain();
    const journeys = new ChannelJourneys(chain, CONFIG);
    journeys.add(session('v', 'Email', 0));
    journeys.add(session('v', 'Paid Search', DAY, 80));
    expect(journeys.size).toBe(0);
    const snapshot = chain.solve();
    expect(probability(chain, ['Email'])).toBe(1);
    expect(snapshot.expectedValue()).toBe(80);
    expect(chain.exportCounts().edges.from).toHaveLength(3); // start>Email>Paid Search>conversion
  });

  it('ends a journey as null when the visitor returns after the timeout', () => {
    const chain = new MarkovChain();
    const journeys = new ChannelJourneys(chain, CONFIG);
    journeys.add(session('v', 'Email', 0));
    journeys.add(session('v', 'Direct', 40 * DAY, 10));
    expect(probability(chain, ['Email'])).toBe(0);
    expect(probability(chain, ['Direct'])).toBe(1);
  });

  it('ends an evicted journey as null, and does not count a converted one twice', () => {
    const chain = new MarkovChain();
    const journeys = new ChannelJourneys(chain, { ...CONFIG, maxVisitors: 1 });
    journeys.add(session('x', 'Email', 0));
    journeys.add(session('y', 'Social', 1000));
    expect(probability(chain, ['Email'])).toBe(0);
    journeys.add(session('y', 'Social', 2000, 5));
    journeys.add(session('z', 'Referral', 3000));
    // y's converted journey was removed, not evicted: no null for Social.
    expect(probability(chain, ['Social'])).toBe(1);
    expect(journeys.size).toBe(1);
  });

  it('ends journeys idle for longer than the timeout as null when event time moves on', () => {
    const chain = new MarkovChain();
    const journeys = new ChannelJourneys(chain, { ...CONFIG, timeoutMs: 3 * DAY });
    journeys.add(session('a', 'Email', 0));
    journeys.add(session('b', 'Display', 2 * DAY));
    expect(journeys.size).toBe(2);
    // Other visitors' sessions move event time on: a's journey (idle since day 0) ends null at
    // day 4, b's (day 2) stays open; nobody had to come back for it.
    journeys.add(session('c', 'Direct', 4 * DAY, 10));
    expect(journeys.size).toBe(1);
    expect(probability(chain, ['Email'])).toBe(0);
    expect(probability(chain, ['Display'])).toBeUndefined();
    // b returns within the timeout of its own last session: still one journey, now converted.
    journeys.add(session('b', 'Affiliates', 4.5 * DAY, 20));
    expect(journeys.size).toBe(0);
    expect(probability(chain, ['Display'])).toBe(1);
  });

  it('drain() ends every open journey as null, once', () => {
    const chain = new MarkovChain();
    const journeys = new ChannelJourneys(chain, CONFIG);
    journeys.add(session('a', 'Email', 0));
    journeys.add(session('a', 'Referral', DAY));
    journeys.add(session('b', 'Display', DAY));
    expect(journeys.drain()).toBe(2);
    expect(journeys.size).toBe(0);
    expect(journeys.drain()).toBe(0);
    expect(probability(chain, ['Email'])).toBe(0);
    expect(probability(chain, ['Display'])).toBe(0);
    // start > Email > Referral > null and start > Display > null: nothing else was counted.
    expect(chain.exportCounts().edges.from).toHaveLength(5);
  });
});
