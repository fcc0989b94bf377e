import type { SessionTruth } from './session-truth.js';
import type { Visitor } from './visitor.js';

/** A session while the run writes and delivers it: its truth plus bookkeeping. */
export interface SessionRun {
  readonly truth: SessionTruth;
  readonly visitor: Visitor;
  /** Channel index (the realised mix counts sessions per visitor type and channel). */
  readonly channel: number;
  /** Events generated and events delivered so far. */
  generated: number;
  delivered: number;
}
