/**
 * The byte chunks a TsvBuffer writes rows into, recycled once no insert needs them any more.
 *
 * NOTE: why recycle. Every fresh chunk is external memory to V8, and allocating a batch's worth
 * of it per insert (tens of MB a second) makes V8 run full mark-compact GCs for "external memory
 * pressure" several times a second, each tracing the whole heap: ~20% of the writer's CPU here
 * (measured with --trace-gc). A chunk is reused only when (1) it is no longer written, (2) all of
 * its bytes were taken, and (3) every view lent out of it was released, i.e. the inserts that
 * sent them settled, retries included.
 */
export class ChunkPool {
  private readonly chunkBytes: number;
  private readonly maxFree: number;
  private readonly free: Buffer[] = [];
  private readonly states = new Map<ArrayBufferLike, ChunkState>();

  /** `maxFree`: idle chunks kept for reuse (the memory a quiet writer holds on to). */
  constructor(chunkBytes: number, maxFree = 32) {
    this.chunkBytes = chunkBytes;
    this.maxFree = maxFree;
  }

  /** A chunk of at least `bytes` (chunkBytes, recycled when possible, or one of its own). */
  acquire(bytes: number): Buffer {
    const chunk =
      bytes <= this.chunkBytes
        ? (this.free.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes))
        : Buffer.allocUnsafeSlow(bytes);
    // allocUnsafeSlow: never a slice of Node's shared pool, so its ArrayBuffer names it.
    this.states.set(chunk.buffer, { chunk, views: 0, writing: true, untaken: true });
    return chunk;
  }

  /** `view` (of a chunk from `acquire`) goes out with an insert. */
  lend(view: Buffer): void {
    const state = this.states.get(view.buffer);
    if (state !== undefined) state.views += 1;
  }

  /** The chunk is written no more; `untaken` says whether some of its bytes wait for a take. */
  retire(chunk: Buffer, untaken: boolean): void {
    this.update(chunk, (s) => {
      s.writing = false;
      s.untaken = untaken;
    });
  }

  /** The last untaken bytes of a retired chunk were taken. */
  allTaken(view: Buffer): void {
    this.update(view, (s) => (s.untaken = false));
  }

  /** The inserts that sent `views` settled: their chunks may be reused. */
  release(views: readonly Buffer[]): void {
    for (const view of views) this.update(view, (s) => (s.views -= 1));
  }

  private update(view: Buffer, change: (state: ChunkState) => void): void {
    const state = this.states.get(view.buffer);
    if (state === undefined) return;
    change(state);
    if (state.writing || state.untaken || state.views > 0) return;
    this.states.delete(view.buffer);
    if (state.chunk.length === this.chunkBytes && this.free.length < this.maxFree) {
      this.free.push(state.chunk);
    }
  }
}

interface ChunkState {
  readonly chunk: Buffer;
  /** Views lent and not released. */
  views: number;
  /** Still the chunk being written. */
  writing: boolean;
  /** Some bytes are not taken yet. */
  untaken: boolean;
}
