/**
 * Binary min-heap on a numeric key. Equal keys come out in insertion order, which the
 * simulator relies on for reproducible output (a plain heap breaks ties arbitrarily).
 */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly orders: number[] = [];
  private readonly values: T[] = [];
  private counter = 0;

  get size(): number {
    return this.values.length;
  }

  /** Smallest key, or Infinity when empty. */
  peekKey(): number {
    return this.keys[0] ?? Number.POSITIVE_INFINITY;
  }

  push(key: number, value: T): void {
    this.keys.push(key);
    this.orders.push(this.counter++);
    this.values.push(value);
    this.up(this.values.length - 1);
  }

  pop(): T | undefined {
    const n = this.values.length;
    if (n === 0) return undefined;
    const top = this.values[0];
    const lastKey = this.keys.pop() ?? 0;
    const lastOrder = this.orders.pop() ?? 0;
    const lastValue = this.values.pop() as T;
    if (n > 1) {
      this.keys[0] = lastKey;
      this.orders[0] = lastOrder;
      this.values[0] = lastValue;
      this.down(0);
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const ki = this.keys[i] ?? 0;
    const kj = this.keys[j] ?? 0;
    return ki < kj || (ki === kj && (this.orders[i] ?? 0) < (this.orders[j] ?? 0));
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i] ?? 0;
    this.keys[i] = this.keys[j] ?? 0;
    this.keys[j] = k;
    const o = this.orders[i] ?? 0;
    this.orders[i] = this.orders[j] ?? 0;
    this.orders[j] = o;
    const v = this.values[i] as T;
    this.values[i] = this.values[j] as T;
    this.values[j] = v;
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    const n = this.values.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.less(left, smallest)) smallest = left;
      if (right < n && this.less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
