/**
 * A level-free wake-up: `wait()` resolves at the next `notify()`. Callers check their condition
 * and call `wait()` in the same synchronous step, so a notify can never fall between the two.
 */
export class Notifier {
  private waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
