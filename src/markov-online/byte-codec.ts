/**
 * Little-endian binary writer and reader for the model format: unsigned LEB128 varints, float32
 * and float64 values, length-prefixed UTF-8 and byte blobs. The reader never throws on bad input:
 * it records the first problem, returns zeros from then on, and the caller turns the problem
 * into a Result.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Varints carry counts, indexes and versions, all below 2^32. */
const MAX_VARINT = 2 ** 32 - 1;

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buffer.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value & 0xff;
  }

  varint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > MAX_VARINT) {
      throw new RangeError(`varint out of range: ${value}`);
    }
    let rest = value;
    while (rest >= 0x80) {
      this.u8((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.u8(rest);
  }

  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  string(value: string): void {
    this.blob(encoder.encode(value));
  }

  /** A varint length, then the bytes. */
  blob(value: Uint8Array): void {
    this.varint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}

export class ByteReader {
  private readonly input: Uint8Array;
  private readonly view: DataView;
  private offset = 0;
  /** First problem met, or undefined while the input is well-formed. */
  problem: string | undefined;

  constructor(input: Uint8Array) {
    this.input = input;
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get atEnd(): boolean {
    return this.offset === this.input.length;
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  u8(): number {
    if (!this.need(1)) return 0;
    return this.input[this.offset++] as number;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      if (!this.need(1)) return 0;
      const byte = this.input[this.offset++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value > MAX_VARINT ? this.fail('varint out of range') : value;
      scale *= 0x80;
    }
    return this.fail('varint too long');
  }

  f32(): number {
    if (!this.need(4)) return 0;
    const value = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return value;
  }

  f64(): number {
    if (!this.need(8)) return 0;
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  string(): string {
    const bytes = this.blob();
    try {
      return decoder.decode(bytes);
    } catch {
      this.fail('invalid UTF-8');
      return '';
    }
  }

  /** A view into the input (not a copy). */
  blob(): Uint8Array {
    const length = this.varint();
    if (!this.need(length)) return new Uint8Array(0);
    const bytes = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  fail(problem: string): 0 {
    this.problem ??= `${problem} at byte ${this.offset}`;
    // Jump to the end so that callers' loops stop quickly on garbage.
    this.offset = this.input.length;
    return 0;
  }

  private need(bytes: number): boolean {
    if (this.problem !== undefined) return false;
    if (this.offset + bytes <= this.input.length) return true;
    this.fail('truncated input');
    return false;
  }
}
