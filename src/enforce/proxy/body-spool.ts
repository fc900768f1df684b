// Holds a request body on disk while it is judged (build contexts: the Dockerfile can sit
// anywhere in a multi-gigabyte tar), then replays exactly those bytes upstream. Memory use
// stays flat; the file is unlinked as soon as it is created, so nothing is left behind
// even if the process dies.
import { open, mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class SpoolLimitError extends Error {}

export class BodySpool {
  private size = 0;
  private writing: Promise<unknown> = Promise.resolve();
  private failed: Error | undefined;

  private constructor(
    private readonly file: FileHandle,
    readonly limit: number,
  ) {}

  static async create(limit: number, dir = tmpdir()): Promise<BodySpool> {
    const d = await mkdtemp(join(dir, 'dockgate-spool-'));
    const path = join(d, 'body');
    const file = await open(path, 'w+', 0o600);
    await rm(d, { recursive: true, force: true }); // unlinked: the open handle keeps the data
    return new BodySpool(file, limit);
  }

  get bytes(): number {
    return this.size;
  }

  /**
   * Appends a piece (in order). Returns a promise that settles when it is on disk, so the
   * caller can pause its source: backpressure instead of buffering.
   */
  append(piece: Buffer): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const at = this.size;
    this.size += piece.length;
    if (this.size > this.limit) {
      this.failed = new SpoolLimitError(`request body larger than ${this.limit} bytes`);
      return Promise.reject(this.failed);
    }
    const done = this.writing.then(() => this.file.write(piece, 0, piece.length, at));
    this.writing = done.catch((err: Error) => (this.failed = err));
    return done.then(() => undefined);
  }

  /** Reads the spooled bytes back in pieces of up to `chunk` bytes. */
  async *replay(chunk = 256 * 1024): AsyncGenerator<Buffer> {
    await this.writing;
    if (this.failed) throw this.failed;
    for (let pos = 0; pos < this.size; ) {
      const buf = Buffer.allocUnsafe(Math.min(chunk, this.size - pos));
      const { bytesRead } = await this.file.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) throw new Error('spool file ended early');
      pos += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  }

  async close(): Promise<void> {
    await this.writing.catch(() => {});
    await this.file.close().catch(() => {});
  }
}
