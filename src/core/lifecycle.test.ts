import { describe, expect, it } from 'vitest';
import { LifecycleGuard, closeAll } from './lifecycle.js';

function counted(): { guard: LifecycleGuard; starts: () => number; closes: () => number } {
  let starts = 0;
  let closes = 0;
  const guard = new LifecycleGuard(
    'thing',
    async () => {
      starts++;
    },
    async () => {
      closes++;
    },
  );
  return { guard, starts: () => starts, closes: () => closes };
}

describe('LifecycleGuard', () => {
  it('starts once however often start() is called', async () => {
    const { guard, starts } = counted();
    await Promise.all([guard.start(), guard.start()]);
    await guard.start();
    expect(starts()).toBe(1);
    expect(guard.running).toBe(true);
  });

  it('closes once however often close() is called', async () => {
    const { guard, closes } = counted();
    await guard.start();
    await Promise.all([guard.close(), guard.close()]);
    await guard.close();
    expect(closes()).toBe(1);
    expect(guard.state).toBe('closed');
  });

  it('can be closed before it was started', async () => {
    const { guard, closes } = counted();
    await guard.close();
    expect(closes()).toBe(1);
    await expect(guard.start()).rejects.toMatchObject({ code: 'closed' });
  });

  it('waits for a start in progress before closing', async () => {
    const order: string[] = [];
    let finishStart: () => void = () => undefined;
    const guard = new LifecycleGuard(
      'slow',
      () =>
        new Promise<void>((resolve) => {
          finishStart = () => {
            order.push('started');
            resolve();
          };
        }),
      async () => {
        order.push('closed');
      },
    );
    const starting = guard.start();
    const closing = guard.close();
    finishStart();
    await Promise.all([starting, closing]);
    expect(order).toEqual(['started', 'closed']);
  });

  it('still closes after a failed start', async () => {
    let closed = false;
    const guard = new LifecycleGuard(
      'broken',
      async () => {
        throw new Error('port in use');
      },
      async () => {
        closed = true;
      },
    );
    await expect(guard.start()).rejects.toThrow('port in use');
    await guard.close();
    expect(closed).toBe(true);
  });

  it('refuses work unless running', async () => {
    const { guard } = counted();
    expect(() => guard.assertRunning()).toThrow(/thing is new/);
    await guard.start();
    expect(() => guard.assertRunning()).not.toThrow();
  });
});

describe('closeAll', () => {
  it('closes in reverse order and reports every failure', async () => {
    const order: string[] = [];
    const make = (name: string, fails: boolean) => ({
      close: async () => {
        order.push(name);
        if (fails) throw new Error(`${name} failed`);
      },
    });
    await expect(
      closeAll([make('log', true), make('store', false), make('http', true)]),
    ).rejects.toThrow(AggregateError);
    expect(order).toEqual(['http', 'store', 'log']);
  });
});
