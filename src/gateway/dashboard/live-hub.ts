import type { WebSocket } from 'ws';
import {
  counter,
  gauge,
  toError,
  type Clock,
  type Logger,
  type Score,
  type ScoreFeed,
} from '../../core/index.js';
import type { Kpis, QueryTarget, StorageQueries } from '../../storage/index.js';
import type { LiveFrame, LiveKpis, LiveSession } from './api-types.js';
import { LiveBoard, LIVE_WINDOW_MS } from './live-board.js';
import { recentScores } from './queries.js';

export interface LiveHubDeps {
  readonly scores: ScoreFeed;
  readonly queries: Pick<StorageQueries, 'overview'>;
  readonly target: QueryTarget;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface LiveHubOptions {
  /** How often frames go out, ms. Default 1000. */
  readonly tickMs?: number;
  /** The live window, ms. Default 5 min. */
  readonly windowMs?: number;
  /** The stored figures (sessions, conversion rate, revenue) cover this much history. Default 24 h. */
  readonly storedWindowMs?: number;
  /** How often the stored figures are re-read, ms. Default 5000. */
  readonly storedRefreshMs?: number;
  /** Most live visitors kept per site. Default 50,000. */
  readonly maxVisitors?: number;
}

interface Client {
  readonly socket: WebSocket;
  readonly limit: number;
}

interface SiteState {
  readonly board: LiveBoard;
  readonly clients: Set<Client>;
  stored: Kpis | undefined;
  storedAt: number;
  refreshing: Promise<void> | undefined;
}

/** A socket this far behind gets no new frame until it drains (frames supersede each other). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const framesTotal = counter('pathcast_dashboard_live_frames_total', 'Dashboard live frames sent');
const socketsGauge = gauge('pathcast_dashboard_live_sockets', 'Open dashboard live websockets');

/**
 * The dashboard's live stream: every score from the runtime's feed goes onto its site's board;
 * once a tick each site with listeners gets one frame (coalesced: however many scores arrived),
 * built from the board plus the stored figures of the last 24 h, re-read every few seconds.
 * A site's board is seeded from the stored scores of the live window when first used, so a
 * restarted gateway does not start blank. Frames only ever go to sockets of their own site.
 */
export class LiveHub {
  private readonly deps: LiveHubDeps;
  private readonly tickMs: number;
  /** The live window, ms. */
  readonly windowMs: number;
  private readonly storedWindowMs: number;
  private readonly storedRefreshMs: number;
  private readonly maxVisitors: number;
  private readonly sites = new Map<string, SiteState>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(deps: LiveHubDeps, options: LiveHubOptions = {}) {
    this.deps = deps;
    this.tickMs = options.tickMs ?? 1000;
    this.windowMs = options.windowMs ?? LIVE_WINDOW_MS;
    this.storedWindowMs = options.storedWindowMs ?? 86_400_000;
    this.storedRefreshMs = options.storedRefreshMs ?? 5000;
    this.maxVisitors = options.maxVisitors ?? 50_000;
  }

  start(): void {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = this.deps.scores.subscribe((score) => this.onScore(score));
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Stops listening and closes every socket. Safe to call twice. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const state of this.sites.values()) {
      for (const client of state.clients) client.socket.close(1001, 'server closing');
      state.clients.clear();
    }
    socketsGauge.set(0);
  }

  /** The site's live sessions, highest propensity first. */
  async liveSessions(site: string, limit: number): Promise<LiveSession[]> {
    const state = await this.state(site);
    return state.board.top(this.deps.clock.now(), limit);
  }

  /** Sends frames to `socket` until it closes; the first one at once. */
  async attach(site: string, socket: WebSocket, limit: number): Promise<void> {
    const state = await this.state(site);
    const client = { socket, limit };
    state.clients.add(client);
    socketsGauge.inc();
    socket.on('close', () => {
      if (state.clients.delete(client)) socketsGauge.dec();
    });
    // Browsers never send anything; a client that does is ignored rather than echoed.
    socket.on('message', () => undefined);
    await this.send(site, state, [client]);
  }

