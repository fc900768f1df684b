// A request body held in memory while the decision point judges it: as received (to be
// forwarded byte for byte if allowed) and de-chunked (what is judged). Every byte held counts
// against the caller's share of the proxy's held bodies (caller-quota.ts) until released.
import type { CallerQuota } from './caller-quota.js';

export class HeldBody {
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
    /** The most payload the decision point reads; a longer body is refused, never judged on a prefix. */
    readonly limit: number,
  ) {}

  /** A de-chunked piece of the payload. Copied: it may sit in a read buffer reused for the next read. */
  addPayload(piece: Buffer): void {
    this.payloadBytes += piece.length;
    if (this.payloadBytes <= this.limit) this.payload.push(Buffer.from(piece));
  }

  /**
   * A piece of the body as received. Held twice until forwarded (as received, and de-chunked),
   * so twice its length is counted. Returns which bound it would pass instead (nothing is held
   * then), or null.
   */
  addReceived(piece: Buffer): 'caller' | 'overall' | null {
    const passed = this.quota.take(this.caller, 2 * piece.length);
    if (passed !== null) return passed;
    this.counted += 2 * piece.length;
    this.raw.push(Buffer.from(piece));
    return null;
  }

  /** More payload came than the decision point reads. */
  get tooLarge(): boolean {
    return this.payloadBytes > this.limit;
  }

  /** The whole payload, in one buffer, for the decision point; no longer held here. */
  takePayload(): Buffer {
    const body = Buffer.concat(this.payload);
    this.payload = [];
    return body;
  }

  /** The body as received, to be forwarded. */
  get received(): readonly Buffer[] {
    return this.raw;
  }

  /** Lets go of everything held (forwarded, refused, or the connection gone) and gives back its count. */
  release(): void {
    this.payload = [];
    this.raw = [];
    this.quota.give(this.caller, this.counted);
    this.counted = 0;
  }
}
