// Request bodies held in memory while they are judged, counted per caller and in all.
//
// A body the policy must see (a container create's JSON) is read whole before its decision,
// up to the judged-body limit per request. Without a bound across connections, a caller
// could open many connections, send most of such a body on each and stop there, and hold
// memory without limit: the proxy that everyone's docker goes through would run out of it.
// Each caller may hold a bounded share, so one caller cannot starve the others, and all of
// them together a bounded total.

/** Defaults: far above what docker tools send at once (create bodies are kilobytes). */
export const DEFAULT_HELD_BODY_BYTES_PER_CALLER = 64 * 1024 * 1024;
export const DEFAULT_HELD_BODY_BYTES = 512 * 1024 * 1024;

export interface HeldBodyLimits {
  perCaller: number;
  overall: number;
}

export class HeldBodies {
  private total = 0;
  private readonly byCaller = new Map<string, number>();

  constructor(readonly limits: HeldBodyLimits = { perCaller: DEFAULT_HELD_BODY_BYTES_PER_CALLER, overall: DEFAULT_HELD_BODY_BYTES }) {}

  /**
   * Counts `bytes` more held for `caller`. Returns which bound they would pass instead (and
   * counts nothing), or null when they are counted.
   */
  take(caller: string, bytes: number): 'caller' | 'overall' | null {
    const mine = this.byCaller.get(caller) ?? 0;
    if (mine + bytes > this.limits.perCaller) return 'caller';
    if (this.total + bytes > this.limits.overall) return 'overall';
    this.byCaller.set(caller, mine + bytes);
    this.total += bytes;
    return null;
  }

  /** `bytes` that `take` counted for `caller` are no longer held. */
  give(caller: string, bytes: number): void {
    if (bytes <= 0) return;
    const left = (this.byCaller.get(caller) ?? 0) - bytes;
    if (left > 0) this.byCaller.set(caller, left);
    else this.byCaller.delete(caller);
    this.total = Math.max(0, this.total - bytes);
  }

  /** Bytes held now: by `caller`, or by everyone. */
  held(caller?: string): number {
    return caller === undefined ? this.total : this.byCaller.get(caller) ?? 0;
  }
}
