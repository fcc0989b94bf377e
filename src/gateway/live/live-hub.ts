import {
  counter,
  gauge,
  systemClock,
  type Clock,
  type Logger,
  type Score,
} from '../../core/index.js';

/** The part of a websocket the hub needs (ws's WebSocket has it; tests pass a fake). */
export interface LiveSocket {
  send(data: string): void;
  /** Bytes queued and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Drops the connection at once, freeing its buffers. */
  terminate(): void;
}

export interface LiveHubOptions {
  /**
   * At most one frame per socket per tick: the first update after a quiet tick goes out at
   * once, later ones in the same tick are coalesced into one frame with the latest score.
   * Default 100 ms.
   */
  readonly tickMs?: number;
  /** A socket with more than this queued unsent is slow and dropped. Default 64 KiB. */
  readonly maxBufferedBytes?: number;
  /** Sockets one (site, visitor) may hold open at once. Default 8. */
  readonly maxSocketsPerVisitor?: number;
}

export const LIVE_HUB_DEFAULTS: Required<LiveHubOptions> = {
  tickMs: 100,
  maxBufferedBytes: 64 * 1024,
  maxSocketsPerVisitor: 8,
};

/** One socket's subscription to one visitor. */
export interface LiveSubscription {
  readonly site: string;
  readonly visitor: string;
  readonly socket: LiveSocket;
}

interface Subscriber extends LiveSubscription {
  readonly key: string;
  /** The latest score not yet sent. */
  pending: Score | undefined;
  /** When the last frame went out (clock ms); -Infinity before the first. */
  lastSentAt: number;
  closed: boolean;
}

/** The frame a website receives for each (coalesced) update of its visitor. */
export interface ScoreFrame {
  readonly type: 'score';
  readonly visitor: string;
  readonly sessionId: string;
  readonly at: number;
  readonly propensity: number;
  readonly markovProbability: number;
  readonly nextPages: Score['nextPages'];
  readonly modelVersion: string;
}

const socketsGauge = gauge('pathcast_live_sockets', 'Open /v1/live websockets');
const framesTotal = counter('pathcast_live_frames_total', 'Score frames sent on /v1/live');
const droppedTotal = counter(
  'pathcast_live_sockets_dropped_total',
  'Live websockets dropped by the server',
  ['reason'],
);

/**
 * Routes live scores to the websockets of the visitor they are about, and to no other.
 *
 * Subscribers are indexed by (site, visitor), so a publish costs O(sockets of that visitor),
 * never a scan of all sockets. Each socket holds at most one pending score (the latest), and
 * a socket whose unsent bytes pass `maxBufferedBytes` is terminated instead of buffering more:
 * memory per socket is bounded whatever the client does.
 */
export class LiveHub {
  private readonly options: Required<LiveHubOptions>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly byVisitor = new Map<string, Set<Subscriber>>();
  /** Subscribers with a pending score. */
  private readonly dirty = new Set<Subscriber>();
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private count = 0;
  private closed = false;

