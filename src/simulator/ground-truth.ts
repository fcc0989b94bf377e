import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { computeModelTruth, type ModelTruth } from './model-truth.js';
import type { SimulationConfig } from './options.js';
import type { CompiledModel } from './session-model.js';
import type { SessionTruth } from './session-truth.js';
import { LIBRARY_NAME } from './simulated-event.js';
import type { FaultTruth, RunCounts, TruthRecorder } from './truth-recorder.js';

/** Everything `--truth FILE` holds. See TRUTH_DEFINITIONS (in the file as `definitions`). */
export interface GroundTruth extends ModelTruth {
  readonly version: 1;
  readonly generator: string;
  readonly options: SimulationConfig;
  readonly counts: RunCounts;
  readonly faults: FaultTruth;
  readonly crm: { readonly profiles: number };
  /** Every session, humans and bots, in start order (empty when sessions were not recorded). */
  readonly sessions: readonly SessionTruth[];
}

export function buildGroundTruth(
  config: SimulationConfig,
  model: CompiledModel,
  recorder: TruthRecorder,
  crmProfiles: number,
): GroundTruth {
  return {
    version: 1,
    generator: LIBRARY_NAME,
    options: config,
    ...computeModelTruth(model, {
      componentSessions: recorder.componentSessions,
      visitorsByType: recorder.visitorsByType,
    }),
    counts: recorder.counts,
    faults: recorder.faults,
    crm: { profiles: crmProfiles },
    sessions: recorder.sessions,
  };
}

/**
 * Writes the truth as one JSON document. Sessions are streamed one per line inside the array,
 * so a run of millions of events never builds the whole text in memory.
 */
export async function writeTruthFile(path: string, truth: GroundTruth): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const { sessions, ...head } = truth;
  const headText = JSON.stringify(head, null, 1);
  await write(`${headText.slice(0, -2)},\n "sessions": [`);
  let chunk = '';
  for (let i = 0; i < sessions.length; i++) {
    chunk += `${i === 0 ? '\n' : ',\n'}${JSON.stringify(sessions[i])}`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(`${chunk}\n ]\n}\n`);
  out.end();
  await finished(out);
}
