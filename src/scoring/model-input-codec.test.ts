import { describe, expect, it } from 'vitest';
import { decodeModelInput, encodeModelInput, type ModelInput } from './model-input-codec.js';
import { SessionChains } from './session-chains.js';
import { SessionBuilder } from './testing/session-builder.js';
import { resolveTrainerConfig } from './trainer-config.js';

const LABELLED: ModelInput = {
  kind: 'labelled',
  session: {
    sessionId: 'site-1:visitor-ü:1700000000000',
    bits: 16,
    prefixes: [
      // Not sorted, with a repeat: the order is the hasher's and must survive.
      { indices: Uint32Array.of(65_535, 0, 17, 17, 300), label: 1, eventCount: 1 },
      { indices: new Uint32Array(0), label: 0, eventCount: 2 },
      { indices: Uint32Array.of(2 ** 16 - 2), label: 0, eventCount: 40 },
    ],
  },
};

const CLOSED: ModelInput = {
  kind: 'closed',
  session: {
    id: '0192a7f3c100-1f2e3d4c5b6a7988',
    site: 'shop',
    visitor: 'anon-ü-1',
    startedAt: 1_727_000_000_000,
    endedAt: 1_727_000_123_456,
    path: ['/home', '/product/:id', '/product/:id', '/cart'],
    entryChannel: 'Paid Search',
    converted: true,
    revenue: 49.9,
  },
  bits: 16,
  prefixes: (LABELLED.kind === 'labelled' ? LABELLED.session : undefined)?.prefixes ?? [],
};

/** CLOSED encoded with `change` made to its session (to build bad records). */
function closedWith(change: Partial<Record<string, unknown>>): Uint8Array {
  if (CLOSED.kind !== 'closed') throw new Error('closed expected');
  return encodeModelInput({ ...CLOSED, session: { ...CLOSED.session, ...change } } as ModelInput);
}

function deltasInput(): ModelInput {
  const chains = new SessionChains(resolveTrainerConfig());
  const builder = new SessionBuilder({ id: 's', channel: 'Email' });
  builder.event({ at: 1, page: '/home' });
  builder.event({ at: 2, page: '/cart' });
  builder.event({ at: 3, conversion: true, revenue: 12.5 });
  chains.add(builder.close().session);
  return { kind: 'deltas', deltas: chains.exportDeltas() };
}

