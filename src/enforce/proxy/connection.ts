// One client connection through the proxy: a byte-faithful HTTP/1.1 relay.
//
// Requests are parsed as they arrive, judged by the decision point, and then their
// exact bytes (head and body, framing untouched) go to one upstream connection that
// belongs to this client connection. Responses come back in request order, their framing
// tracked only to know where each ends. When the daemon hijacks the connection (101
// upgrade, or Docker's 200 raw stream on attach/exec-start) both directions become a
// plain pipe with half-close.
//
// The parts: this class coordinates. It owns the queue of exchanges (exchange.ts) in arrival
// order and the two sockets, each with its lifecycle (ClientSide, UpstreamSide) that only moves
// forward, and says what the client's next bytes are (ReqState). The client's requests are read
// by a RequestReader (request-reader.ts), the daemon's answers by a ResponseReader
// (response-reader.ts); a body the decision point judges waits in a BodyHold (body-hold.ts):
// in memory, or spooled to disk.
//
// Pipelined requests are taken one at a time: the next is read only once the answer to
// the last is complete, as dockerd itself serves them. Forwarded sooner, the daemon's answer
// is lost whenever the daemon closes the connection after answering (a malformed request's
// 400): the write of the next request fails, and Node then drops the connection with that
// answer unread.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Identity } from '../../tenancy/index.js';
import { mayHijack, Refusal } from '../../docker/index.js';
import type { Logger, RequestLog } from '../../observe/index.js';
import type { RequestHead } from './http-head.js';
import { ProxyRequest, type BodyObserver, type Decision, type DecisionPoint } from './decision.js';
import { CONTINUE_100 } from './responses.js';
import { Exchange } from './exchange.js';
import { ResponseReader, type ResponseSink } from './response-reader.js';
import { RequestReader } from './request-reader.js';
import { connectUpstream, type Address } from './upstream.js';
import { headForBody, headWithTarget } from './rewrite-head.js';
import { callerKey, type CallerQuota } from './caller-quota.js';
import type { BodyHold } from './body-hold.js';
import { HeldBody } from './held-body.js';
import { SpooledBody, type SpoolEvents } from './spooled-body.js';
import type { ReusedReads } from './listeners.js';

export interface ConnectionSettings {
  upstream: Address;
  decisionPoint: DecisionPoint;
  logger: Logger;
  /** The request lines, into the logger's sink. */
  requestLog: RequestLog;
  /** Largest request head accepted (request line + headers). */
  maxHeaderBytes: number;
  /** Bodies held in memory to be judged, counted across the proxy's connections. */
  heldBodies: CallerQuota;
}

/** The longest head, of a request or of an answer, kept to be recognised when it comes again (repeated-head.ts). */
const MAX_REPEATED_HEAD = 1024;

const enum ReqState {
  Head, // reading a request head
  Deciding, // waiting for the decision point
  Collecting, // reading a body the decision point wants to see
  Body, // forwarding (or discarding) a body
  Spooling, // writing a body to disk while the decision point reads it (build contexts)
  Replaying, // forwarding a spooled body to the daemon
  Hold, // request that may hijack sent: wait for the daemon's answer before reading on
  Tunnel, // raw bidirectional stream
  Done, // no more requests will be read
}

/**
 * The client's socket, as far as this connection has got with it; it only moves forward
 * (setClientSide). The request state (ReqState) is separate: it says what the next client
 * bytes are, this says whether the socket is still there for them.
 */
const enum ClientSide {
  Open,
  Ended, // the client half-closed: what it sent is answered, then the connection ends
  Closing, // the proxy ends the connection after a last answer: the daemon's further bytes are dropped
  Closed, // destroyed: nothing more is read or written
}

/** The daemon's socket; it only moves forward (setUpstreamSide). */
const enum UpstreamSide {
  Unopened, // opened with the first request forwarded
  Connecting,
  Connected,
  Lost, // gone or given up on: nothing more is written to it, nor a new one opened
}

/** The request being read, judged or forwarded. */
interface CurrentRequest {
  exchange: Exchange;
  head: RequestHead;
  headBytes: Buffer;
  request: ProxyRequest;
}

export class ProxyConnection implements ResponseSink, SpoolEvents {
  private upstream: Socket | null = null;
  /** The daemon's bytes written to the client are out: the upstream socket's read buffers may be reused. */
  private reclaimUpstreamReads: () => void = () => {};
  private upstreamSide = UpstreamSide.Unopened;

