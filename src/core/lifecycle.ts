import { StateError } from './errors.js';

/** Every long-lived component: start() once, close() any number of times. */
export interface Lifecycle {
  start(): Promise<void>;
  /** Flushes and releases resources. Safe to call twice, and before start(). */
  close(): Promise<void>;
}

type Phase = 'new' | 'starting' | 'running' | 'closing' | 'closed';

/**
 * Makes start/close idempotent and ordered for a component that supplies the two bodies:
 * concurrent calls share one promise, close() waits for a start in progress, and a closed
 * component cannot be started again.
 */
export class LifecycleGuard {
  private phase: Phase = 'new';
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private readonly name: string;
  private readonly onStart: () => Promise<void>;
  private readonly onClose: () => Promise<void>;

  constructor(name: string, onStart: () => Promise<void>, onClose: () => Promise<void>) {
    this.name = name;
    this.onStart = onStart;
    this.onClose = onClose;
  }

  get state(): Phase {
    return this.phase;
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  start(): Promise<void> {
    if (this.phase === 'closing' || this.phase === 'closed') {
      return Promise.reject(new StateError('closed', `${this.name} is closed and cannot start`));
    }
    if (this.starting === undefined) {
      this.phase = 'starting';
      this.starting = this.onStart().then(() => {
        if (this.phase === 'starting') this.phase = 'running';
      });
    }
    return this.starting;
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      const wasStarted = this.starting;
      this.phase = 'closing';
      this.closing = (async () => {
        // NOTE: a failed start was already reported to whoever called start(); close() still
        // has to release whatever the start acquired before failing.
        if (wasStarted !== undefined) await Promise.allSettled([wasStarted]);
        try {
          await this.onClose();
        } finally {
          this.phase = 'closed';
        }
      })();
    }
    return this.closing;
  }

  /** Throws unless running; for methods that need a started component. */
  assertRunning(): void {
    if (this.phase !== 'running') {
      throw new StateError('not_running', `${this.name} is ${this.phase}, not running`);
    }
  }
}

/** Closes components in reverse order of start, collecting failures instead of stopping. */
export async function closeAll(components: ReadonlyArray<Pick<Lifecycle, 'close'>>): Promise<void> {
  const errors: unknown[] = [];
  for (const component of [...components].reverse()) {
    try {
      await component.close();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several components failed to close');
}
