import { describe, expect, it } from 'vitest';
import type { Score, SessionOutput, SessionSummary } from '../core/index.js';
import type { StorageWriters } from '../storage/index.js';
import { StorageOutputs } from './storage-outputs.js';
import { SESSION_T0, sessionSummary } from './test-sessions.js';

// A recording stand-in for the writers: this unit test is about how StorageOutputs hands rows
// over. The real writers against both engines are tested in the storage module and end to end.
class RecordingWriters {
  readonly calls: Array<{ table: string; rows: unknown[] }> = [];
  failNext: Error | undefined;
  flushed = 0;

  private writer(table: string): { write(rows: readonly unknown[]): Promise<void> } {
    return {
      write: (rows) => {
        this.calls.push({ table, rows: [...rows] });
        const failure = this.failNext;
        this.failNext = undefined;
        return failure === undefined ? Promise.resolve() : Promise.reject(failure);
      },
    };
  }

  readonly events = this.writer('events');
  readonly sessions = this.writer('sessions');
  readonly scores = this.writer('scores');
  readonly identities = this.writer('identities');

  isFull(): boolean {
    return false;
  }

  async flush(): Promise<void> {
    this.flushed++;
  }

  rows(table: string): unknown[][] {
    return this.calls.filter((c) => c.table === table).map((c) => c.rows);
  }
}

const T0 = SESSION_T0;

const summary = (id: string, version: number): SessionSummary =>
  sessionSummary(id, { version, eventCount: version, endedAt: T0 + version });

const closed = (id: string, version: number): SessionOutput => ({
  kind: 'closed',
  session: summary(id, version),
  reason: 'gap',
  mergedInto: null,
});
// The update's event is not read by StorageOutputs.
const update = (id: string, version: number): SessionOutput =>
  ({ kind: 'update', session: summary(id, version), event: {} }) as unknown as SessionOutput;

const score = (session: string): Score =>
  ({ sessionId: session, propensity: 0.5 }) as unknown as Score;

function setup(): { writers: RecordingWriters; outputs: StorageOutputs } {
  const writers = new RecordingWriters();
  return { writers, outputs: new StorageOutputs(writers as unknown as StorageWriters) };
}

describe('StorageOutputs', () => {
  it('hands a turn of rows over in one write per table, a session only in its latest state', async () => {
    const { writers, outputs } = setup();
    outputs.session(0, update('a', 1));
    outputs.session(0, update('b', 1));
    outputs.score(score('a'), update('a', 1));
    outputs.session(0, update('a', 2));
    outputs.score(score('a'), update('a', 2));
    outputs.session(0, closed('a', 3));
    outputs.identity(0, {
      site: 'shop',
      anonymousId: 'x',
      userId: 'u',
      linkedAt: T0,
      eventId: 'e1',
      via: 'identify',
    });
    expect(writers.calls).toEqual([]); // gathered until the turn ends
    await Promise.resolve();
    const sessions = writers.rows('sessions');
    expect(sessions).toHaveLength(1);
    expect(
      sessions[0]?.map((o) => [(o as SessionOutput).session.id, (o as SessionOutput).kind]),
    ).toEqual([
      ['a', 'closed'],
      ['b', 'update'],
    ]);
    expect(writers.rows('scores')).toEqual([
      [
        {
          sessionId: 'a',
          propensity: 0.5,
          channel: 'Direct',
          country: 'DE',
          deviceType: 'desktop',
        },
        {
          sessionId: 'a',
          propensity: 0.5,
          channel: 'Direct',
          country: 'DE',
          deviceType: 'desktop',
        },
      ],
    ]);
    expect(writers.rows('identities')).toEqual([
      [{ site: 'shop', anonymousId: 'x', userId: 'u', at: T0 }],
    ]);

    // The next turn starts afresh: an earlier session's row is not replaced by a later one.
    outputs.session(0, update('a', 4));
    await Promise.resolve();
    expect(writers.rows('sessions').map((rows) => rows.length)).toEqual([1 + 1, 1]);
  });

  it('hands over on flush without waiting for the turn, then waits for the writers', async () => {
    const { writers, outputs } = setup();
    outputs.session(0, update('a', 1));
    await outputs.flush();
    expect(writers.rows('sessions')).toHaveLength(1);
    expect(writers.flushed).toBe(1);
    await Promise.resolve();
    expect(writers.rows('sessions')).toHaveLength(1); // nothing handed over twice
  });

  it('fails the next flush when a write was refused for good, once', async () => {
    const { writers, outputs } = setup();
    writers.failNext = new Error('refused');
    outputs.score(score('a'), update('a', 1));
    await expect(outputs.flush()).rejects.toThrow('refused');
    await expect(outputs.flush()).resolves.toBeUndefined();
  });
});
