import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { resolveSessionizerConfig, SESSIONIZER_DEFAULTS } from './options.js';

describe('resolveSessionizerConfig', () => {
  it('fills the defaults', () => {
    expect(resolveSessionizerConfig()).toEqual(SESSIONIZER_DEFAULTS);
    expect(
      resolveSessionizerConfig({ maxLeadOverReceivedMs: Infinity }).maxLeadOverReceivedMs,
    ).toBe(Infinity);
  });

  it.each([
    [{ gapMs: 0 }, /gapMs/],
    [{ gapMs: 1.5 }, /gapMs/],
    [{ gapMs: Number.NaN }, /gapMs/],
    [{ maxLengthMs: 2 ** 32 }, /maxLengthMs/],
    [{ maxLengthMs: 20 * 60_000 }, /must exceed/],
    [{ outOfOrdernessMs: -1 }, /outOfOrdernessMs/],
    [{ allowedLatenessMs: '30' as unknown as number }, /allowedLatenessMs/],
    [{ maxTrackedEvents: 10 }, /maxTrackedEvents/],
    [{ maxTrackedEvents: 70_000 }, /maxTrackedEvents/],
    [{ maxIdentities: -1 }, /maxIdentities/],
    [{ splitOnCampaign: 'yes' as unknown as boolean }, /splitOnCampaign/],
    [{ closeMode: 'lazy' as unknown as 'eager' }, /closeMode/],
  ])('rejects %o', (options, message) => {
    expect(() => resolveSessionizerConfig(options)).toThrow(ConfigError);
    expect(() => resolveSessionizerConfig(options)).toThrow(message);
  });
});
