import { beforeAll, describe, expect, it } from 'vitest';
import { createFeatureHasher, type ModelSnapshot } from '../src/scoring/index.js';
import { trainSmallModel } from '../src/scoring/testing/trained-model.js';
import { decodeTrainerState, encodeTrainerState } from '../src/runtime/trainer-state.js';

let model: ModelSnapshot;
beforeAll(async () => {
  model = trainSmallModel(await createFeatureHasher({ bits: 14 }), 200);
});

describe('trainer state codec', () => {
  it('round-trips the model and the recent session hashes', () => {
    const recent = Float64Array.of(0, 1, 2 ** 48 - 1, 123_456_789);
    const decoded = decodeTrainerState(encodeTrainerState(model, recent));
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.value.recent).toEqual(recent);
    expect(decoded.value.model.id).toBe(model.id);
    expect(decoded.value.model.parts.updates).toBe(model.parts.updates);
    expect(decoded.value.model.markovProbability(['/home'])).toBeCloseTo(
      model.markovProbability(['/home']),
      12,
    );
  });

  it('refuses corrupt input with a stable code, never throwing', () => {
    const good = encodeTrainerState(model, Float64Array.of(5, 6));
    const flip = (at: number, value: number): Buffer => {
      const copy = Buffer.from(good);
      copy[at] = value;
      return copy;
    };
    const notInteger = Buffer.from(good);
    notInteger.writeDoubleBE(0.5, 9);
    const cases: Array<[string, Buffer, string]> = [
      ['empty', Buffer.alloc(0), 'trainer_state_invalid'],
      ['bad magic', flip(0, 0), 'trainer_state_invalid'],
      ['another format', flip(4, 2), 'trainer_state_invalid'],
      ['too many hashes', flip(5, 0xff), 'trainer_state_invalid'],
      ['a hash that is no integer', notInteger, 'trainer_state_invalid'],
      ['a truncated model', good.subarray(0, good.length - 3), 'model_invalid'],
    ];
    for (const [name, bytes, code] of cases) {
      const decoded = decodeTrainerState(bytes);
      expect({ name, ok: decoded.ok, code: decoded.ok ? '' : decoded.code }).toEqual({
        name,
        ok: false,
        code,
      });
    }
  });
});
