// The dashboard's own reads (src/gateway/dashboard/queries.ts) on both engines, the 18.16 server
// and chdb, over the storage fixture history (replays, a merged session, hostile strings): the
// same answers on both, and answers that follow from the history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countries, recentScores, scoredOutcomes } from '../src/gateway/dashboard/queries.js';
import { openEnginePair, type EnginePair } from '../src/storage/testing/engines.js';
import { BASE, SITES, buildHistory, type History } from '../src/storage/testing/fixtures.js';
import { createStorageWriters } from '../src/storage/index.js';
import { testServices } from './services.js';

const DAY = 86_400_000;
const history: History = buildHistory();
let engines: EnginePair;

beforeAll(async () => {
  engines = await openEnginePair(testServices().clickhouseUrl, 'pathcast_it_dashboard');
  for (const { handle } of engines.both) {
    const writers = createStorageWriters(handle, { all: { batchRows: 150, flushIntervalMs: 50 } });
    await Promise.all([
      writers.events.write(history.events),
      writers.sessions.write(history.sessionOutputs),
      writers.scores.write(history.scores),
    ]);
    await writers.close();
  }
});

afterAll(async () => {
  await engines?.close();
});

describe.each(SITES)('dashboard queries for site %j', (site) => {
  const filter = { site, from: BASE - DAY, to: BASE + 30 * DAY };

  it('labels scored moments of closed sessions with their outcome, the same on both engines', async () => {
    const answers = [];
    for (const { handle } of engines.both)
      answers.push(await scoredOutcomes(handle, filter, 10_000));
    const [server, embedded] = answers;
    expect(server?.labels.length).toBeGreaterThan(0);
    expect([...(embedded?.labels ?? [])]).toEqual([...(server?.labels ?? [])]);
    expect([...(embedded?.propensities ?? [])]).toEqual([...(server?.propensities ?? [])]);
    // Every label is an outcome some closed session of the site really had.
    const outcomes = new Set<number>(
      history.sessions
        .filter((s) => s.closed && s.summary.site === site)
        .map((s) => (s.summary.converted ? 1 : 0)),
    );
    for (const label of server?.labels ?? []) expect(outcomes.has(label)).toBe(true);
  });

  it('counts sessions per country the same on both engines, as many as the history has', async () => {
    const answers = [];
    for (const { handle } of engines.both) answers.push(await countries(handle, filter));
    expect(answers[1]).toEqual(answers[0]);
    const total = (answers[0] ?? []).reduce((sum, row) => sum + row.sessions, 0);
    expect(total).toBeGreaterThan(0);
  });

  it('gives the latest score of each recent visitor, the same on both engines', async () => {
    const answers = [];
    for (const { handle } of engines.both) answers.push(await recentScores(handle, site, 0, 1_000));
    expect(answers[1]).toEqual(answers[0]);
    const visitors = new Set(history.scores.filter((s) => s.site === site).map((s) => s.visitor));
    expect(answers[0]?.map((score) => score.visitor).sort()).toEqual([...visitors].sort());
  });
});
