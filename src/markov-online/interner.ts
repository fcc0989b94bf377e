/**
 * Two-way map between strings and dense integer ids (0, 1, 2, ...), append-only.
 *
 * Append-only is what lets a solved snapshot share the interner with the live chain: ids below
 * the snapshot's count never change meaning, so the snapshot needs no copy of the names.
 */
export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  get size(): number {
    return this.names.length;
  }

  /** The id of `name`, assigning the next free id on first sight. */
  intern(name: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    const id = this.names.length;
    this.ids.set(name, id);
    this.names.push(name);
    return id;
  }

  /** The id of `name` if it was interned, without assigning one. */
  lookup(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** The name of `id`; throws on an id this interner never handed out (a programmer error). */
  name(id: number): string {
    const name = this.names[id];
    if (name === undefined) throw new RangeError(`unknown id ${id}`);
    return name;
  }
}
