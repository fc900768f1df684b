// Where a request body waits while the decision point judges it. Two holds keep this one
// shape: in memory (held-body.ts: a body the judge reads whole) and on disk (spooled-body.ts:
// a build context the judge reads as it streams by). Either way the connection hands over
// the body as received, learns when all of it is kept, and forwards exactly those bytes if
// the request is allowed.
import type { Refusal } from '../../docker/index.js';

export interface BodyHold {
  /** A de-chunked piece of the payload, as the framing yields it: what the judge reads. */
  addPayload(piece: Buffer): void;
  /**
   * A piece of the body as received (framing included). A Refusal when the hold will not
   * keep it (nothing is kept then); a hold that keeps it later reports a failure on its own.
   */
  addReceived(piece: Buffer): Refusal | null;
  /** Every piece received so far is kept (on disk: written). */
  readonly settled: boolean;
  /**
   * The whole body is received and settled: the judge gets its view (the payload in one
   * buffer, or the end of the stream it reads).
   */
  complete(): Buffer | undefined;
  /**
   * The bytes as received, to be forwarded once allowed: at hand, or read back in order. Taken
   * once; the hold lets go of them when they are read (or on release).
   */
  forwardable(): readonly Buffer[] | AsyncIterable<Buffer>;
  /** Lets go of everything held (forwarded, refused, or the connection gone); idempotent. */
  release(): void;
}