  private reqState = ReqState.Head;
  /** The client's requests, read from its bytes. */
  private readonly requests: RequestReader;
  /**
   * Since when the proxy has waited for the client to finish a request head (from its first
   * bytes), a body held in memory to be judged (from the head: all of it in time), or a body
   * spooled to be judged (from its last bytes); 0: not waiting. Past the header timeout, the
   * proxy's timer ends the request (checkTimeout).
   */
  private waitingSince = 0;
  /** Forward the current body (false: a refused request's body is read and dropped). */
  private forwardBody = true;
  private current: CurrentRequest | null = null;
  /** The current request's body, kept while it is judged (Collecting, Spooling, Deciding, Replaying). */
  private hold: BodyHold | null = null;
  /** The same hold when it spools to disk: its writes pause the client. */
  private spooled: SpooledBody | null = null;
  /** Whose held bodies this connection's count as (heldBodies). */
  private readonly caller: string;

  private readonly queue: Exchange[] = [];
  /** The daemon's answers, read to find where each ends. */
  private readonly responses = new ResponseReader(this, MAX_REPEATED_HEAD);

  private upstreamFull = false;
  private clientPaused = false;
  private clientSide = ClientSide.Open;
  /** Shutting down: finish what is in flight, read no new requests. */
  private draining = false;

