import { describe, expect, it } from 'vitest';
import { ManualClock, StateError } from '../../core/index.js';
import type { RuntimeParts } from '../../runtime/index.js';
import { runtimeReadiness } from './ops.js';

/** The pipeline check reads only processingFailure(); the rest of the runtime is not needed. */
function pipelineCheck(failure: Error | undefined) {
  const parts = { processingFailure: () => failure } as unknown as RuntimeParts;
  const check = runtimeReadiness(parts, new ManualClock(0)).find((c) => c.name === 'pipeline');
  if (check === undefined) throw new Error('no pipeline check');
  return check.check();
}

describe('/readyz pipeline check', () => {
  it('is ready while events are processed', async () => {
    expect(await pipelineCheck(undefined)).toEqual({ ok: true, detail: 'processing' });
  });

  it('is not ready once processing stopped for good, and says why', async () => {
    const stopped = new StateError(
      'checkpoint_corrupt',
      'sessionizer checkpoint checksum mismatch',
    );
    expect(await pipelineCheck(stopped)).toEqual({
      ok: false,
      detail: 'stopped: sessionizer checkpoint checksum mismatch',
    });
  });
});