  /** One frame for `site` (what a socket would get now). */
  async frame(site: string, limit: number): Promise<LiveFrame> {
    const state = await this.state(site);
    return this.build(site, state, limit);
  }

  private onScore(score: Score): void {
    const state = this.sites.get(score.site);
    // Sites nobody looked at yet are not tracked: their board is seeded from storage on first use.
    state?.board.add(score, this.deps.clock.now());
  }

  private async state(site: string): Promise<SiteState> {
    const existing = this.sites.get(site);
    if (existing !== undefined) return existing;
    const state: SiteState = {
      board: new LiveBoard({ windowMs: this.windowMs, maxVisitors: this.maxVisitors }),
      clients: new Set(),
      stored: undefined,
      storedAt: 0,
      refreshing: undefined,
    };
    this.sites.set(site, state);
    const now = this.deps.clock.now();
    try {
      const seeds = await recentScores(
        this.deps.target,
        site,
        now - this.windowMs,
        this.maxVisitors,
      );
      for (const score of seeds.reverse()) state.board.add(score, now);
    } catch (error) {
      this.deps.logger.warn('dashboard_live_seed_failed', { site, error: toError(error).message });
    }
    return state;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return; // a slow tick is skipped, not queued
    this.ticking = true;
    try {
      for (const [site, state] of this.sites) {
        if (state.clients.size > 0) await this.send(site, state, [...state.clients]);
      }
    } catch (error) {
      this.deps.logger.warn('dashboard_live_tick_failed', { error: toError(error).message });
    } finally {
      this.ticking = false;
    }
  }

  private async send(site: string, state: SiteState, clients: readonly Client[]): Promise<void> {
    const byLimit = new Map<number, string>();
    for (const client of clients) {
      if (client.socket.readyState !== client.socket.OPEN) continue;
      if (client.socket.bufferedAmount > MAX_BUFFERED_BYTES) continue;
      let text = byLimit.get(client.limit);
      if (text === undefined) {
        text = JSON.stringify(await this.build(site, state, client.limit));
        byLimit.set(client.limit, text);
      }
      client.socket.send(text);
      framesTotal.inc();
    }
  }

  private async build(site: string, state: SiteState, limit: number): Promise<LiveFrame> {
    await this.refreshStored(site, state);
    const now = this.deps.clock.now();
    const live = state.board.summary(now);
    const stored = state.stored;
    const kpis: LiveKpis = {
      liveVisitors: live.liveVisitors,
      liveSessions: live.liveSessions,
      averagePropensity: live.averagePropensity,
      sessions: stored?.sessions ?? 0,
      conversionRate: stored?.conversionRate ?? 0,
      revenue: stored?.revenue ?? 0,
      storedWindowMs: this.storedWindowMs,
    };
    return {
      type: 'live',
      site,
      at: now,
      windowMs: this.windowMs,
      kpis,
      sessions: state.board.top(now, limit),
    };
  }

  /**
   * Re-reads the stored figures when they are older than the refresh interval. The first read
   * is awaited; later ones run in the background and the frame uses the previous figures.
   */
  private async refreshStored(site: string, state: SiteState): Promise<void> {
    const now = this.deps.clock.now();
    if (state.refreshing === undefined && now - state.storedAt >= this.storedRefreshMs) {
      state.refreshing = this.deps.queries
        .overview({ site, from: now - this.storedWindowMs, to: now + 1 })
        .then((kpis) => {
          state.stored = kpis;
        })
        .catch((error: unknown) => {
          this.deps.logger.warn('dashboard_live_kpis_failed', {
            site,
            error: toError(error).message,
          });
        })
        .finally(() => {
          state.storedAt = this.deps.clock.now();
          state.refreshing = undefined;
        });
    }
    if (state.stored === undefined && state.refreshing !== undefined) await state.refreshing;
  }
}
