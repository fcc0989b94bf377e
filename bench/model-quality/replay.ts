/**
 * Replays simulated traffic through the runtime's processing path, in process and in order:
 * simulator record -> events-topic envelope -> event processor (validate, enrich) ->
 * PartitionSessionizer -> per update: Scorer.score, then Trainer.onUpdate with the score's Markov
 * probability; per close: Trainer.onClosed (src/runtime/scoring-outputs.ts does exactly this).
 * Snapshots the trainer publishes are swapped into the scorer, as the runtime's timer does.
 *
 * One partition holds every visitor (the runtime splits them by visitor key; sessions and
 * journeys are per visitor, so the split changes nothing here). The processing clock is each
 * record's arrival time, so the sessionizer sees the arrival order and delays a collector would.
 */
import {
  type ClickEvent,
  type Profile,
  type Score,
  type SessionOutput,
  type SessionUpdate,
  ManualClock,
} from '../../src/core/index.js';
import { parseProfileText } from '../../src/crm/index.js';
import { createEnricher, createEventProcessor, type RecordSource } from '../../src/ingest/index.js';
import type { Scorer, Trainer } from '../../src/scoring/index.js';
import { PartitionSessionizer } from '../../src/sessionizer/index.js';
import {
  createSimulation,
  crmCsv,
  pageTypeRules,
  recordText,
  type GroundTruth,
  type SimulatedEvent,
  type SimulationOptions,
} from '../../src/simulator/index.js';

export interface ReplayOptions {
  readonly simulation: SimulationOptions;
  /** Teach the trainer (a training run) or only score with the scorer's model (held out). */
  readonly learn: boolean;
  /** Join the simulated CRM's profiles on the session's user id. Default true. */
  readonly crm?: boolean;
  /** Records between two published snapshots. Default 20,000. */
  readonly publishEveryRecords?: number;
}

export interface ReplayDeps {
  readonly trainer: Trainer;
  readonly scorer: Scorer;
  /** Every live score of a human session update. */
  readonly onScore?: (update: SessionUpdate, score: Score) => void;
}

export interface ReplayResult {
  readonly truth: GroundTruth;
  /** Records replayed (events, duplicates, malformed). */
  readonly records: number;
  /** Distinct events the simulator generated. */
  readonly events: number;
  /** Records the processor or the sessionizer turned into failed events. */
  readonly failed: number;
  readonly updates: number;
  readonly closes: number;
  /** messageIds of the page views delivered (to find them in the truth's sessions). */
  readonly pageViews: ReadonlySet<string>;
  /** CPU time of the processing path alone (not of generating the records), ms. */
  readonly cpuMs: number;
}

/** Records generated, then processed, at a time: a consumer's fetch. */
const CHUNK = 2_000;
const TOPIC = 'events';

/** The record a producer puts on the events topic (what the collector writes, minus geo). */
function envelopeText(record: SimulatedEvent): string {
  // NOTE: the event's JSON is spliced in as it is: a malformed record stays malformed (the
  // processor stores it as a failed event), as it would reaching the topic from a producer.
  return `{"v":1,"site":${JSON.stringify(record.site)},"receivedAt":${record.sendAt},"sentAt":null,"country":"","ipPrefix":"","event":${recordText(record)}}`;
}

/** Loads CRM profiles through the crm module's CSV import parsing into `into`. */
function loadProfiles(csv: string, into: Map<string, Profile>): void {
  for (const row of parseProfileText(csv, { format: 'csv', now: 0 })) {
    if (!row.ok) throw new Error(`CRM row refused: ${row.issue.reason}`);
    into.set(row.profile.userId, row.profile);
  }
}

export function replay(options: ReplayOptions, deps: ReplayDeps): ReplayResult {
  const simulation = createSimulation(options.simulation);
  const { trainer, scorer, onScore } = deps;
  const learn = options.learn;
  const publishEvery = options.publishEveryRecords ?? 20_000;
  const processor = createEventProcessor({
    enricher: createEnricher({ pageType: { rules: pageTypeRules() } }),
    clock: new ManualClock(simulation.config.start),
  });
  // The CRM export as of the run's start. The generator draws a customer's profile when the
  // customer first appears, so each chunk loads the ones drawn since the last (a lookup is by
  // user id, so it never sees a profile the CRM would not have had).
  const profiles = new Map<string, Profile>();
  let profilesLoaded = 0;
  const useCrm = options.crm ?? true;
  let failed = 0;
  let updates = 0;
  let closes = 0;

  const session = (output: SessionOutput): void => {
    if (output.kind === 'update') {
      if (output.session.isBot) return;
      updates++;
      const userId = output.session.userId;
      const profile = userId === null ? undefined : profiles.get(userId);
      const score = scorer.score(output, profile);
      if (learn) trainer.onUpdate(output, { profile, markovProbability: score.markovProbability });
      onScore?.(output, score);
    } else {
      closes++;
      if (learn) trainer.onClosed(output);
    }
  };
  const sessionizer = new PartitionSessionizer(
    {},
    { sink: { session, failed: () => failed++, identity: () => undefined } },
  );

  const pageViews = new Set<string>();
  const batch: RecordSource[] = [];
  const arrivals: number[] = [];
  const iterator = simulation.events[Symbol.iterator]();
  let records = 0;
  let sincePublish = 0;
  let cpuMicros = 0;
  const timed = (work: () => void): void => {
    const started = process.cpuUsage();
    work();
    const used = process.cpuUsage(started);
    cpuMicros += used.user + used.system;
  };

  for (;;) {
    batch.length = 0;
    arrivals.length = 0;
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const record = next.value;
      if (record.kind === 'event' && typeof record.payload !== 'string') {
        if (record.payload['type'] === 'page') pageViews.add(record.messageId);
      }
      batch.push({ topic: TOPIC, partition: 0, offset: records++, value: envelopeText(record) });
      arrivals.push(record.sendAt);
      if (batch.length === CHUNK) break;
    }
    if (batch.length === 0) break;
    const drawn = simulation.crmProfiles();
    if (useCrm && drawn.length > profilesLoaded) {
      loadProfiles(crmCsv(drawn.slice(profilesLoaded)), profiles);
      profilesLoaded = drawn.length;
    }
    timed(() => {
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i] as RecordSource;
        for (const outcome of processor(record)) {
          if (!outcome.ok) {
            failed++;
            continue;
          }
          const event: ClickEvent = outcome.value;
          sessionizer.process(event, arrivals[i] as number, record);
        }
      }
      sincePublish += batch.length;
      if (learn && sincePublish >= publishEvery) {
        sincePublish = 0;
        scorer.swap(trainer.publish());
      }
    });
  }
  timed(() => {
    // End of a finite input: every session closes, every open journey ends.
    sessionizer.drain();
    if (learn) {
      trainer.drain();
      scorer.swap(trainer.publish());
    }
  });
  return {
    truth: simulation.truth(),
    records,
    events: simulation.truth().counts.events,
    failed,
    updates,
    closes,
    pageViews,
    cpuMs: cpuMicros / 1000,
  };
}