  constructor(options: LiveHubOptions, deps: { readonly logger: Logger; readonly clock?: Clock }) {
    this.options = {
      tickMs: options.tickMs ?? LIVE_HUB_DEFAULTS.tickMs,
      maxBufferedBytes: options.maxBufferedBytes ?? LIVE_HUB_DEFAULTS.maxBufferedBytes,
      maxSocketsPerVisitor: options.maxSocketsPerVisitor ?? LIVE_HUB_DEFAULTS.maxSocketsPerVisitor,
    };
    for (const [key, value] of Object.entries(this.options)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`live option ${key} must be a positive integer, got ${value}`);
      }
    }
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger;
  }

  /** Open sockets. */
  get size(): number {
    return this.count;
  }

  /** The cap on sockets per (site, visitor). */
  get maxSocketsPerVisitor(): number {
    return this.options.maxSocketsPerVisitor;
  }

  /** Sockets open for one visitor. */
  socketsOf(site: string, visitor: string): number {
    return this.byVisitor.get(keyOf(site, visitor))?.size ?? 0;
  }

  /**
   * Subscribes a socket to a visitor's scores; undefined when the visitor already holds
   * `maxSocketsPerVisitor` sockets (the caller refuses the connection).
   */
  add(site: string, visitor: string, socket: LiveSocket): LiveSubscription | undefined {
    if (this.closed) return undefined;
    const key = keyOf(site, visitor);
    let set = this.byVisitor.get(key);
    if (set === undefined) {
      set = new Set();
      this.byVisitor.set(key, set);
    }
    if (set.size >= this.options.maxSocketsPerVisitor) return undefined;
    const subscriber: Subscriber = {
      key,
      site,
      visitor,
      socket,
      pending: undefined,
      lastSentAt: Number.NEGATIVE_INFINITY,
      closed: false,
    };
    set.add(subscriber);
    this.count++;
    socketsGauge.inc();
    return subscriber;
  }

  /** Unsubscribes (the socket closed); safe to call twice. */
  remove(subscription: LiveSubscription): void {
    const subscriber = subscription as Subscriber;
    if (subscriber.closed) return;
    subscriber.closed = true;
    subscriber.pending = undefined;
    this.dirty.delete(subscriber);
    const set = this.byVisitor.get(subscriber.key);
    if (set?.delete(subscriber) === true) {
      this.count--;
      socketsGauge.dec();
      if (set.size === 0) this.byVisitor.delete(subscriber.key);
    }
  }

  /** Hands a score to the sockets of its visitor; never blocks the caller (the pipeline). */
  publish(score: Score): void {
    const set = this.byVisitor.get(keyOf(score.site, score.visitor));
    if (set === undefined) return;
    for (const subscriber of set) {
      subscriber.pending = score;
      this.dirty.add(subscriber);
    }
    // Sent after the current turn, so a burst of scores from one batch costs one frame each.
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.flush();
    });
  }

  /** Sends the pending score of every socket whose tick has passed; re-arms for the rest. */
  flush(): void {
    const now = this.clock.now();
    const { tickMs } = this.options;
    let nextDue = Number.POSITIVE_INFINITY;
    for (const subscriber of this.dirty) {
      const due = subscriber.lastSentAt + tickMs;
      if (due > now) {
        nextDue = Math.min(nextDue, due);
        continue;
      }
      this.dirty.delete(subscriber);
      const score = subscriber.pending;
      subscriber.pending = undefined;
      if (score !== undefined) this.send(subscriber, score, now);
    }
    if (this.dirty.size > 0 && this.timer === undefined && !this.closed) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.flush();
        },
        Math.max(1, Math.ceil(nextDue - now)),
      );
    }
  }

  /** Stops sending; sockets are closed by their server. */
  close(): void {
    this.closed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
    this.dirty.clear();
  }

  private send(subscriber: Subscriber, score: Score, now: number): void {
    if (subscriber.socket.bufferedAmount > this.options.maxBufferedBytes) {
      // NOTE: a slow reader is dropped rather than buffered for: its memory stays bounded and
      // the website reconnects (with a fresh token) when it can keep up again.
      this.logger.info('live_socket_dropped', {
        reason: 'slow',
        site: subscriber.site,
        buffered: subscriber.socket.bufferedAmount,
      });
      droppedTotal.inc({ reason: 'slow' });
      this.remove(subscriber);
      subscriber.socket.terminate();
      return;
    }
    subscriber.lastSentAt = now;
    subscriber.socket.send(JSON.stringify(scoreFrame(score)));
    framesTotal.inc();
  }
}

/** The frame for a score: only fields about the socket's own visitor. */
export function scoreFrame(score: Score): ScoreFrame {
  return {
    type: 'score',
    visitor: score.visitor,
    sessionId: score.sessionId,
    at: score.at,
    propensity: score.propensity,
    markovProbability: score.markovProbability,
    nextPages: score.nextPages,
    modelVersion: score.modelVersion,
  };
}

// NUL cannot appear in a site id (sites.ts allows [A-Za-z0-9_.-]), so the key is unambiguous.
function keyOf(site: string, visitor: string): string {
  return `${site}\u0000${visitor}`;
}
