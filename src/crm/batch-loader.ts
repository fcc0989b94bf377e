export interface BatchLoaderOptions {
  /**
   * How long keys are collected before one query goes out. 0 (the default) collects until the
   * current turn of the event loop is done (setImmediate): every miss of one batch of events,
   * however many awaits apart, then shares one query, and no timer delay is added.
   */
  readonly windowMs?: number;
  /** Most keys in one query; a full batch goes out at once. Default 1,000. */
  readonly maxBatchSize?: number;
}

interface Waiter<V> {
  readonly resolve: (value: V | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Told of each batch's answer as it comes, before the batch's promises settle: `found` is what
 * the source had of `keys`, undefined when the query failed. Must not throw.
 */
export type BatchAnswerListener<V> = (
  keys: readonly string[],
  found: ReadonlyMap<string, V> | undefined,
) => void;

/**
 * Coalesces single-key loads into batched `loadMany` calls (the DataLoader pattern): load(key)
 * returns a promise of that key's value (undefined when the source has none), and all loads
 * asked for within one window become one call. A failed call fails every load in it. A key is
 * in one call at a time: a load of a key already sent waits for that call's answer.
 *
 * `want(key)` asks for a key without a promise, for a caller that cannot wait: the answer goes
 * to the `onAnswer` listener, which hears of every call's answer.
 */
export class BatchLoader<V> {
  private readonly windowMs: number;
  private readonly maxBatchSize: number;
  private readonly loadMany: (keys: string[]) => Promise<ReadonlyMap<string, V>>;

  private readonly onAnswer: BatchAnswerListener<V> | undefined;

  private pending = new Map<string, Waiter<V>[]>();
  private scheduled: { cancel: () => void } | undefined;
  /** Keys of batches sent and not yet answered, with the waiters of each. */
  private readonly inFlight = new Map<string, Waiter<V>[]>();
  private batchesInFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    loadMany: (keys: string[]) => Promise<ReadonlyMap<string, V>>,
    options: BatchLoaderOptions = {},
    onAnswer?: BatchAnswerListener<V>,
  ) {
    this.loadMany = loadMany;
    this.onAnswer = onAnswer;
    this.windowMs = options.windowMs ?? 0;
    this.maxBatchSize = options.maxBatchSize ?? 1_000;
    if (!(this.windowMs >= 0)) throw new RangeError('windowMs must be >= 0');
    if (!(Number.isSafeInteger(this.maxBatchSize) && this.maxBatchSize >= 1)) {
      throw new RangeError('maxBatchSize must be a whole number >= 1');
    }
  }

  load(key: string): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const waiters = this.pending.get(key) ?? this.inFlight.get(key);
      if (waiters !== undefined) {
        waiters.push({ resolve, reject });
        return;
      }
      this.add(key, [{ resolve, reject }]);
    });
  }

  /**
   * Asks for `key` in the next call, with no promise: its answer goes to `onAnswer` (always
   * after this returns). False, and nothing more, when the key already waits or is in a call. A
   * fraction of what `load` costs (no promise, no callbacks).
   */
  want(key: string): boolean {
    if (this.pending.has(key) || this.inFlight.has(key)) return false;
    this.add(key, []);
    return true;
  }

  /** Whether the key waits for a batch or is in one that has not answered yet. */
  isLoading(key: string): boolean {
    return this.pending.has(key) || this.inFlight.has(key);
  }

  get busy(): boolean {
    return this.pending.size > 0 || this.batchesInFlight > 0;
  }

  /** Resolves once nothing waits and no batch is in flight. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends what is pending now, without waiting for the window. */
  flush(): void {
    this.scheduled?.cancel();
    this.scheduled = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    for (let start = 0; start < keys.length; start += this.maxBatchSize) {
      void this.run(keys.slice(start, start + this.maxBatchSize), batch);
    }
  }

  private add(key: string, waiters: Waiter<V>[]): void {
    this.pending.set(key, waiters);
    if (this.pending.size >= this.maxBatchSize) this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.scheduled !== undefined) return;
    if (this.windowMs === 0) {
      const handle = setImmediate(() => this.flush());
      this.scheduled = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(() => this.flush(), this.windowMs);
      this.scheduled = { cancel: () => clearTimeout(handle) };
    }
  }

  private async run(keys: string[], waiters: Map<string, Waiter<V>[]>): Promise<void> {
    this.batchesInFlight += 1;
    for (const key of keys) this.inFlight.set(key, waiters.get(key) ?? []);
    try {
      let found: ReadonlyMap<string, V>;
      try {
        found = await this.loadMany(keys);
      } catch (error) {
        this.onAnswer?.(keys, undefined);
        for (const key of keys) for (const waiter of waiters.get(key) ?? []) waiter.reject(error);
        return;
      }
      this.onAnswer?.(keys, found);
      for (const key of keys) {
        const value = found.get(key);
        for (const waiter of waiters.get(key) ?? []) waiter.resolve(value);
      }
    } finally {
      for (const key of keys) this.inFlight.delete(key);
      this.batchesInFlight -= 1;
      if (!this.busy) {
        const waiting = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiting) resolve();
      }
    }
  }
}
