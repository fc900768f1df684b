// A request body spooled to disk while the decision point reads it as it streams by (build
// contexts, too large to hold in memory). The file is made and written asynchronously; the
// connection pauses its client while writes are outstanding, so memory stays flat.
import type { Refusal } from '../../docker/index.js';
import type { BodyHold } from './body-hold.js';
import { BodySpool, SpoolLimitError } from './body-spool.js';
import type { BodyObserver } from './decision.js';

/** What the spool tells its connection, never after it was released. */
export interface SpoolEvents {
  /** The spool file exists: body bytes can be taken. */
  opened(): void;
  /** A piece is on disk. */
  written(): void;
  /** The body cannot be spooled (limit, disk): the request is refused with `status`. */
  failed(status: number, message: string): void;
}

export class SpooledBody implements BodyHold {
  private spool: BodySpool | null = null;
  /** The file's creation and the writes not yet on disk. */
  private pendingWrites = 1;
  private released = false;
  /** The observer has read the whole body: it is not aborted then. */
  private observed = false;

  constructor(
    limit: number,
    private readonly observer: BodyObserver,
    private readonly events: SpoolEvents,
  ) {
    BodySpool.create(limit).then(
      (spool) => {
        this.pendingWrites--;
        if (this.released) {
          void spool.close();
          return;
        }
        this.spool = spool;
        events.opened();
      },
      (err: Error) => {
        this.pendingWrites--;
        if (!this.released) events.failed(500, `cannot spool the request body: ${err.message}`);
      },
    );
  }

  /** The file exists: pieces can be appended. */
  get opened(): boolean {
    return this.spool !== null;
  }

  /** Writes to disk are outstanding (the file's creation included). */
  get busy(): boolean {
    return this.pendingWrites > 0;
  }

  get settled(): boolean {
    return this.spool !== null && this.pendingWrites === 0;
  }

  /** Copied: the piece may sit in a read buffer reused for the next read. */
  addPayload(piece: Buffer): void {
    this.observer.write(Buffer.from(piece));
  }

  /** Appended in order; the write's end (or failure) is reported through the events. */
  addReceived(piece: Buffer): Refusal | null {
    const spool = this.spool;
    if (piece.length === 0 || spool === null) return null;
    this.pendingWrites++;
    spool.append(Buffer.from(piece)).then(
      () => {
        this.pendingWrites--;
        if (!this.released) this.events.written();
      },
      (err: Error) => {
        this.pendingWrites--;
        if (!this.released) this.events.failed(err instanceof SpoolLimitError ? 413 : 500, err.message);
      },
    );
    return null;
  }

  /** The observer has read the whole body. */
  complete(): undefined {
    this.observed = true;
    this.observer.end();
    return undefined;
  }

  /** The spooled bytes, read back; the file is closed once they are read. */
  async *forwardable(): AsyncGenerator<Buffer> {
    const spool = this.spool;
    if (spool === null) return;
    try {
      yield* spool.replay();
    } finally {
      this.spool = null;
      this.released = true;
      void spool.close();
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (!this.observed) this.observer.abort();
    if (this.spool !== null) void this.spool.close();
    this.spool = null;
  }
}
