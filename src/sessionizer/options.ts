import { ConfigError, MAX_SESSION_PATH } from '../core/index.js';

/** When a session's SessionClosed is emitted (README.md: Closing and keeping). */
export const CLOSE_MODES = ['eager', 'final'] as const;
export type CloseMode = (typeof CLOSE_MODES)[number];

/** Every field optional; `resolveSessionizerConfig` fills the defaults and validates. */
export interface SessionizerOptions {
  /** Inactivity gap that ends a session, ms. Default 30 min. */
  readonly gapMs?: number;
  /** Longest session, ms; a longer visit is split. Default 24 h; at most 2^32 - 1 ms (~49 days). */
  readonly maxLengthMs?: number;
  /**
   * Start a new session when an event brings a marketing touch (source / medium / campaign,
   * not direct) that differs from the session's entry, as Universal Analytics did. Default false.
   */
  readonly splitOnCampaign?: boolean;
  /** Bounded out-of-orderness: watermark = max event time - this, ms. Default 2 min. */
  readonly outOfOrdernessMs?: number;
  /** How far behind the watermark an event may still be accepted, ms. Default 30 min. */
  readonly allowedLatenessMs?: number;
  /**
   * Processing time without any event after which the watermark starts to move with the
   * processing clock (advanceTime), ms. Default 1 min.
   */
  readonly idleTimeoutMs?: number;
  /**
   * How far an event's time may run ahead of its receivedAt and still push the watermark, ms.
   * Default 1 min. Infinity trusts event times fully.
   */
  readonly maxLeadOverReceivedMs?: number;
  /**
   * Events per session remembered (time and a 40-bit fingerprint of the id) for dedupe and for
   * ordering the path. Default 2048; at least MAX_SESSION_PATH, at most 65535.
   */
  readonly maxTrackedEvents?: number;
  /** Bound of the anonymousId -> userId map, least recently linked evicted first. Default 100k. */
  readonly maxIdentities?: number;
  /** 'eager' (default): close when the watermark passes the session; 'final': after the lateness. */
  readonly closeMode?: CloseMode;
}

export interface SessionizerConfig {
  readonly gapMs: number;
  readonly maxLengthMs: number;
  readonly splitOnCampaign: boolean;
  readonly outOfOrdernessMs: number;
  readonly allowedLatenessMs: number;
  readonly idleTimeoutMs: number;
  readonly maxLeadOverReceivedMs: number;
  readonly maxTrackedEvents: number;
  readonly maxIdentities: number;
  readonly closeMode: CloseMode;
}

const MINUTE = 60_000;

export const SESSIONIZER_DEFAULTS: SessionizerConfig = {
  gapMs: 30 * MINUTE,
  maxLengthMs: 24 * 60 * MINUTE,
  splitOnCampaign: false,
  outOfOrdernessMs: 2 * MINUTE,
  allowedLatenessMs: 30 * MINUTE,
  idleTimeoutMs: MINUTE,
  maxLeadOverReceivedMs: MINUTE,
  maxTrackedEvents: 2048,
  maxIdentities: 100_000,
  closeMode: 'eager',
};

/** Session offsets (end, page times) are kept as Uint32 ms from the session start. */
const MAX_OFFSET_MS = 0xffff_ffff;

export function resolveSessionizerConfig(options: SessionizerOptions = {}): SessionizerConfig {
  const d = SESSIONIZER_DEFAULTS;
  const config: SessionizerConfig = {
    gapMs: duration('gapMs', options.gapMs ?? d.gapMs, 1, MAX_OFFSET_MS),
    maxLengthMs: duration('maxLengthMs', options.maxLengthMs ?? d.maxLengthMs, 1, MAX_OFFSET_MS),
    splitOnCampaign: flag('splitOnCampaign', options.splitOnCampaign ?? d.splitOnCampaign),
    outOfOrdernessMs: duration('outOfOrdernessMs', options.outOfOrdernessMs ?? d.outOfOrdernessMs),
    allowedLatenessMs: duration(
      'allowedLatenessMs',
      options.allowedLatenessMs ?? d.allowedLatenessMs,
    ),
    idleTimeoutMs: duration('idleTimeoutMs', options.idleTimeoutMs ?? d.idleTimeoutMs),
    maxLeadOverReceivedMs: lead(options.maxLeadOverReceivedMs ?? d.maxLeadOverReceivedMs),
    maxTrackedEvents: integer(
      'maxTrackedEvents',
      options.maxTrackedEvents ?? d.maxTrackedEvents,
      MAX_SESSION_PATH,
      0xffff,
    ),
    maxIdentities: integer('maxIdentities', options.maxIdentities ?? d.maxIdentities, 0, 2 ** 30),
    closeMode: closeMode(options.closeMode ?? d.closeMode),
  };
  // NOTE: an accepted event is at most outOfOrderness + allowedLateness older than the newest
  // one, so with a longer max length an early arrival can never push a session's start back
  // past its own max length: the split points then match an in-order run (see the reference
  // test). A shorter max length would still be safe, only less faithful, but is surely a typo.
  if (config.maxLengthMs <= config.outOfOrdernessMs + config.allowedLatenessMs) {
    throw new ConfigError(
      'sessionizer.maxLengthMs',
      `must exceed outOfOrdernessMs + allowedLatenessMs (${config.outOfOrdernessMs + config.allowedLatenessMs} ms), got ${config.maxLengthMs}`,
    );
  }
  return config;
}

function duration(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `sessionizer.${name}`,
      `must be an integer number of ms in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `sessionizer.${name}`,
      `must be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

function lead(value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return duration('maxLeadOverReceivedMs', value);
}

function flag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ConfigError(`sessionizer.${name}`, `must be true or false, got ${String(value)}`);
  }
  return value;
}

function closeMode(value: unknown): CloseMode {
  if (!CLOSE_MODES.includes(value as CloseMode)) {
    throw new ConfigError(
      'sessionizer.closeMode',
      `must be one of ${CLOSE_MODES.join(', ')}, got ${String(value)}`,
    );
  }
  return value as CloseMode;
}
