/**
 * A FIFO of numbers in one growable Float64Array: the writer's per-row bookkeeping (where each
 * buffered row ends, its partition). NOTE: not a number[] sliced per batch: at 50k-row batches
 * those slices are megabytes of old-generation garbage per insert, enough to force a full GC
 * every couple of batches (measured with --trace-gc).
 */
export class NumberQueue {
  private values = new Float64Array(1024);
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(value: number): void {
    if (this.tail === this.values.length) this.makeRoom();
    this.values[this.tail++] = value;
  }

  /** Removes the first `count` values (at most all) and returns them. */
  shift(count: number): Float64Array {
    const n = Math.min(Math.max(count, 0), this.length);
    const taken = this.values.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === this.tail) this.head = this.tail = 0;
    return taken;
  }

  /** Moves the values to the front, or into an array twice the size when they fill it. */
  private makeRoom(): void {
    if (this.length * 2 > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values.subarray(this.head, this.tail));
      this.values = grown;
    } else {
      this.values.copyWithin(0, this.head, this.tail);
    }
    this.tail -= this.head;
    this.head = 0;
  }
}
