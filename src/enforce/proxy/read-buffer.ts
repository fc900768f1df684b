// The buffer each socket of the proxy reads into, chosen again after every read.
//
// Reads land in a buffer owned by the connection and reused from read to read, instead of a
// fresh 64 KiB allocation per read (that external memory makes V8 collect garbage every few
// hundred requests). Its size follows the traffic: a connection that carries small requests
// and answers (and every idle one) reads into a small slice of Node's shared buffer pool, so
// a thousand idle connections share a few pages; one that fills its buffer (a stream, a large
// answer) moves to 64 KiB reads until its reads are small again.

/** Under Node's pool threshold (4 KiB): these buffers are slices of shared 8 KiB slabs. */
const SMALL_READ = 1024;
/** Node's own read size. */
const LARGE_READ = 64 * 1024;

export class ReadBuffer {
  private buffer: Buffer = Buffer.allocUnsafe(SMALL_READ);

  /** The buffer for the first read. */
  get first(): Buffer {
    return this.buffer;
  }

  /**
   * The buffer for the next read, after a read of `bytes` bytes. `lent`: the consumer still
   * refers to the bytes just read (a write in progress, a partial head kept), so they must not
   * be overwritten: the next read goes to a new buffer.
   */
  next(bytes: number, lent: boolean): Buffer {
    const size = bytes >= this.buffer.length ? LARGE_READ : bytes <= SMALL_READ / 2 ? SMALL_READ : this.buffer.length;
    if (lent || size !== this.buffer.length) this.buffer = Buffer.allocUnsafe(size);
    return this.buffer;
  }
}
