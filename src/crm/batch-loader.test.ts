import { describe, expect, it } from 'vitest';
import { BatchLoader } from './batch-loader.js';

/** A loadMany over fixed values whose calls the test answers (or fails) one by one. */
function source(values: Record<string, number>) {
  const calls: string[][] = [];
  const answers: Array<(fail?: Error) => void> = [];
  const loadMany = (keys: string[]): Promise<Map<string, number>> => {
    calls.push([...keys]);
    return new Promise((resolve, reject) => {
      answers.push((fail) => {
        if (fail !== undefined) reject(fail);
        else resolve(new Map(keys.flatMap((k) => (k in values ? [[k, values[k] ?? 0]] : []))));
      });
    });
  };
  return { calls, answers, loadMany };
}

async function turn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('BatchLoader', () => {
  it('sends wanted and loaded keys of one turn in one call, and tells onAnswer first', async () => {
    const { calls, answers, loadMany } = source({ a: 1, b: 2 });
    const heard: string[] = [];
    let settledBeforeAnswer = false;
    const loader = new BatchLoader(loadMany, {}, (keys, found) => {
      heard.push(`${keys.join(',')}=${[...(found?.values() ?? [])].join(',')}`);
      settledBeforeAnswer = settled;
    });
    let settled = false;
    expect(loader.want('a')).toBe(true);
    const b = loader.load('b').finally(() => (settled = true));
    loader.want('c');
    expect(loader.want('a')).toBe(false);
    expect(loader.isLoading('a')).toBe(true);
    await turn();
    expect(calls).toEqual([['a', 'b', 'c']]);
    answers[0]?.();
    expect(await b).toBe(2);
    expect(heard).toEqual(['a,b,c=1,2']);
    expect(settledBeforeAnswer).toBe(false);
    await loader.idle();
    expect(loader.isLoading('a')).toBe(false);
  });

  it('lets a load of a key in flight wait for that call, and a want add nothing', async () => {
    const { calls, answers, loadMany } = source({ a: 1 });
    const loader = new BatchLoader(loadMany);
    const first = loader.load('a');
    await turn();
    expect(calls).toEqual([['a']]);
    const second = loader.load('a');
    expect(loader.want('a')).toBe(false);
    await turn();
    expect(calls).toEqual([['a']]);
    answers[0]?.();
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    // Answered: the next load is a new call.
    const third = loader.load('a');
    await turn();
    answers[1]?.();
    expect(await third).toBe(1);
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('tells onAnswer of a failed call with no values and fails its loads', async () => {
    const { calls, answers, loadMany } = source({ a: 1 });
    const heard: Array<[readonly string[], boolean]> = [];
    const loader = new BatchLoader(loadMany, {}, (keys, found) => heard.push([keys, !!found]));
    loader.want('a');
    const b = loader.load('b');
    await turn();
    answers[0]?.(new Error('down'));
    await expect(b).rejects.toThrow('down');
    expect(heard).toEqual([[['a', 'b'], false]]);
    await loader.idle();
    loader.want('a');
    await turn();
    expect(calls).toEqual([['a', 'b'], ['a']]);
    answers[1]?.();
    await loader.idle();
    expect(heard).toEqual([
      [['a', 'b'], false],
      [['a'], true],
    ]);
  });

  it('sends a full batch at once, wanted keys counted', async () => {
    const { calls, loadMany } = source({});
    const loader = new BatchLoader(loadMany, { maxBatchSize: 2 });
    loader.want('a');
    loader.want('b');
    expect(calls).toEqual([['a', 'b']]);
    loader.want('c');
    expect(calls).toEqual([['a', 'b']]);
    await turn();
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });
});
