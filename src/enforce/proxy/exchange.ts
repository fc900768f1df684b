// One request/response pair on a client connection, from its head to the end of its answer.
// The connection keeps them in arrival order: answers go back in that order.
import { performance } from 'node:perf_hooks';
import { errorResponse, jsonResponse } from './responses.js';

export class Exchange {
  /** When the request head was complete (ms, monotonic). */
  readonly start = performance.now();
  /** A response the proxy answers itself (denials, errors) instead of the daemon. */
  local: Buffer | null = null;
  /** Forwarded to the daemon; its response is awaited. */
  forwarded = false;
  /** The proxy answered `Expect: 100-continue` itself: drop the daemon's own 100. */
  dropContinue = false;
  /** The proxy must send `100 Continue` itself once this exchange is first in line. */
  sendContinue = false;
  status = 0;
  decision: 'allow' | 'deny' | 'reject' | 'error' = 'allow';
  reason: string | undefined = undefined;
  /** Lets go of what the decision held (see Decision.release); called when the exchange is logged. */
  release: (() => void) | undefined = undefined;

  constructor(
    readonly method: string,
    readonly target: string,
    /** Close the client connection after this response. */
    public closeAfter: boolean,
    /** The daemon may turn the connection into a stream after answering. */
    readonly hijack: boolean,
  ) {}

  /** A request the proxy could not read: answered with `status` and the connection closed. */
  static unreadable(status: number, message: string): Exchange {
    const e = new Exchange('-', '-', true, false);
    e.answer(status, message, 'reject');
    return e;
  }

  /** The proxy answers this exchange itself, in its turn; the daemon never sees it. */
  answer(status: number, message: string, decision: Exchange['decision'], headOnly = false): void {
    this.forwarded = false;
    this.decision = decision;
    this.status = status;
    this.reason = message;
    this.local = errorResponse(status, message, this.closeAfter, headOnly);
  }

  /** The proxy answers this allowed exchange itself with `json` (an answer assembled for the caller). */
  reply(status: number, json: Buffer, headOnly: boolean): void {
    this.forwarded = false;
    this.decision = 'allow';
    this.status = status;
    this.local = jsonResponse(status, json, this.closeAfter, headOnly);
  }
}
