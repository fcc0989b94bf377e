/** What sessions need of a table of their strings (StringTable, StringSlots). */
export interface StringIds {
  /** Live strings held, '' excluded. */
  readonly size: number;
  intern(name: string): number;
  release(id: number): void;
  held(id: number): string;
  name(id: number): string;
}

/**
 * Reference-counted string slots, the part both tables share: an id is a slot of a plain array
 * with a count; when the last reference goes, the slot is freed for reuse.
 *
 * Id 0 is the empty string, always present and never counted, so a zeroed column reads as ''.
 */
abstract class CountedSlots implements StringIds {
  private names: string[] = [''];
  private counts = new Int32Array(64);
  private readonly free: number[] = [];

  abstract get size(): number;
  abstract intern(name: string): number;

  /** One more reference to an id already held. */
  retain(id: number): void {
    if (id !== 0) this.counts[id] = this.count(id) + 1;
  }

  /** Drops one reference; the string goes when none is left. */
  release(id: number): void {
    if (id === 0) return;
    const left = this.count(id) - 1;
    if (left < 0) throw new RangeError(`string id ${id} released more often than interned`);
    this.counts[id] = left;
    if (left > 0) return;
    this.dropped(id, this.names[id] ?? '');
    this.names[id] = '';
    this.free.push(id);
  }

  /** The string of an id the caller holds a reference to (unchecked: the hot path). */
  held(id: number): string {
    return this.names[id] ?? '';
  }

  name(id: number): string {
    const name = this.names[id];
    if (name === undefined || (id !== 0 && this.count(id) === 0)) {
      throw new RangeError(`unknown string id ${id}`);
    }
    return name;
  }

  count(id: number): number {
    return this.counts[id] ?? 0;
  }

  /** A free slot (or a new one) holding `name` with one reference. */
  protected take(name: string): number {
    const id = this.free.pop() ?? this.names.length;
    if (id === this.names.length) this.names.push(name);
    else this.names[id] = name;
    if (id >= this.counts.length) this.counts = grownCounts(this.counts, id + 1);
    this.counts[id] = 1;
    return id;
  }

  /** Told when a slot's last reference went, before the slot is freed. */
  protected abstract dropped(id: number, name: string): void;
}

/**
 * Reference-counted string interning: sessions keep small integer ids instead of strings, and a
 * string lives here once however many sessions use it. When the last user releases an id, the
 * string is dropped and the id reused, so the table only holds what open sessions need (page
 * paths and referrer hosts would otherwise grow without bound).
 */
export class StringTable extends CountedSlots {
  private readonly ids = new Map<string, number>();
  /** Split forms of tuple strings (see `parts`), cached per id and dropped with the id. */
  private readonly split: Array<readonly string[] | undefined> = [];

  /** Distinct live strings, '' excluded. */
  get size(): number {
    return this.ids.size;
  }

  /** The id of `name`, counting one more reference. */
  intern(name: string): number {
    if (name === '') return 0;
    const known = this.ids.get(name);
    if (known !== undefined) {
      this.retain(known);
      return known;
    }
    const id = this.take(name);
    this.ids.set(name, id);
    return id;
  }

  /** The id of `name` if it is held, else -1; counts nothing. */
  lookup(name: string): number {
    return name === '' ? 0 : (this.ids.get(name) ?? -1);
  }

  /** `name(id).split(separator)`, computed once per interned string. */
  parts(id: number, separator: string): readonly string[] {
    const cached = this.split[id];
    if (cached !== undefined) return cached;
    const parts = this.name(id).split(separator);
    this.split[id] = parts;
    return parts;
  }

  protected dropped(id: number, name: string): void {
    this.ids.delete(name);
    if (id < this.split.length) this.split[id] = undefined;
  }
}

/**
 * Reference-counted strings without deduplication: every `intern` takes an id of its own, even
 * for a string held already. For strings two holders rarely share, such as user ids (a user has
 * one open session in a partition, now and then two): there the Map lookup StringTable makes to
 * find a shared id, on every intern and release, costs a few cache misses in a Map of hundreds
 * of thousands of entries, and saves next to nothing.
 */
export class StringSlots extends CountedSlots {
  private live = 0;

  /** Strings held (a string held under two ids counts twice), '' excluded. */
  get size(): number {
    return this.live;
  }

  /** A fresh id for `name`, with one reference. */
  intern(name: string): number {
    if (name === '') return 0;
    this.live += 1;
    return this.take(name);
  }

  protected dropped(): void {
    this.live -= 1;
  }
}

function grownCounts(counts: Int32Array<ArrayBuffer>, min: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(Math.max(min, Math.ceil(counts.length * 1.5)));
  next.set(counts);
  return next;
}
