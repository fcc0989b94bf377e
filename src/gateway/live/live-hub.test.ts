import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, silentLogger, type Score } from '../../core/index.js';
import { LiveHub, type LiveSocket, type ScoreFrame } from './live-hub.js';

class FakeSocket implements LiveSocket {
  readonly frames: ScoreFrame[] = [];
  bufferedAmount = 0;
  terminated = false;

  send(data: string): void {
    this.frames.push(JSON.parse(data) as ScoreFrame);
  }

  terminate(): void {
    this.terminated = true;
  }
}

function score(site: string, visitor: string, n: number): Score {
  return {
    site,
    visitor,
    sessionId: `s-${visitor}`,
    at: n,
    propensity: n / 1000,
    markovProbability: 0.5,
    nextPages: [{ pageType: '/cart', probability: 0.25 }],
    modelVersion: 'v1',
  };
}

describe('LiveHub', () => {
  let clock: ManualClock;
  let hub: LiveHub;

  beforeEach(() => {
    vi.useFakeTimers();
    clock = new ManualClock(1_000_000);
    hub = new LiveHub({ tickMs: 100, maxBufferedBytes: 1_000 }, { logger: silentLogger, clock });
  });

  afterEach(() => {
    hub.close();
    vi.useRealTimers();
  });

  it('sends each visitor only its own scores, on every socket it holds', () => {
    const a1 = new FakeSocket();
    const a2 = new FakeSocket();
    const b = new FakeSocket();
    const sameIdOtherSite = new FakeSocket();
    hub.add('shop', 'a', a1);
    hub.add('shop', 'a', a2);
    hub.add('shop', 'b', b);
    hub.add('blog', 'a', sameIdOtherSite);
    hub.publish(score('shop', 'a', 1));
    hub.publish(score('shop', 'b', 2));
    hub.publish(score('shop', 'nobody', 3));
    vi.runOnlyPendingTimers();
    expect(a1.frames.map((f) => f.at)).toEqual([1]);
    expect(a2.frames.map((f) => f.at)).toEqual([1]);
    expect(b.frames.map((f) => [f.visitor, f.at])).toEqual([['b', 2]]);
    expect(sameIdOtherSite.frames).toEqual([]);
  });

  it('sends the first update at once and coalesces the rest of the tick into the latest', () => {
    const socket = new FakeSocket();
    hub.add('shop', 'a', socket);
    hub.publish(score('shop', 'a', 1));
    vi.advanceTimersByTime(0);
    expect(socket.frames.map((f) => f.at)).toEqual([1]);

    clock.advance(10);
    for (let n = 2; n <= 50; n++) hub.publish(score('shop', 'a', n));
    vi.advanceTimersByTime(0);
    expect(socket.frames).toHaveLength(1);
    clock.advance(90);
    vi.advanceTimersByTime(90);
    expect(socket.frames.map((f) => f.at)).toEqual([1, 50]);
    expect(socket.frames[1]).toEqual({
      type: 'score',
      visitor: 'a',
      sessionId: 's-a',
      at: 50,
      propensity: 0.05,
      markovProbability: 0.5,
      nextPages: [{ pageType: '/cart', probability: 0.25 }],
      modelVersion: 'v1',
    });
  });

  it('terminates a slow socket instead of buffering for it', () => {
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    hub.add('shop', 'a', slow);
    hub.add('shop', 'a', fast);
    slow.bufferedAmount = 1_001;
    hub.publish(score('shop', 'a', 1));
    vi.advanceTimersByTime(0);
    expect(slow.terminated).toBe(true);
    expect(slow.frames).toEqual([]);
    expect(fast.frames).toHaveLength(1);
    expect(hub.socketsOf('shop', 'a')).toBe(1);
    expect(hub.size).toBe(1);
  });

  it('caps the sockets of one visitor and frees the slot on remove', () => {
    const small = new LiveHub({ maxSocketsPerVisitor: 2 }, { logger: silentLogger, clock });
    const first = small.add('shop', 'a', new FakeSocket());
    expect(small.add('shop', 'a', new FakeSocket())).toBeDefined();
    expect(small.add('shop', 'a', new FakeSocket())).toBeUndefined();
    expect(small.add('shop', 'b', new FakeSocket())).toBeDefined();
    if (first === undefined) throw new Error('no subscription');
    small.remove(first);
    small.remove(first);
    expect(small.socketsOf('shop', 'a')).toBe(1);
    expect(small.add('shop', 'a', new FakeSocket())).toBeDefined();
    small.close();
  });

  it('sends nothing to a removed socket, even with a score pending', () => {
    const socket = new FakeSocket();
    const subscription = hub.add('shop', 'a', socket);
    hub.publish(score('shop', 'a', 1));
    if (subscription === undefined) throw new Error('no subscription');
    hub.remove(subscription);
    vi.runAllTimers();
    expect(socket.frames).toEqual([]);
    expect(hub.size).toBe(0);
  });

  it('rejects invalid options', () => {
    expect(() => new LiveHub({ tickMs: 0 }, { logger: silentLogger })).toThrow(RangeError);
    expect(() => new LiveHub({ maxBufferedBytes: 1.5 }, { logger: silentLogger })).toThrow(
      RangeError,
    );
  });
});
