import { systemClock, type Clock } from '../core/index.js';
import { writeCrmCsv } from './crm-profiles.js';
import type { EventSink } from './event-sink.js';
import { writeTruthFile, type GroundTruth } from './ground-truth.js';
import type { SimulationConfig, SimulationOptions } from './options.js';
import { paced, type Pacing } from './pacing.js';
import { createSimulation } from './simulation.js';

export interface RunOptions {
  /** Default: `send-at` in live timing, `none` in historical. */
  readonly pacing?: Pacing;
  /** Write the ground truth here (JSON) when the run ends. */
  readonly truthFile?: string;
  /** Write the CRM profiles here (CSV with a header row) when the run ends. */
  readonly crmFile?: string;
  /** Stops the run early (Ctrl-C); what was sent, and the truth so far, are still written. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RunSummary {
  readonly config: SimulationConfig;
  /** False when the run was stopped early. */
  readonly completed: boolean;
  readonly events: number;
  readonly records: number;
  readonly duplicates: number;
  readonly malformed: number;
  readonly sessions: number;
  readonly conversions: number;
  readonly crmProfiles: number;
  readonly elapsedMs: number;
  readonly truth: GroundTruth;
}

/** Runs a simulation into `sink` (file, HTTP, Kafka...), then writes the truth and CRM files. */
export async function runSimulation(
  options: SimulationOptions,
  sink: EventSink,
  run: RunOptions = {},
): Promise<RunSummary> {
  const clock = run.clock ?? systemClock;
  const began = clock.now();
  const simulation = createSimulation(options, clock);
  const pacing: Pacing =
    run.pacing ?? (simulation.config.timing === 'live' ? { mode: 'send-at' } : { mode: 'none' });
  try {
    if (pacing.mode === 'none') {
      // The hot path for files: no promise per record unless the sink pushes back.
      for (const record of simulation.events) {
        const wait = sink.write(record);
        if (wait !== undefined) await wait;
        if (run.signal?.aborted === true) break;
      }
    } else {
      const records = paced(simulation.events, pacing, {
        clock,
        ...(run.sleep === undefined ? {} : { sleep: run.sleep }),
        ...(run.signal === undefined ? {} : { signal: run.signal }),
      });
      try {
        for await (const record of records) {
          const wait = sink.write(record);
          if (wait !== undefined) await wait;
          if (run.signal?.aborted === true) break;
        }
      } catch (error) {
        // An abort during a pacing wait ends the run like an abort between records.
        if (run.signal?.aborted !== true) throw error;
      }
    }
  } finally {
    await sink.close();
  }
  const truth = simulation.truth();
  if (run.truthFile !== undefined) await writeTruthFile(run.truthFile, truth);
  if (run.crmFile !== undefined) await writeCrmCsv(run.crmFile, simulation.crmProfiles());
  return {
    config: simulation.config,
    completed: simulation.finished,
    events: truth.counts.events,
    records: truth.counts.records,
    duplicates: truth.faults.duplicates.count,
    malformed: truth.faults.malformed.count,
    sessions: truth.counts.sessions,
    conversions: truth.counts.conversions,
    crmProfiles: simulation.crmProfiles().length,
    elapsedMs: clock.now() - began,
    truth,
  };
}
