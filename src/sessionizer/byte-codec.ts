import { StateError } from '../core/index.js';

/** Little-endian binary writer into a growing Buffer. */
export class ByteWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private at = 0;

  u8(value: number): void {
    this.ensure(1);
    this.buffer.writeUInt8(value, this.at);
    this.at += 1;
  }

  u16(value: number): void {
    this.ensure(2);
    this.buffer.writeUInt16LE(value, this.at);
    this.at += 2;
  }

  u32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value, this.at);
    this.at += 4;
  }

  f64(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.at);
    this.at += 8;
  }

  /** UTF-8 with a u32 byte length in front. */
  str(value: string): void {
    const bytes = Buffer.byteLength(value);
    this.u32(bytes);
    this.ensure(bytes);
    this.buffer.write(value, this.at, 'utf8');
    this.at += bytes;
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.at);
    this.at += value.length;
  }

  /** The bytes written so far (a copy the writer no longer touches). */
  finish(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.at));
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.at + bytes, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.at);
    this.buffer = next;
  }
}

/** Reader matching ByteWriter; a read past the end is a corrupt checkpoint, not a crash. */
export class ByteReader {
  private readonly buffer: Buffer;
  private at: number;
  private readonly end: number;

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.buffer = buffer;
    this.at = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.at;
  }

  u8(): number {
    this.need(1);
    const value = this.buffer.readUInt8(this.at);
    this.at += 1;
    return value;
  }

  u16(): number {
    this.need(2);
    const value = this.buffer.readUInt16LE(this.at);
    this.at += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32LE(this.at);
    this.at += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.buffer.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  str(): string {
    const bytes = this.u32();
    this.need(bytes);
    const value = this.buffer.toString('utf8', this.at, this.at + bytes);
    this.at += bytes;
    return value;
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.end) {
      throw new StateError(
        'checkpoint_corrupt',
        `sessionizer checkpoint truncated at byte ${this.at}`,
      );
    }
  }
}
