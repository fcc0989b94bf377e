import type { Score } from './types.js';

export type ScoreListener = (score: Score) => void;

/** Live scores for whoever listens (websockets, dashboard); publishing never waits for them. */
export interface ScoreFeed {
  publish(score: Score): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: ScoreListener): () => void;
}

/**
 * In-process fan-out. A listener that throws is removed, so one broken subscriber can never stop
 * scores reaching the others or break the pipeline that publishes.
 */
export class LocalScoreFeed implements ScoreFeed {
  private readonly listeners = new Set<ScoreListener>();
  private readonly onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => undefined) {
    this.onListenerError = onListenerError;
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(score: Score): void {
    for (const listener of this.listeners) {
      try {
        listener(score);
      } catch (error) {
        this.listeners.delete(listener);
        this.onListenerError(error);
      }
    }
  }

  subscribe(listener: ScoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
