import type { Device } from './devices.js';
import type { SessionTruth } from './session-truth.js';
import type { Site } from './site-catalog.js';

/** A simulated person on one device, with the state the tracking code would keep. */
export interface Visitor {
  readonly site: Site;
  readonly anonymousId: string;
  /** Index into VISITOR_TYPES, or -1 for a bot. */
  readonly typeIndex: number;
  readonly device: Device;
  readonly ip: string;
  /** Device clock minus true time, ms (0 for most). */
  readonly skewMs: number;
  /** JSON of the per-visitor end of every context (see event-text.ts). */
  readonly contextTail: string;
  /** The CRM's id for a customer; set for a prospect when they sign up or order. */
  userId: string | null;
  email: string | null;
  /** The tracking code knows the userId (after login, sign-up or checkout). */
  identified: boolean;
  /** Per-visitor event sequence number of the last event (properties.seq). */
  seq: number;
  /** Highest seq delivered so far (delivery-order statistics). */
  deliveredSeq: number;
  /** At least one of the visitor's events has been delivered. */
  seen: boolean;
  sessions: number;
  /** Channel of the next session (drawn when the return is decided). */
  nextChannel: number;
  lastSession: SessionTruth | undefined;
}
