import { counter, type SessionClosed, type SessionUpdate } from '../core/index.js';
import { FeatureVector, type FeatureContext, type FeatureHasher } from './feature-hasher.js';
import { PendingPrefixes, type Prefix } from './pending-prefixes.js';
import { seededRandom, type Random } from './random.js';
import { SessionChains, type MarkovDeltas } from './session-chains.js';
import type { TrainerConfig } from './trainer-config.js';

const sessionsTotal = counter(
  'pathcast_trainer_sessions_total',
  'Closed sessions the trainer saw, by what it did with them (learnt, bot, merged, shutdown).',
  ['outcome'],
);

/** One sampled prefix of a closed session, labelled: what the learner trains on. */
export interface LabelledPrefix {
  /** Hashed feature indices, in the hasher's order (the order predictions sum them in). */
  readonly indices: Uint32Array;
  /** 1 when the session converted after this prefix (a later event was a conversion). */
  readonly label: 0 | 1;
  /** Events in the session up to and including the prefix's event. */
  readonly eventCount: number;
}

/** A closed session's labelled prefixes: one unit of learning (and of deduplication). */
export interface LabelledSession {
  readonly sessionId: string;
  /** Bits of the hasher the indices were made with (every index is below 2^bits). */
  readonly bits: number;
  readonly prefixes: readonly LabelledPrefix[];
}

/** What a close did: whether its path went into the chains, and what there is to learn. */
export interface ClosedOutcome {
  /**
   * The session's path and channel touch count: added to the chains, or (`countPaths` false)
   * left for the learner elsewhere to add.
   */
  readonly counted: boolean;
  /** Its labelled prefixes; undefined when none were sampled (or the session is skipped). */
  readonly labelled: LabelledSession | undefined;
}

const SKIPPED: ClosedOutcome = { counted: false, labelled: undefined };
const COUNTED_ONLY: ClosedOutcome = { counted: true, labelled: undefined };

export interface SessionLabellerDeps {
  readonly hasher: FeatureHasher;
  /** Replaces the seeded sampling source. */
  readonly random?: Random;
  /** The chains closed sessions are counted into; default chains of its own. */
  readonly chains?: SessionChains;
  /**
   * False: closed sessions are not counted here, only judged (`counted`), because the learner
   * elsewhere counts each one it is sent (ModelInputsShipper). Default true.
   */
  readonly countPaths?: boolean;
}

/**
 * The scorer's side of learning, in the process that sessionizes: samples prefixes of open
 * sessions (onUpdate), labels them "converted after this point" when the session closes, and
 * counts the closed session's path into the Markov chains. What it returns from onClosed, and
 * the chains' deltas, are what a learner needs (in-process: Trainer; distributed: shipped to the
 * trainer role over the model-inputs topic).
 */
export class SessionLabeller {
  readonly chains: SessionChains;
  private readonly config: TrainerConfig;
  private readonly hasher: FeatureHasher;
  private readonly pending: PendingPrefixes;
  private readonly vector = new FeatureVector();
  private readonly countPaths: boolean;

  constructor(config: TrainerConfig, deps: SessionLabellerDeps) {
    this.config = config;
    this.hasher = deps.hasher;
    this.pending = new PendingPrefixes(config.sampling, deps.random ?? seededRandom(config.seed));
    this.chains = deps.chains ?? new SessionChains(config);
    this.countPaths = deps.countPaths ?? true;
  }

  /** Bits of the hasher prefixes are labelled with. */
  get bits(): number {
    return this.hasher.bits;
  }

  get pendingSessions(): number {
    return this.pending.sessions;
  }

  get pendingPrefixes(): number {
    return this.pending.prefixes;
  }

  /** Samples the prefix this update completes; cheap when not sampled (no features built). */
  onUpdate(update: SessionUpdate, context: FeatureContext): void {
    const session = update.session;
    if (session.isBot && !this.config.includeBots) return;
    const slot = this.pending.reserve(session);
    if (slot < 0) return;
    this.hasher.extract(update, context, this.vector);
    this.pending.put(session.id, slot, {
      indices: this.vector.copyIndices(),
      conversions: session.conversions,
      eventCount: session.eventCount,
    });
  }

  /**
   * Labels the closed session's prefixes and counts its path into the chains (see countPaths).
   * Sessions merged into another are skipped (the one they became part of closes later, with
   * the whole path); so are bots and, unless configured, sessions closed by a shutdown.
   */
  onClosed(closed: SessionClosed): ClosedOutcome {
    const session = closed.session;
    const pending = this.pending.take(session.id);
    if (session.isBot && !this.config.includeBots) {
      sessionsTotal.inc({ outcome: 'bot' });
      return SKIPPED;
    }
    if (closed.reason === 'merged') {
      sessionsTotal.inc({ outcome: 'merged' });
      return SKIPPED;
    }
    if (closed.reason === 'shutdown' && !this.config.learnFromShutdown) {
      sessionsTotal.inc({ outcome: 'shutdown' });
      return SKIPPED;
    }
    sessionsTotal.inc({ outcome: 'learnt' });
    if (this.countPaths) this.chains.add(session);
    if (pending === undefined) return COUNTED_ONLY;
    const prefixes = pending.prefixes.map((prefix: Prefix) => ({
      indices: prefix.indices,
      // Converted after this point: the session's conversions grew after the prefix's event.
      label: session.conversions > prefix.conversions ? (1 as const) : (0 as const),
      eventCount: prefix.eventCount,
    }));
    return {
      counted: true,
      labelled: { sessionId: session.id, bits: this.hasher.bits, prefixes },
    };
  }

  /** End of a finite input: open channel journeys end null. Returns the journeys ended. */
  drain(): number {
    return this.chains.drain();
  }

  /** Counts added here since the last export, for a learner elsewhere to merge. */
  exportDeltas(): MarkovDeltas {
    return this.chains.exportDeltas();
  }
}
