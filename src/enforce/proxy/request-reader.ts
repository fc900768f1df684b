// The client's side of a connection: reads its requests, one head and then that head's body
// framing, from the bytes as they arrive. It decides nothing: the connection asks it for the
// next head or the next piece of body when it is ready for one, and holds the rest back.
import { Refusal } from '../../docker/index.js';
import { ChunkedBody, LengthBody, type BodyTracker } from './body-framing.js';
import { findHeadEnd, parseRequestHead, type RequestHead } from './http-head.js';
import { RepeatedHead } from './repeated-head.js';

export class RequestReader {
  /** Client bytes received but not yet taken. */
  private pending: Buffer | null = null;
  private scanFrom = 0;
  /**
   * The last bodyless head read, kept to be recognised when it comes again: then neither parsed
   * again nor hashed again (the decision point's memo finds the very same text).
   */
  private readonly lastHead: RepeatedHead<RequestHead>;
  /** The last request was a POST: line breaks before the next are dropped (skipCrlfAfterPost). */
  private afterPost = false;
  /** The bytes of the head the last readHead returned (a view of the read, not a copy). */
  headBytes: Buffer = Buffer.alloc(0);
  /** The framing of the current request's body, while one is read. */
  body: BodyTracker | null = null;

  constructor(
    /** Largest request head accepted (request line + headers). */
    private readonly maxHeaderBytes: number,
    maxRepeatedHead: number,
  ) {
    this.lastHead = new RepeatedHead<RequestHead>(maxRepeatedHead);
  }

  /** Whether client bytes wait to be taken. */
  get holdsBytes(): boolean {
    return this.pending !== null;
  }

  add(chunk: Buffer): void {
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** Everything not yet taken, handed over (a stream's first bytes) and no longer kept here. */
  takeRest(): Buffer | null {
    const rest = this.pending;
    this.pending = null;
    return rest;
  }

  /** Nothing more is read: the bytes not yet taken are dropped. */
  drop(): void {
    this.pending = null;
  }

  /**
   * Takes one request head if it is complete (then `headBytes` holds its bytes). Null: more bytes
   * are needed. Throws a Refusal for a head that cannot be read (too long, malformed).
   */
  readHead(): RequestHead | null {
    if (this.afterPost && !this.skipCrlfAfterPost()) return null;
    const buf = this.pending;
    if (buf === null) return null;
    // A client that polls sends the same head again and again: the same bytes read the same.
    const repeated = this.lastHead.match(buf, 0);
    if (repeated > 0) return this.take(this.lastHead.head, buf, repeated);
    const end = findHeadEnd(buf, this.scanFrom);
    const limit = this.maxHeaderBytes;
    if (end < 0 || end > limit) {
      if (buf.length > limit || end > limit) {
        const lineEnd = buf.indexOf(10);
        if (lineEnd < 0 || lineEnd > limit) throw new Refusal(414, `request line longer than ${limit} bytes`);
        throw new Refusal(431, `request head longer than ${limit} bytes`);
      }
      this.scanFrom = buf.length;
      return null;
    }
    const head = parseRequestHead(buf, end);
    if (head.framing.kind === 'none') this.lastHead.keep(buf, 0, end, head);
    else this.lastHead.forget();
    return this.take(head, buf, end);
  }

  /** The head `buf[0, end)` is read: its request begins. */
  private take(head: RequestHead, buf: Buffer, end: number): RequestHead {
    // Usually the read held just this head: no new view of it (a view costs a typed-array allocation).
    this.headBytes = end === buf.length ? buf : buf.subarray(0, end);
    this.pending = end < buf.length ? buf.subarray(end) : null;
    this.scanFrom = 0;
    this.afterPost = head.method === 'POST';
    this.body = null;
    return head;
  }

  /**
   * After a POST, dockerd (Go's server, for old clients that end a body with a line break) drops
   * up to four CR or LF bytes before the next request line. They are dropped here too, or the next
   * request would be refused here and served there. Like Go, waits to see four bytes first.
   * False: wait for more bytes.
   */
  private skipCrlfAfterPost(): boolean {
    const buf = this.pending;
    if (buf === null) return false;
    let n = 0;
    while (n < 4 && n < buf.length && (buf[n] === 13 || buf[n] === 10)) n++;
    if (n === buf.length && n < 4) return false;
    this.afterPost = false;
    if (n === 0) return true;
    this.pending = n < buf.length ? buf.subarray(n) : null;
    return this.pending !== null;
  }

  /** The body of `head` is read from here on (its framing, unless already begun). */
  beginBody(head: RequestHead): BodyTracker {
    if (this.body === null) {
      this.body =
        head.framing.kind === 'chunked'
          ? new ChunkedBody(400)
          : new LengthBody(head.framing.kind === 'length' ? head.framing.length : 0);
    }
    return this.body;
  }

  /** Whether the current body has been read to its end. */
  get bodyDone(): boolean {
    return this.body?.done ?? false;
  }

  /**
   * Takes the next piece of the current body from the bytes at hand (possibly empty). Throws a
   * Refusal when its framing breaks.
   */
  readBody(): Buffer {
    const buf = this.pending;
    const body = this.body;
    if (buf === null || body === null) return EMPTY;
    const n = body.consume(buf, 0);
    this.pending = n === buf.length ? null : buf.subarray(n);
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  /** The current body is over (forwarded, dropped, or given up on). */
  endBody(): void {
    this.body = null;
  }
}

const EMPTY = Buffer.alloc(0);
