/**
 * The JSON the dashboard API answers, shared with the web app (web/ imports these types and
 * nothing else from src/). Type declarations only: no runtime code, no imports, so the browser
 * bundle takes nothing from the server.
 */

/** The range and segment an answer covers (ms since the epoch, [from, to)). */
export interface ApiRange {
  readonly site: string;
  readonly from: number;
  readonly to: number;
}

/** Who is logged in; `GET /api/me`. */
export interface MeResponse {
  readonly site: string;
  /** How the request was authorised. */
  readonly via: 'session' | 'secret_key';
  /** When the session cookie expires (ms), null for a secret key. */
  readonly expiresAt: number | null;
  /** Credit the page must show for the country data (DB-IP, CC BY 4.0). */
  readonly geoAttribution: string;
}

export interface KpiFigures {
  readonly sessions: number;
  readonly visitors: number;
  readonly convertedSessions: number;
  readonly conversions: number;
  readonly revenue: number;
  readonly conversionRate: number;
  readonly scores: number;
  readonly averagePropensity: number | null;
}

export interface OverviewResponse extends ApiRange {
  readonly kpis: KpiFigures;
}

export type TimelineBucket = 'minute' | 'hour' | 'day';

export interface TimelineResponse extends ApiRange {
  readonly bucket: TimelineBucket;
  readonly points: ReadonlyArray<KpiFigures & { readonly at: number }>;
}

export type ApiFunnelStep =
  | { readonly kind: 'page'; readonly pageType: string }
  | { readonly kind: 'event'; readonly name: string }
  | { readonly kind: 'conversion' };

export interface FunnelResponse extends ApiRange {
  readonly windowMs: number;
  /** True when the steps were chosen from the page flow (no `step` given). */
  readonly derived: boolean;
  readonly steps: ReadonlyArray<{
    readonly step: ApiFunnelStep;
    readonly label: string;
    readonly visitors: number;
    readonly rateFromStart: number;
    readonly rateFromPrevious: number;
  }>;
}

export type ApiFlowNode =
  | { readonly kind: 'page'; readonly pageType: string }
  | { readonly kind: 'conversion' }
  | { readonly kind: 'exit' };

export interface PageFlowResponse extends ApiRange {
  readonly links: ReadonlyArray<{
    readonly step: number;
    readonly from: ApiFlowNode;
    readonly to: ApiFlowNode;
    readonly sessions: number;
  }>;
  /** Sessions the shown links carry to an end, and how many of them converted or exited. */
  readonly sessions: number;
  readonly converted: number;
  readonly exited: number;
}

export interface ChannelCredit {
  readonly conversions: number;
  readonly value: number;
}

export interface AttributionRow {
  readonly channel: string;
  readonly markov: ChannelCredit & {
    readonly removalEffect: number;
    readonly valueRemovalEffect: number;
  };
  readonly first: ChannelCredit;
  readonly last: ChannelCredit;
  readonly linear: ChannelCredit;
}

export interface AttributionResponse extends ApiRange {
  readonly order: number;
  readonly withNull: boolean;
  /** Distinct channel paths and journeys (converting and not) they stand for. */
  readonly paths: number;
  readonly journeys: number;
  readonly conversions: number;
  readonly value: number;
  /** P(conversion) from start on the full chain. */
  readonly conversionProbability: number;
  readonly channels: readonly AttributionRow[];
}

/** One visitor in the live sessions table: their latest score. */
export interface LiveSession {
  readonly visitor: string;
  readonly sessionId: string;
  readonly propensity: number;
  readonly markovProbability: number;
  readonly nextPages: ReadonlyArray<{ readonly pageType: string; readonly probability: number }>;
  readonly modelVersion: string;
  /** Event time of the scored event, ms. */
  readonly at: number;
  /** When this process received the score, ms. */
  readonly seenAt: number;
  /** Scores received for this visitor within the live window. */
  readonly updates: number;
}

/** The live figures, over the live window (visitors) and stored history (the rest). */
export interface LiveKpis {
  /** Distinct visitors with a scored event (by event time) within the live window (5 min). */
  readonly liveVisitors: number;
  /** Distinct sessions scored within the live window. */
  readonly liveSessions: number;
  /** Mean latest propensity of the live visitors; null without any. */
  readonly averagePropensity: number | null;
  /** Closed sessions started within the stored window (24 h), their conversion and revenue. */
  readonly sessions: number;
  readonly conversionRate: number;
  readonly revenue: number;
  /** Length of the stored window the three figures above cover, ms. */
  readonly storedWindowMs: number;
}

export interface LiveSessionsResponse {
  readonly site: string;
  readonly at: number;
  readonly windowMs: number;
  readonly sessions: readonly LiveSession[];
}

/** A frame of `GET /api/live` (websocket), once a second. */
export interface LiveFrame {
  readonly type: 'live';
  readonly site: string;
  readonly at: number;
  readonly windowMs: number;
  readonly kpis: LiveKpis;
  readonly sessions: readonly LiveSession[];
}

export interface CountriesResponse extends ApiRange {
  readonly countries: ReadonlyArray<{
    /** ISO 3166-1 alpha-2; '' for sessions whose country is unknown. */
    readonly country: string;
    readonly sessions: number;
    readonly convertedSessions: number;
    readonly revenue: number;
  }>;
}

export interface CalibrationBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

export interface ModelQualityResponse extends ApiRange {
  /**
   * `serving`: the model live scoring serves now, by its own progressive-validation metrics
   * (out-of-sample, over its recent window). `stored`: the same for the newest snapshot in the
   * model registry. `live_scores`: the stored live scores of closed sessions in the range against
   * whether the session converted (when neither model has been validated yet). `none`: no data.
   */
  readonly source: 'serving' | 'stored' | 'live_scores' | 'none';
  readonly version: string | null;
  readonly examples: number;
  readonly positives: number;
  /** NaN is sent as null (JSON has no NaN): AUC needs both classes. */
  readonly auc: number | null;
  readonly logLoss: number | null;
  readonly ece: number | null;
  readonly calibration: readonly CalibrationBin[];
}

export interface FailuresResponse extends ApiRange {
  readonly total: number;
  readonly reasons: ReadonlyArray<{ readonly reason: string; readonly count: number }>;
}

/** Error bodies of the API (see errors.ts). */
export interface ApiError {
  readonly success: false;
  readonly code: string;
  readonly message: string;
}
