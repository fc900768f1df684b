// The daemon's side of a connection: reads its answers, in request order, to find where each
// ends. The bytes themselves go to the client untouched, in as few writes as possible; only
// the heads are parsed, and only the framing of the bodies is tracked.
import { ChunkedBody, LengthBody, UntilCloseBody, type BodyTracker } from './body-framing.js';
import type { Exchange } from './exchange.js';
import { findHeadEnd, parseResponseHead, type ResponseHead } from './http-head.js';
import { RepeatedHead } from './repeated-head.js';

/** Upper bound on a response head from the daemon: a broken upstream must not grow memory. */
const MAX_RESPONSE_HEAD = 1 << 20;

export const enum ResponseState {
  Head, // between answers, or inside a head
  Body, // inside an answer's body
  Tunnel, // the daemon hijacked the connection: raw bytes from here on
}

/** What the reader tells its connection. */
export interface ResponseSink {
  /** The exchange whose answer comes next (first in line), if any. */
  first(): Exchange | undefined;
  /** The daemon's bytes, as they are, to the client. */
  passOn(bytes: Buffer): void;
  /** The first exchange's answer is complete (`connectionClose`: the daemon closes after it). */
  responseDone(connectionClose: boolean): void;
  /** The daemon hijacked the connection; `rest` is stream data that came behind the answer. */
  tunnel(rest: Buffer): void;
  /** The daemon broke HTTP: the connection is finished. */
  protocolError(message: string): void;
  /** Whether the connection takes no more answers (closed, or ending after a last one). */
  stopped(): boolean;
}

export class ResponseReader {
  private state = ResponseState.Head;
  /** A head's first bytes, kept until the rest arrives. */
  private partial: Buffer | null = null;
  private scanFrom = 0;
  /** The daemon's last response head, kept to be recognised when it comes again. */
  private readonly lastHead: RepeatedHead<ResponseHead>;
  private body: BodyTracker | null = null;

  constructor(
    private readonly sink: ResponseSink,
    maxRepeatedHead: number,
  ) {
    this.lastHead = new RepeatedHead<ResponseHead>(maxRepeatedHead);
  }

  get tunnel(): boolean {
    return this.state === ResponseState.Tunnel;
  }

  /** Between answers, with no partial head in hand. */
  get betweenAnswers(): boolean {
    return this.state === ResponseState.Head && this.partial === null;
  }

  /** Inside a body that ends when the daemon closes the connection. */
  get untilClose(): boolean {
    return this.state === ResponseState.Body && this.body instanceof UntilCloseBody;
  }

  /** Whether bytes the daemon sent are kept here (a partial head): its read buffer must not be reused. */
  get holdsBytes(): boolean {
    return this.partial !== null;
  }

  /** The current answer is ended by the connection (closed or gone): drop what is in hand. */
  drop(): void {
    this.partial = null;
  }

  /** The daemon's next bytes. */
  read(chunk: Buffer): void {
    if (this.state === ResponseState.Tunnel) {
      this.sink.passOn(chunk);
      return;
    }
    if (this.sink.stopped()) return;
    const buf = this.partial === null ? chunk : Buffer.concat([this.partial, chunk]);
    this.partial = null;
    this.walk(buf);
  }

  /**
   * Walks the daemon's bytes to find where each answer ends. `sent` marks how far `buf` has
   * been passed on; a span is flushed before anything the proxy writes itself.
   */
  private walk(buf: Buffer): void {
    const sink = this.sink;
    let pos = 0;
    let sent = 0;
    while (pos < buf.length && !sink.stopped()) {
      const exchange = sink.first();
      if (exchange === undefined || !exchange.forwarded) {
        sink.protocolError('daemon sent bytes nobody asked for');
        return;
      }
      if (this.state === ResponseState.Head) {
        let end = this.lastHead.match(buf, pos);
        let head: ResponseHead;
        if (end > 0) {
          head = this.lastHead.head;
        } else {
          end = findHeadEnd(buf, Math.max(pos, this.scanFrom));
          if (end < 0) {
            sent = this.passOn(buf, sent, pos);
            if (buf.length - pos > MAX_RESPONSE_HEAD) {
              sink.protocolError('response head from the daemon too long');
              return;
            }
            this.partial = buf.subarray(pos); // wait for the rest of the head
            this.scanFrom = buf.length - pos;
            return;
          }
          try {
            head = parseResponseHead(buf, end, pos);
          } catch (err) {
            sink.protocolError((err as Error).message);
            return;
          }
          this.lastHead.keep(buf, pos, end, head);
        }
        this.scanFrom = 0;
        const status = head.status;
        if (status < 200 && status !== 101) {
          // Interim answer (100 Continue, 103): pass it on, unless the proxy already said it.
          if (status === 100 && exchange.dropContinue) {
            this.passOn(buf, sent, pos);
            sent = end; // the daemon's own 100 is not passed on
          }
          pos = end;
          continue;
        }
        pos = end;
        exchange.status = status;
        if (status === 101) {
          this.passOn(buf, sent, pos);
          this.enterTunnel(buf.subarray(pos));
          return;
        }
        if (exchange.method === 'HEAD' || status === 204 || status === 304) {
          sent = this.passOn(buf, sent, pos);
          this.answerDone(head.connectionClose);
          continue;
        }
        let body: BodyTracker;
        if (head.chunked) body = new ChunkedBody(502);
        else if (head.contentLength >= 0) body = new LengthBody(head.contentLength);
        else if (exchange.hijack && status >= 200 && status < 300) {
          // Docker's attach/exec-start without Upgrade: a 200 with no length, then a raw stream.
          this.passOn(buf, sent, pos);
          this.enterTunnel(buf.subarray(pos));
          return;
        } else {
          body = new UntilCloseBody();
          exchange.closeAfter = true;
        }
        if (head.connectionClose) exchange.closeAfter = true;
        this.body = body;
        this.state = ResponseState.Body;
        if (body.done) {
          sent = this.passOn(buf, sent, pos);
          this.answerDone(false);
        }
        continue;
      }
      // ResponseState.Body
      const body = this.body;
      if (body === null) {
        sink.protocolError('response reader: in a body without its framing');
        return;
      }
      try {
        pos += body.consume(buf, pos);
      } catch (err) {
        sink.protocolError((err as Error).message);
        return;
      }
      if (body.done) {
        sent = this.passOn(buf, sent, pos);
        this.answerDone(false);
      }
    }
    if (!sink.stopped()) this.passOn(buf, sent, pos);
  }

  /** Passes `buf[sent, to)` on to the client and returns how far `buf` is passed on. */
  private passOn(buf: Buffer, sent: number, to: number): number {
    if (to > sent) this.sink.passOn(sent === 0 && to === buf.length ? buf : buf.subarray(sent, to));
    return to;
  }

  /** The current answer is complete: the next bytes begin another. */
  answerDone(connectionClose: boolean): void {
    this.state = ResponseState.Head;
    this.body = null;
    this.sink.responseDone(connectionClose);
  }

  private enterTunnel(rest: Buffer): void {
    this.state = ResponseState.Tunnel;
    this.body = null;
    this.sink.tunnel(rest);
  }
}
