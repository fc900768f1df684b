// A request body held in memory while the decision point judges it: as received (to be
// forwarded byte for byte if allowed) and de-chunked (what is judged). Every byte held counts
// against the caller's share of the proxy's held bodies (caller-quota.ts) until released.
import { Refusal } from '../../docker/index.js';
import type { BodyHold } from './body-hold.js';
import type { CallerQuota } from './caller-quota.js';

export class HeldBody implements BodyHold {
  /** The de-chunked payload, up to `limit` bytes: what the decision point reads. */
  private payload: Buffer[] = [];
  private payloadBytes = 0;
  /** The body's bytes as the client sent them (framing included). */
  private raw: Buffer[] = [];
  /** Bytes counted in the quota for this body. */
  private counted = 0;

  constructor(
    private readonly quota: CallerQuota,
    private readonly caller: string,
    /** The caller's name, as a refusal tells it. */
    private readonly user: string,
    /** The most payload the decision point reads; a longer body is refused, never judged on a prefix. */
    readonly limit: number,
  ) {}

  /** Copied: the piece may sit in a read buffer reused for the next read. */
  addPayload(piece: Buffer): void {
    this.payloadBytes += piece.length;
    if (this.payloadBytes <= this.limit) this.payload.push(Buffer.from(piece));
  }

  /**
   * Held twice until forwarded (as received, and de-chunked), so twice its length is counted.
   * Refused when that passes the caller's share or the proxy's total, or when more payload came
   * than the decision point reads.
   */
  addReceived(piece: Buffer): Refusal | null {
    const passed = this.quota.take(this.caller, 2 * piece.length);
    if (passed === 'caller') {
      return new Refusal(
        429,
        `too many request bodies from ${this.user} are waiting to be judged at once; try again when they are done`,
      );
    }
    if (passed === 'overall') {
      return new Refusal(503, 'too many request bodies are waiting to be judged at once; try again shortly');
    }
    this.counted += 2 * piece.length;
    this.raw.push(Buffer.from(piece));
    // Too big to judge: refuse rather than judge a prefix.
    if (this.payloadBytes > this.limit) {
      return new Refusal(413, `request body larger than ${this.limit} bytes cannot be judged`);
    }
    return null;
  }

  get settled(): boolean {
    return true;
  }

  /** The whole payload, in one buffer, for the decision point; no longer held here. */
  complete(): Buffer {
    const body = Buffer.concat(this.payload);
    this.payload = [];
    return body;
  }

  forwardable(): readonly Buffer[] {
    return this.raw;
  }

  release(): void {
    this.payload = [];
    this.raw = [];
    this.quota.give(this.caller, this.counted);
    this.counted = 0;
  }
}
