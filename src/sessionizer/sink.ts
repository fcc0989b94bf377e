import type { SessionOutput } from '../core/index.js';
import type { FailedEvent } from '../ingest/index.js';
import type { IdentityLink } from './identity-map.js';

/**
 * Where a sessionizer's outputs go, synchronously and in order. The runtime plugs in storage,
 * scoring and the failed-events writer; tests collect.
 */
export interface SessionSink {
  session(output: SessionOutput): void;
  /** An event the sessionizer could not take (late): the caller stores it, never drops it. */
  failed(event: FailedEvent): void;
  identity(link: IdentityLink): void;
}

/** A sink that keeps everything, in order, for tests and batch use. */
export class CollectingSink implements SessionSink {
  readonly sessions: SessionOutput[] = [];
  readonly failures: FailedEvent[] = [];
  readonly identities: IdentityLink[] = [];

  session(output: SessionOutput): void {
    this.sessions.push(output);
  }

  failed(event: FailedEvent): void {
    this.failures.push(event);
  }

  identity(link: IdentityLink): void {
    this.identities.push(link);
  }

  clear(): void {
    this.sessions.length = 0;
    this.failures.length = 0;
    this.identities.length = 0;
  }
}

/** A sink that drops everything (benchmarks). */
export const nullSink: SessionSink = {
  session: () => undefined,
  failed: () => undefined,
  identity: () => undefined,
};