describe('model input codec', () => {
  it('round-trips a labelled session exactly, index order included', () => {
    const bytes = encodeModelInput(LABELLED);
    expect(decodeModelInput(bytes)).toEqual({ ok: true, value: LABELLED });
    // Compact: 6 header, 32 id, bits, count, then 3 bytes a prefix plus 1-3 an index (20).
    expect(bytes.length).toBe(60);
  });

  it('round-trips a closed session (what the trainer counts and learns) exactly', () => {
    expect(decodeModelInput(encodeModelInput(CLOSED))).toEqual({ ok: true, value: CLOSED });
    if (CLOSED.kind !== 'closed') throw new Error('closed expected');
    // Most sessions are not sampled: no prefix, and no path either for a track-only session.
    const bare: ModelInput = {
      ...CLOSED,
      session: { ...CLOSED.session, path: [], converted: false, revenue: 0, entryChannel: '' },
      prefixes: [],
    };
    const bytes = encodeModelInput(bare);
    expect(decodeModelInput(bytes)).toEqual({ ok: true, value: bare });
    // Header 6, id 1 + 29, site 1 + 4, visitor 1 + 9 (ü is two bytes), times 16, channel 1,
    // flags 1, revenue 8, path 1, bits 1, prefix count 1.
    expect(bytes.length).toBe(80);
  });

  it('refuses a closed session with impossible times, revenue or flags, or in format 2', () => {
    const refused = (bytes: Uint8Array, reason: RegExp): void => {
      const decoded = decodeModelInput(bytes);
      expect(decoded).toMatchObject({ ok: false, code: 'model_input_invalid' });
      if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    };
    refused(closedWith({ endedAt: 1_726_999_999_999 }), /session times/);
    refused(closedWith({ startedAt: Number.NaN }), /session times/);
    refused(closedWith({ revenue: Number.POSITIVE_INFINITY }), /revenue/);
    refused(closedWith({ id: '' }), /empty session id/);
    const good = encodeModelInput(CLOSED);
    // The flags byte: after the header, id, site, visitor, the two times and the channel.
    const flagsAt = 6 + 30 + 5 + 10 + 16 + 12;
    expect(good[flagsAt]).toBe(1);
    const flags = Uint8Array.from(good);
    flags[flagsAt] = 2;
    refused(flags, /unknown flags 2/);
    // The path's length, claiming more page types than bytes are left.
    const path = Uint8Array.from(good);
    path[flagsAt + 9] = 0x7f;
    refused(path, /path length exceeds input/);
    // Format 2 had no closed records.
    const older = Uint8Array.from(good);
    older[4] = 2;
    refused(older, /unknown kind 3/);
  });

  it('round-trips a deltas record’s id, and reads format 1 deltas (no id)', () => {
    const input = deltasInput();
    if (input.kind !== 'deltas') throw new Error('deltas expected');
    const withId: ModelInput = { ...input, id: 'p1/0a1b2c3d4e5f/7' };
    expect(decodeModelInput(encodeModelInput(withId))).toEqual({ ok: true, value: withId });
    // Format 1 is the current format without the trailing id (an empty one is a 0 byte).
    const current = encodeModelInput(input);
    expect(current[4]).toBe(3);
    expect(current[current.length - 1]).toBe(0);
    const formatOne = current.slice(0, current.length - 1);
    formatOne[4] = 1;
    expect(decodeModelInput(formatOne)).toEqual({ ok: true, value: input });
    // Format 1 has no id to read: the id's byte is trailing there.
    const stale = Uint8Array.from(current);
    stale[4] = 1;
    expect(decodeModelInput(stale)).toMatchObject({ ok: false, code: 'model_input_invalid' });
  });

  it('round-trips count deltas, one chain or both', () => {
    const both = deltasInput();
    expect(decodeModelInput(encodeModelInput(both))).toEqual({ ok: true, value: both });
    if (both.kind !== 'deltas') throw new Error('deltas expected');
    const one: ModelInput = { kind: 'deltas', deltas: { channels: both.deltas.channels } };
    expect(decodeModelInput(encodeModelInput(one))).toEqual({ ok: true, value: one });
  });

  const good = encodeModelInput(LABELLED);
  const withByte = (at: number, value: number): Uint8Array => {
    const copy = Uint8Array.from(good);
    copy[at] = value;
    return copy;
  };
  it.each([
    ['empty input', new Uint8Array(0)],
    ['bad magic', withByte(0, 0x00)],
    ['unknown format version', withByte(4, 9)],
    ['unknown kind', withByte(5, 7)],
    ['trailing bytes', Uint8Array.from([...good, 0])],
    ['a truncated record', good.subarray(0, good.length - 1)],
    ['bits out of range', withByte(6 + 1 + LABELLED.session.sessionId.length + 1, 40)],
    ['random bytes', Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)],
  ] as const)('refuses %s with model_input_invalid', (_name, bytes) => {
    const decoded = decodeModelInput(bytes);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.code).toBe('model_input_invalid');
      expect(decoded.reason).toMatch(/^invalid model input: /);
    }
  });

  it('refuses an index outside the model, a bad label and a bad delta', () => {
    const outside = encodeModelInput({
      kind: 'labelled',
      session: {
        sessionId: 's',
        bits: 12,
        prefixes: [{ indices: Uint32Array.of(4096), label: 0, eventCount: 1 }],
      },
    });
    expect(decodeModelInput(outside)).toMatchObject({ ok: false, code: 'model_input_invalid' });
    const label = encodeModelInput({
      kind: 'labelled',
      session: {
        sessionId: 's',
        bits: 12,
        prefixes: [{ indices: Uint32Array.of(1), label: 1, eventCount: 1 }],
      },
    });
    const badLabel = Uint8Array.from(label);
    // magic 4, version, kind, id (1 + 1), bits, count, eventCount, then the label.
    badLabel[11] = 2;
    expect(decodeModelInput(badLabel)).toMatchObject({ ok: false, code: 'model_input_invalid' });
    const deltas = encodeModelInput(deltasInput());
    const corrupt = Uint8Array.from(deltas);
    corrupt[8] = 0x00; // inside the first delta's "PCMD" magic
    expect(decodeModelInput(corrupt)).toMatchObject({
      ok: false,
      code: 'model_input_invalid',
      reason: expect.stringContaining('page-flow counts') as unknown,
    });
  });

  it('never throws on any truncation of a valid record', () => {
    for (const bytes of [good, encodeModelInput(deltasInput()), encodeModelInput(CLOSED)]) {
      for (let end = 0; end < bytes.length; end++) {
        expect(decodeModelInput(bytes.subarray(0, end)).ok).toBe(false);
      }
    }
  });
});
