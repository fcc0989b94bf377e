/**
 * What the ground truth says about one generated session. A session is identified by
 * (site, visitor, ordinal): the visitor's anonymousId and the 1-based number of the session in
 * that visitor's journey, so a sessionizer's sessions can be matched to these.
 */
export interface SessionTruth {
  /** `${site}/${visitor}/${ordinal}`. */
  readonly id: string;
  readonly site: string;
  /** anonymousId of the visitor (one device per visitor). */
  readonly visitor: string;
  /** The visitor's userId when one is known by the end of the session, else null. */
  userId: string | null;
  readonly ordinal: number;
  readonly bot: boolean;
  /** Hidden visitor type (prospect, new, regular-churned, ...) or `bot`. */
  readonly visitorType: string;
  /** Hidden entry channel (GA4 default channel group); `Direct` for bots. */
  readonly channel: string;
  /** The session's odds multiplier (channel x visitor type); 0 for bots. */
  readonly multiplier: number;
  /** True event time of the first and last event, ms. */
  readonly start: number;
  end: number;
  /** Page types in order (crawler paths for bots). */
  readonly pages: string[];
  /**
   * True conversion probability of the session: [at start (landing page not yet drawn), after
   * page 1, after page 2, ...], from the hidden chain of its (visitor type, channel). Empty for
   * bots, which never convert.
   */
  readonly probabilities: number[];
  converted: boolean;
  /** `Order Completed`, `Signed Up`, or null. */
  conversionEvent: string | null;
  revenue: number;
  readonly currency: string;
  /** messageIds of the session's events (each once, duplicates not repeated), in order. */
  readonly messageIds: string[];
  /**
   * What the hidden journey does after this session: `convert` (journey over), `return` (the
   * visitor comes back through `nextChannel`), `leave` (journey over, not converted), `open`
   * (the run ended inside this session).
   */
  next: 'convert' | 'return' | 'leave' | 'open';
  nextChannel: string | null;
  /** For `return`: whether the next session happened before the run ended. */
  nextSessionInRun: boolean;
  /** The run's event budget ran out inside this session: it is incomplete. */
  truncated: boolean;
}