  constructor(
    private readonly client: Socket,
    private readonly identity: Identity,
    private readonly settings: ConnectionSettings,
    private readonly onClose: (c: ProxyConnection) => void,
    /** How a Unix client's bytes arrive (listeners.ts); other clients emit 'data'. */
    private readonly clientReads?: ReusedReads,
  ) {
    this.caller = callerKey(identity);
    this.requests = new RequestReader(settings.maxHeaderBytes, MAX_REPEATED_HEAD);
    const onClientBytes = (chunk: Buffer) => {
      try {
        this.onClientData(chunk);
      } catch (err) {
        this.handlerFailed(err);
      }
    };
    if (clientReads !== undefined) {
      clientReads.receive = onClientBytes;
      clientReads.held = () => this.clientBytesHeld();
    } else {
      client.on('data', onClientBytes);
    }
    client.on('end', () => this.guard(() => this.onClientEnd()));
    client.on('drain', () =>
      this.guard(() => {
        // The daemon's bytes written to the client are out: its read buffers may be reused.
        if (this.upstream !== null && !this.upstreamBytesHeld()) this.reclaimUpstreamReads();
        this.upstream?.resume();
      }),
    );
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  /**
   * Every handler runs through here: hostile input must never throw out of the proxy. (The two
   * that run on every read, for client and daemon bytes, catch for themselves: no closure per read.)
   */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.handlerFailed(err);
    }
  }

  private handlerFailed(err: unknown): void {
    this.settings.logger.error({ err: (err as Error).message, user: this.identity.user }, 'connection handler failed');
    this.destroy();
  }

  private get closed(): boolean {
    return this.clientSide === ClientSide.Closed;
  }

  /** The client side moves forward only: an 'end' that comes while the proxy is closing changes nothing. */
  private setClientSide(to: ClientSide): void {
    if (to > this.clientSide) this.clientSide = to;
  }

  /** The daemon side moves forward only: a socket given up on is not connected again. */
  private setUpstreamSide(to: UpstreamSide): void {
    if (to > this.upstreamSide) this.upstreamSide = to;
  }

  /**
   * Every change of the request state goes through here, with what must hold on arrival in the
   * new state. No request is read again once reading is done (Done), nor once the daemon
   * made the connection a stream (Tunnel), which is left only for Done.
   */
  private setReqState(to: ReqState): void {
    const from = this.reqState;
    if (from === ReqState.Done && to !== ReqState.Done && to !== ReqState.Tunnel)
      this.violated('a finished reader read on');
    if (from === ReqState.Tunnel && to !== ReqState.Done) this.violated('a stream went back to requests');
    switch (to) {
      case ReqState.Head:
        if (this.current !== null) this.violated('a head read with a request still in hand');
        if (this.hold !== null) this.violated('a body kept with no request to judge');
        break;
      case ReqState.Collecting:
      case ReqState.Spooling:
        if (this.current === null || this.hold === null) this.violated('a body held with no request or no hold');
        if ((to === ReqState.Spooling) !== (this.spooled !== null))
          this.violated('a body held in the wrong kind of hold');
        break;
      case ReqState.Deciding:
        if (this.current === null) this.violated('a decision with no request');
        break;
      case ReqState.Body:
        if (this.current === null || this.requests.body === null)
          this.violated('a body read with no request or framing');
        break;
      case ReqState.Replaying:
        if (this.current === null || this.spooled === null) this.violated('a replay with nothing spooled');
        break;
      case ReqState.Hold:
        if (this.current !== null || this.queue.length === 0) this.violated('a hold with no request sent');
        break;
    }
    this.reqState = to;
  }

  /** No more requests are read from this client; bytes not yet read are dropped. */
  private stopReading(): void {
    this.setReqState(ReqState.Done);
    this.requests.drop();
  }

  /**
   * An invariant of the exchange queue or of the reader states does not hold: a bug, not
   * hostile input. This connection is cut (thrown to its handler's guard); the process goes on.
   */
  private violated(what: string): never {
    throw new Error(`connection invariant violated: ${what}`);
  }

  /**
   * Whether bytes from the client's last read are still referenced: kept for later (a
   * partial head, a request waiting for its decision) or handed to a write that has not
   * completed. Then the next read must not reuse the same buffer.
   */
  private clientBytesHeld(): boolean {
    return (
      this.closed ||
      this.requests.holdsBytes ||
      this.reqState === ReqState.Deciding ||
      this.reqState === ReqState.Collecting ||
      this.reqState === ReqState.Replaying ||
      (this.upstream !== null && this.upstream.writableLength > 0) ||
      this.client.writableLength > 0
    );
  }

  /** Whether bytes read from the daemon are still referenced: a partial head kept, or a write to the client not done. */
  private upstreamBytesHeld(): boolean {
    return this.closed || this.responses.holdsBytes || this.client.writableLength > 0;
  }

  /** True while idle between requests (used by shutdown). */
  get idle(): boolean {
    return this.reqState === ReqState.Head && !this.requests.holdsBytes && this.queue.length === 0;
  }

  // ---- client → daemon -------------------------------------------------------------

  private onClientData(chunk: Buffer): void {
    if (this.reqState === ReqState.Tunnel) {
      this.writeUpstream(chunk);
      return;
    }
    if (this.reqState === ReqState.Done) return; // after a fatal error nothing more is read
    this.requests.add(chunk);
    this.processRequests();
  }

  private processRequests(): void {
    while (this.requests.holdsBytes && !this.closed) {
      if (this.reqState === ReqState.Head) {
        if (this.draining || this.queue.length > 0) break; // the last request's answer first
        if (!this.readHead()) break;
      } else if (this.reqState === ReqState.Body || this.reqState === ReqState.Collecting) {
        this.readBody();
      } else if (this.reqState === ReqState.Spooling) {
        if (!this.spooled?.opened) break; // the spool file is being created
        this.readBody();
      } else {
        break; // Deciding, Hold, Tunnel, Done: the bytes wait
      }
    }
    if (this.clientSide === ClientSide.Ended) this.passClientEnd();
    this.updateClientFlow();
  }

  /** Takes one request head if complete and begins its request. Returns false when more bytes are needed. */
  private readHead(): boolean {
    let head: RequestHead | null;
    try {
      head = this.requests.readHead();
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.refuse(err.status, err.message);
      return false;
    }
    if (head === null) {
      // The header timeout runs from when the head's first bytes came.
      if (this.waitingSince === 0) this.waitingSince = performance.now();
      return false;
    }
    this.waitingSince = 0;
    this.beginRequest(head, this.requests.headBytes);
    return true;
  }

  private beginRequest(head: RequestHead, headBytes: Buffer): void {
    if (this.queue.length > 0) this.violated('a request read before the last one was answered');
    const hasBody = head.framing.kind !== 'none';
    const exchange = new Exchange(
      head.method,
      head.target,
      !head.keepAlive,
      mayHijack(head.method, head.target, head.upgrade),
    );
    this.queue.push(exchange);
    const request = new ProxyRequest(
      head.method,
      head.target,
      () => head.rawHeaders,
      this.identity,
      hasBody,
      head.text,
    );
    this.current = { exchange, head, headBytes, request };
    const want = hasBody ? (this.settings.decisionPoint.bodyLimit?.(request) ?? 0) : 0;
    if (want > 0) {
      // The decision needs the body: read it (bounded) before anything is forwarded.
      this.waitingSince = exchange.start;
      this.releaseHold();
      const held = new HeldBody(this.settings.heldBodies, this.caller, this.identity.user, want);
      this.holdBody(held, head);
      this.setReqState(ReqState.Collecting);
      if (head.expectContinue) this.continueForHold(exchange);
      return;
    }
    const spoolFor = hasBody ? this.settings.decisionPoint.spoolBody?.(request) : undefined;
    if (spoolFor) {
      this.beginSpooling(head, spoolFor.observer, spoolFor.limit);
      return;
    }
    this.decide();
  }

  /** The body of `head` goes into `hold` as it is read. */
  private holdBody(hold: BodyHold, head: RequestHead): void {
    this.hold = hold;
    this.requests.beginBody(head).onPayload = (piece) => hold.addPayload(piece);
  }

  /** The client waits for `100 Continue` before sending a body the proxy holds: the proxy says it. */
  private continueForHold(exchange: Exchange): void {
    exchange.sendContinue = true;
    exchange.dropContinue = true;
    this.flushLocal();
  }

  /** The decision needs a body too large to hold: spool it to disk while the observer reads it. */
  private beginSpooling(head: RequestHead, observer: BodyObserver, limit: number): void {
    const current = this.current ?? this.violated('spooling with no request');
    // The head waits while the body spools: copy it out of the read buffer, which is reused.
    current.headBytes = Buffer.from(current.headBytes);
    this.waitingSince = performance.now();
    const spooled = new SpooledBody(limit, observer, this);
    this.spooled = spooled;
    this.holdBody(spooled, head);
    this.setReqState(ReqState.Spooling);
    if (head.expectContinue) this.continueForHold(current.exchange);
    this.updateClientFlow();
  }

  /** SpoolEvents: the spool file exists. */
  opened(): void {
    this.guard(() => {
      if (this.closed) return;
      this.waitingSince = performance.now(); // the client was paused while the file was made
      this.processRequests();
    });
  }

  /** SpoolEvents: a piece is on disk. */
  written(): void {
    this.guard(() => {
      if (this.reqState === ReqState.Spooling) this.waitingSince = performance.now(); // paused meanwhile
      if (this.spooled?.busy !== false || this.closed) return;
      if (this.requests.bodyDone && this.reqState === ReqState.Spooling) this.decideWhenSettled();
      this.processRequests();
    });
  }

  /** SpoolEvents: spooling failed (limit, disk): refuse the request and drop the rest of its body. */
  failed(status: number, message: string): void {
    this.guard(() => {
      if (this.closed || this.reqState !== ReqState.Spooling) return;
      this.releaseHold();
      this.setReqState(ReqState.Body);
      this.applyDecision({ allow: false, status, message });
      this.processRequests();
    });
  }

  /** The whole body is received: once the hold keeps all of it, the judge gets its view and decides. */
  private decideWhenSettled(): void {
    const hold = this.hold ?? this.violated('a held body complete with no hold');
    if (!hold.settled) return; // the last write's completion calls back here
    const body = hold.complete();
    if (body !== undefined) (this.current ?? this.violated('a held body with no request')).request.body = body;
    this.decide();
  }

  /** Lets go of the held body (forwarded, refused, or the connection gone). */
  private releaseHold(): void {
    if (this.hold === null) return;
    this.hold.release();
    this.hold = null;
    this.spooled = null;
  }

  /** Forwards the spooled body after an allowing decision, with the daemon's backpressure. */
  private async replaySpool(bytes: AsyncIterable<Buffer>, exchange: Exchange): Promise<void> {
    this.setReqState(ReqState.Replaying);
    this.updateClientFlow();
    try {
      for await (const chunk of bytes) {
        if (this.closed) return;
        this.writeUpstream(chunk);
        if (this.upstreamFull) await this.upstreamDrained();
      }
    } catch (err) {
      this.guard(() => {
        throw err;
      });
      return;
    }
    this.guard(() => {
      if (this.closed || this.current?.exchange !== exchange) return;
      this.hold = null;
      this.spooled = null;
      this.requestSent();
      this.processRequests();
    });
  }

  private upstreamDrained(): Promise<void> {
    return new Promise((resolve) => {
      const up = this.upstream;
      if (!up || this.closed) return resolve();
      const done = () => {
        up.off('drain', done);
        up.off('close', done);
        resolve();
      };
      up.on('drain', done);
      up.on('close', done);
    });
  }

  private readBody(): void {
    let piece: Buffer;
    try {
      piece = this.requests.readBody();
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.brokenBody(err);
      return;
    }
    if (this.reqState === ReqState.Collecting || this.reqState === ReqState.Spooling) {
      const hold = this.hold ?? this.violated('holding a body with nowhere to hold it');
      const refused = hold.addReceived(piece);
      if (refused !== null) {
        this.refuseHeld(refused.status, refused.message);
        return;
      }
      // A spooled body is waited for from its last bytes; a held one all of it from its head.
      if (this.reqState === ReqState.Spooling && piece.length > 0) this.waitingSince = performance.now();
      if (this.requests.bodyDone) this.decideWhenSettled();
      return;
    }
    if (this.forwardBody && piece.length > 0) this.writeUpstream(piece);
    if (this.requests.bodyDone) this.requestSent();
  }

  private decide(): void {
    const current = this.current ?? this.violated('a decision with no request');
    this.setReqState(ReqState.Deciding);
    let result: Decision | Promise<Decision>;
    try {
      result = this.settings.decisionPoint.decide(current.request);
    } catch (err) {
      result = decisionFailure(err);
    }
    if (result && typeof (result as Promise<Decision>).then === 'function') {
      this.updateClientFlow();
      (result as Promise<Decision>).then(
        (d) => this.guard(() => this.decided(current.exchange, d)),
        (err) => this.guard(() => this.decided(current.exchange, decisionFailure(err))),
      );
    } else {
      this.applyDecision(result as Decision);
    }
  }

  /** A decision arrived asynchronously: apply it, then read on. */
  private decided(exchange: Exchange, decision: Decision): void {
    if (this.closed || this.current?.exchange !== exchange) {
      decision.release?.();
      return;
    }
    this.upstream?.cork();
    try {
      this.applyDecision(decision);
    } finally {
      this.upstream?.uncork();
    }
    this.processRequests();
  }

  /** The body being held is refused before it is whole: what was held goes, the rest is read and dropped. */
  private refuseHeld(status: number, message: string): void {
    this.releaseHold();
    this.setReqState(ReqState.Body);
    this.applyDecision({ allow: false, status, message });
  }

  private applyDecision(decision: Decision): void {
    const current = this.current ?? this.violated('a decision applied with no request');
    const { exchange, head, request } = current;
    exchange.release = decision?.release;
    // An allowed request may go on with the target that was judged (a container's full id).
    const headBytes =
      decision?.allow === true && decision.target !== undefined
        ? headWithTarget(current.headBytes, decision.target)
        : current.headBytes;
    this.waitingSince = 0;
    const hasBody = head.framing.kind !== 'none';
    // Allowed but answered here (a list assembled for the caller): never forwarded.
    const reply = decision?.allow === true ? decision.reply : undefined;
    if (decision && decision.allow === true && reply === undefined && decision.body !== undefined) {
      if (request.body === undefined || !this.requests.bodyDone) {
        // Only a body that was read whole can be replaced; anything else is a policy bug: fail closed.
        decision = decisionFailure(new Error('the decision replaced a body that was not read'));
      } else {
        // Forward the replacement (the bytes that were judged) with its own Content-Length.
        exchange.forwarded = true;
        this.releaseHold();
        this.writeUpstreamAll([headForBody(headBytes, decision.body.length), decision.body]);
        this.requestSent();
        return;
      }
    }
    if (decision && decision.allow === true && reply === undefined) {
      exchange.forwarded = true;
      const held = this.hold?.forwardable();
      if (held !== undefined && !Array.isArray(held)) {
        // The body was spooled while judged: forward exactly those bytes.
        this.writeUpstream(headBytes);
        void this.replaySpool(held as AsyncIterable<Buffer>, exchange);
        return;
      }
      if (hasBody) this.requests.beginBody(head);
      const bodyToCome = hasBody && !this.requests.bodyDone;
      if (held !== undefined && held.length > 0) {
        this.writeUpstreamAll([headBytes, ...(held as readonly Buffer[])]);
        this.releaseHold();
      } else if (bodyToCome && this.requests.holdsBytes) {
        // The head and the body bytes already here go in one write, as the client sent them.
        // Written apart, dockerd can answer on the head alone and close (400 for a head it
        // refuses): the body's write then fails, and the answer is lost with the connection.
        this.releaseHold();
        this.forwardBody = true;
        this.setReqState(ReqState.Body);
        this.withUpstreamCorked(() => {
          this.writeUpstream(headBytes);
          this.readBody();
        });
        return;
      } else {
        this.releaseHold();
        this.writeUpstream(headBytes); // the common case, a request without a body: no array, no cork
      }
      if (bodyToCome) {
        this.forwardBody = true;
        this.setReqState(ReqState.Body);
      } else {
        this.requestSent();
      }
      return;
    }
    // Refused, or answered here: answer in order, never forward.
    this.releaseHold();
    const failed = (decision as { error?: boolean } | undefined)?.error === true;
    exchange.sendContinue = false;
    const bodyPending = hasBody && !this.requests.bodyDone;
    if (this.requests.body !== null) this.requests.body.onPayload = undefined;
    if (bodyPending && head.expectContinue && !exchange.dropContinue) {
      // The client holds its body back until told to continue: it will not come; close afterwards.
      exchange.closeAfter = true;
    }
    if (reply !== undefined) exchange.reply(reply.status, reply.body, head.method === 'HEAD');
    else
      exchange.answer(
        decision?.status ?? 403,
        decision?.message ?? 'request denied by dockgate policy',
        failed ? 'error' : 'deny',
        head.method === 'HEAD',
      );
    if (exchange.closeAfter) {
      this.stopReading();
    } else if (bodyPending) {
      this.requests.beginBody(head);
      this.forwardBody = false; // read and drop, so the connection stays usable
      this.setReqState(ReqState.Body);
    } else {
      this.requests.endBody();
      this.current = null;
      this.setReqState(ReqState.Head);
    }
    this.flushLocal();
  }

  /** The current request has been completely forwarded (or dropped). */
  private requestSent(): void {
    const { exchange } = this.current ?? this.violated('a request sent with none in hand');
    this.current = null;
    this.requests.endBody();
    this.forwardBody = true;
    if (exchange.local !== null) {
      this.setReqState(ReqState.Head);
    } else if (exchange.closeAfter) {
      this.stopReading();
    } else if (exchange.hijack) {
      this.setReqState(ReqState.Hold);
    } else {
      this.setReqState(ReqState.Head);
    }
  }

  /** A request body's framing broke mid-way: the daemon saw part of it, so this connection is finished. */
  private brokenBody(err: Refusal): void {
    const exchange = this.current?.exchange ?? this.violated('a request body ended with no request being read');
    this.releaseHold(); // the body will never be whole
    this.stopReading();
    exchange.decision = 'reject';
    if (exchange.forwarded) {
      // Part of the request reached the daemon: its connection is unusable.
      this.setUpstreamSide(UpstreamSide.Lost);
      this.upstream?.destroy();
      if (this.queue[0] !== exchange) {
        this.destroy();
        return;
      }
    }
    exchange.closeAfter = true;
    exchange.answer(err.status, err.message, 'reject');
    this.flushLocal();
  }

  /** A request the proxy cannot read: answer (in order) and close. */
  private refuse(status: number, message: string): void {
    this.stopReading();
    this.waitingSince = 0;
    this.queue.push(Exchange.unreadable(status, message));
    this.flushLocal();
  }

  /**
   * Called by the proxy's timer: a request head, or a body to be judged, that the client has
   * not finished since before `deadline` ends the request with a 408 and the connection.
   */
  checkTimeout(deadline: number): void {
    if (this.waitingSince === 0 || this.waitingSince >= deadline || this.closed) return;
    if (this.reqState === ReqState.Head) {
      this.guard(() => this.refuse(408, 'timed out reading the request head'));
    } else if (this.reqState === ReqState.Collecting || this.reqState === ReqState.Spooling) {
      this.guard(() => {
        this.releaseHold();
        this.brokenBody(new Refusal(408, 'timed out reading the request body'));
      });
    }
  }

  private onClientEnd(): void {
    this.setClientSide(ClientSide.Ended);
    if (this.reqState === ReqState.Tunnel) {
      this.upstream?.end(); // half-close: the container sees stdin EOF, output keeps flowing back
      return;
    }
    if (
      this.reqState === ReqState.Body ||
      this.reqState === ReqState.Collecting ||
      this.reqState === ReqState.Spooling
    ) {
      this.destroy(); // the request will never be complete
      return;
    }
    // The client has sent everything: answer what was asked (pipelined requests included), then close.
    this.processRequests();
    this.passClientEnd();
    this.finishIfDone();
  }

  /**
   * Once the client has half-closed and every request it sent is with the daemon, the
   * daemon sees the half-close too, exactly as if the client were connected directly
   * (dockerd cancels a streaming request, such as /events, when its client goes away).
   */
  private passClientEnd(): void {
    if (this.clientSide !== ClientSide.Ended) return;
    if (this.reqState !== ReqState.Head && this.reqState !== ReqState.Done) return;
    const up = this.upstream;
    if (up !== null && !up.writableEnded) up.end();
  }

  private finishIfDone(): void {
    if (this.closed) return;
    if (
      this.queue.length === 0 &&
      (this.clientSide === ClientSide.Ended || this.draining || this.reqState === ReqState.Done)
    ) {
      this.setReqState(ReqState.Done);
      this.client.end();
      this.upstream?.end();
    }
  }

  private writeUpstream(data: Buffer): void {
    let up = this.upstream;
    if (up === null) {
      if (this.upstreamSide === UpstreamSide.Lost) return;
      up = this.openUpstream();
    }
    if (!up.write(data)) {
      this.upstreamFull = true;
      this.updateClientFlow();
    }
  }

  /**
   * A head and its body in one write to the daemon (corked), not one write each. Only where a
   * request has several parts at hand: a bodyless request is written uncorked, since corking
   * costs every request on the hot path (bench/proxy.ts, `/_ping` proxy CPU per request).
   */
  private writeUpstreamAll(parts: Buffer[]): void {
    this.withUpstreamCorked(() => {
      for (const part of parts) if (part.length > 0) this.writeUpstream(part);
    });
  }

  /** Runs `write` with the upstream corked: what it writes leaves in one system call. */
  private withUpstreamCorked(write: () => void): void {
    if (this.upstream === null && this.upstreamSide !== UpstreamSide.Lost) this.openUpstream();
    const up = this.upstream;
    up?.cork();
    try {
      write();
    } finally {
      up?.uncork();
    }
  }

  private openUpstream(): Socket {
    const { socket: up, reclaimReadBuffers } = connectUpstream(this.settings.upstream, (bytes) => {
      try {
        this.responses.read(bytes);
      } catch (err) {
        this.handlerFailed(err);
      }
      // The read buffer is reused unless something still refers to these bytes.
      return this.upstreamBytesHeld();
    });
    this.upstream = up;
    this.reclaimUpstreamReads = reclaimReadBuffers;
    this.setUpstreamSide(UpstreamSide.Connecting);
    up.once('connect', () => this.setUpstreamSide(UpstreamSide.Connected));
    up.on('end', () => this.guard(() => this.onUpstreamEnd()));
    up.on('drain', () =>
      this.guard(() => {
        // The client's bytes written to the daemon are out: its read buffers may be reused.
        if (!this.clientBytesHeld()) this.clientReads?.reclaim();
        this.upstreamFull = false;
        this.updateClientFlow();
      }),
    );
    up.on('error', (err) => this.guard(() => this.onUpstreamError(err)));
    up.on('close', () => this.guard(() => this.onUpstreamClose()));
    return up;
  }

  private updateClientFlow(): void {
    if (this.closed) return;
    const pause =
      this.upstreamFull ||
      this.reqState === ReqState.Deciding ||
      this.reqState === ReqState.Hold ||
      this.reqState === ReqState.Replaying ||
      this.spooled?.busy === true ||
      (this.reqState === ReqState.Head && this.requests.holdsBytes && this.queue.length > 0);
    if (pause !== this.clientPaused) {
      this.clientPaused = pause;
      if (pause) this.client.pause();
      else this.client.resume();
    }
  }

  // ---- daemon → client -------------------------------------------------------------

  first(): Exchange | undefined {
    return this.queue[0];
  }

  passOn(data: Buffer): void {
    if (!this.client.write(data)) this.upstream?.pause(); // resumed on the client's 'drain'
  }

  stopped(): boolean {
    return this.clientSide >= ClientSide.Closing;
  }

  /** The response at the head of the queue is complete. */
  responseDone(connectionClose: boolean): void {
    const exchange = this.queue.shift();
    if (exchange === undefined) {
      this.protocolError('an answer ended with no request waiting for it');
      return;
    }
    this.log(exchange);
    if (connectionClose) exchange.closeAfter = true;
    if (exchange.closeAfter) {
      this.closeAfterWrites();
      return;
    }
    if (this.reqState === ReqState.Hold && exchange.hijack) {
      // The daemon answered without hijacking: the next client bytes are HTTP again.
      this.setReqState(ReqState.Head);
    }
    this.flushLocal();
    if (this.requests.holdsBytes && (this.reqState === ReqState.Head || this.reqState === ReqState.Body))
      this.processRequests();
    else this.updateClientFlow();
    this.finishIfDone();
  }

  /** Writes the proxy's own answers that are now first in line. */
  private flushLocal(): void {
    while (this.queue.length > 0 && this.clientSide !== ClientSide.Closed) {
      const first = this.queue[0]!;
      if (first.sendContinue) {
        first.sendContinue = false;
        this.client.write(CONTINUE_100);
      }
      if (first.local === null) break;
      this.queue.shift();
      this.client.write(first.local);
      this.log(first);
      if (first.closeAfter) {
        this.closeAfterWrites();
        return;
      }
    }
    this.finishIfDone();
  }

  /** End the client connection gracefully: pending writes are delivered first. */
  private closeAfterWrites(): void {
    this.setClientSide(ClientSide.Closing);
    this.stopReading();
    for (const e of this.queue) if (e.forwarded) this.log(e, 0, 'connection closed before the answer');
    this.queue.length = 0;
    this.responses.drop();
    this.client.end();
    if (this.upstream !== null) {
      this.setUpstreamSide(UpstreamSide.Lost);
      this.upstream.end();
    }
  }

  tunnel(rest: Buffer): void {
    const exchange = this.queue.shift();
    if (exchange === undefined) {
      this.protocolError('a stream began with no request waiting for it');
      return;
    }
    this.log(exchange);
    this.setReqState(ReqState.Tunnel);
    this.queue.length = 0;
    // Bytes that arrived behind the answer are stream data in both directions.
    if (rest.length > 0) this.passOn(rest);
    const sent = this.requests.takeRest();
    if (sent !== null) this.writeUpstream(sent);
    if (this.clientSide === ClientSide.Ended) this.upstream?.end();
    this.updateClientFlow();
  }

  private onUpstreamEnd(): void {
    if (this.responses.tunnel) {
      this.client.end();
      return;
    }
    if (this.responses.untilClose) {
      this.responses.answerDone(true);
      return;
    }
    const waiting = this.queue.find((e) => e.forwarded);
    if (waiting && this.responses.betweenAnswers && this.queue[0] === waiting) {
      // The daemon hung up before answering: say so instead of a silent close.
      this.upstreamLost(`upstream ${this.settings.upstream.text} closed the connection before answering`);
      return;
    }
    if (waiting) {
      this.destroy();
      return;
    }
    // Idle connection closed by the daemon: mirror it.
    this.setUpstreamSide(UpstreamSide.Lost);
    this.setReqState(ReqState.Done);
    this.finishIfDone();
  }

  private onUpstreamError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    if (this.upstreamSide === UpstreamSide.Connecting) {
      this.upstreamLost(`cannot reach upstream ${this.settings.upstream.text}: ${code ?? err.message}`);
      return;
    }
    if (this.upstreamSide === UpstreamSide.Lost) {
      // Given up on already (a last answer is out, or the daemon is gone): the client side ends as planned.
      this.upstream?.destroy();
      return;
    }
    if (code === 'EPIPE' || code === 'ECONNRESET') {
      // The daemon closed while a request was still being sent. Node drops the connection on the
      // failed write, with whatever the daemon answered unread: say so rather than close in silence.
      this.upstreamLost(
        `upstream ${this.settings.upstream.text} closed the connection while the request was sent (${code}); its answer, if any, is lost`,
      );
      return;
    }
    this.destroy();
  }

  private onUpstreamClose(): void {
    if (this.clientSide === ClientSide.Closed) return;
    if (this.responses.tunnel) {
      if (!this.client.writableEnded) this.client.end();
      return;
    }
    if (this.queue.some((e) => e.forwarded) && this.upstreamSide !== UpstreamSide.Lost) this.destroy();
  }

  /** The daemon cannot answer: every forwarded request still waiting gets a 502, then the connection closes. */
  private upstreamLost(message: string): void {
    this.setUpstreamSide(UpstreamSide.Lost);
    this.upstream?.destroy();
    this.stopReading();
    if (!this.responses.betweenAnswers) {
      this.destroy();
      return;
    }
    for (const e of this.queue) {
      e.closeAfter = true;
      if (e.forwarded) e.answer(502, message, e.decision);
    }
    if (this.queue.length === 0) this.client.end();
    else this.flushLocal();
  }

  protocolError(message: string): void {
    this.settings.logger.warn({ upstream: this.settings.upstream.text, err: message }, 'bad response from upstream');
    this.destroy();
  }

  /** Shutdown: finish in-flight exchanges, accept no new requests. */
  drain(): void {
    this.draining = true;
    if (this.reqState === ReqState.Head && this.queue.length === 0) {
      this.stopReading();
      this.client.end();
      this.upstream?.end();
    }
  }

  destroy(): void {
    if (this.closed) return;
    this.setClientSide(ClientSide.Closed);
    for (const e of this.queue)
      if (e.forwarded || e.local) this.log(e, e.status, e.reason ?? 'connection closed before the answer');
    this.queue.length = 0;
    this.requests.drop();
    this.responses.drop();
    this.releaseHold();
    this.client.destroy();
    this.upstream?.destroy();
    this.onClose(this);
  }

  /** Logs an exchange that is over (answered, or cut off: then with `status` and `reason` saying so). */
  private log(e: Exchange, status = e.status, reason = e.reason): void {
    e.release?.();
    this.settings.requestLog.write({
      method: e.method,
      path: e.target,
      status,
      uid: this.identity.uid,
      user: this.identity.user,
      decision: e.decision,
      duration: Math.round((performance.now() - e.start) * 1000) / 1000,
      reason,
    });
  }
}

function decisionFailure(err: unknown): Decision & { error: true } {
  // Fail closed: a decision that cannot be made is a refusal.
  return {
    allow: false,
    status: 500,
    message: `policy evaluation failed: ${(err as Error)?.message ?? String(err)}`,
    error: true,
  };
}
