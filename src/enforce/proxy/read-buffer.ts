// The buffer each socket of the proxy reads into, chosen again after every read.
//
// Reads land in a buffer owned by the connection and reused from read to read, instead of a
// fresh 64 KiB allocation per read (that external memory makes V8 collect garbage every few
// hundred requests). Its size follows the traffic: a connection that carries small requests
// and answers (and every idle one) reads into a small slice of Node's shared buffer pool, so
// a thousand idle connections share a few pages; one that fills its buffer (a stream, a large
// answer) moves to 64 KiB reads until its reads are small again.
//
// While a stream is under backpressure, each read's bytes wait in a pending write, so every read
// needs another buffer. The buffers handed out that way are kept and read into again once the
// writes are done (`reclaim`): a long stream cycles through a few buffers instead of allocating
// 64 KiB per read, whose external memory made V8 run a full collection every few dozen MiB.

/** Under Node's pool threshold (4 KiB): these buffers are slices of shared 8 KiB slabs. */
const SMALL_READ = 1024;
/** Node's own read size. */
const LARGE_READ = 64 * 1024;
/** Large buffers kept per socket, lent out or spare (a few writes in flight at most: backpressure pauses reads). */
const MAX_KEPT = 4;

export class ReadBuffer {
  private buffer: Buffer = Buffer.allocUnsafe(SMALL_READ);
  /** Large buffers whose bytes were still referenced when reading moved on. */
  private lent: Buffer[] = [];
  /** Large buffers known to be free. */
  private spares: Buffer[] = [];

  /** The buffer for the first read. */
  get first(): Buffer {
    return this.buffer;
  }

  /**
   * Node's `onread` socket option reading through this buffer: `deliver` gets each read's bytes,
   * and `held`, asked after it, says whether the consumer still refers to bytes it was given.
   */
  onread(
    deliver: (bytes: Buffer) => void,
    held: () => boolean,
  ): { buffer: () => Buffer; callback: (n: number, buf: Uint8Array) => boolean } {
    let lastRead = -1; // nothing read yet: Node asks for the first buffer while building the socket
    return {
      buffer: () => (lastRead < 0 ? this.buffer : this.next(lastRead, held())),
      callback: (n, buf) => {
        lastRead = n;
        deliver((buf as Buffer).subarray(0, n));
        return true;
      },
    };
  }

  /**
   * The buffer for the next read, after a read of `bytes` bytes. `lent`: the consumer still
   * refers to bytes it was given (a write in progress, a partial head kept), so the buffer must
   * not be overwritten and the next read goes to another one. Not lent: nothing handed out is
   * referenced any more.
   */
  next(bytes: number, lent: boolean): Buffer {
    const size = bytes >= this.buffer.length ? LARGE_READ : bytes <= SMALL_READ / 2 ? SMALL_READ : this.buffer.length;
    if (lent) {
      if (this.buffer.length === LARGE_READ && this.lent.length < MAX_KEPT) this.lent.push(this.buffer);
      this.buffer = this.take(size);
      return this.buffer;
    }
    this.reclaim();
    if (size !== this.buffer.length) {
      this.keep(this.buffer);
      this.buffer = this.take(size);
    }
    if (size === SMALL_READ && this.spares.length > 0) this.spares = []; // quiet again: let the large buffers go
    return this.buffer;
  }

  /** The consumer refers to none of the bytes it was given (its writes are done): lent buffers are free again. */
  reclaim(): void {
    for (const b of this.lent) this.keep(b);
    this.lent = [];
  }

  private keep(b: Buffer): void {
    if (b.length === LARGE_READ && this.spares.length < MAX_KEPT) this.spares.push(b);
  }

  private take(size: number): Buffer {
    return (size === LARGE_READ ? this.spares.pop() : undefined) ?? Buffer.allocUnsafe(size);
  }
}
