/**
 * One write() call: the range of buffer positions its rows took, and the promise its caller
 * awaits. It settles when every insert covering the range has settled: resolved if all
 * succeeded, rejected with the first failure otherwise.
 */
export interface Ticket {
  /** Position of its first row, once admitted (-1 before). */
  start: number;
  /** Position after its last row, once all are admitted (-1 before). */
  end: number;
  error: Error | undefined;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export function newTicket(): Ticket {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { start: -1, end: -1, error: undefined, done, resolve, reject };
}
