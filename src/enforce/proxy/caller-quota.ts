// What each caller may hold of the proxy at once, and all callers together.
//
// Everything a caller makes the proxy hold is charged to the proxy, not to the caller: without
// bounds, one user could open connection after connection, or send most of a body to be judged
// on each and stop there, until the proxy that everyone's docker goes through ran out of memory.
// A bounded share per caller keeps one caller from starving the others; a bound on the total
// keeps all of them together from starving the proxy.
import type { Identity } from '../../tenancy/index.js';

/**
 * Bodies held in memory to be judged: far above what docker tools send at once (create bodies
 * are kilobytes; the judged-body limit is 2 MiB per request).
 */
export const DEFAULT_HELD_BODY_BYTES_PER_CALLER = 64 * 1024 * 1024;
export const DEFAULT_HELD_BODY_BYTES = 512 * 1024 * 1024;
/**
 * Open connections per caller: `docker stats` keeps one per container it shows. Each idle
 * connection costs the proxy memory (bench/proxy.ts, RSS with 1,000 idle connections); the
 * bound keeps what one caller's can cost to a small share of the proxy's memory.
 */
export const DEFAULT_CONNECTIONS_PER_CALLER = 4096;

export interface QuotaLimits {
  perCaller: number;
  overall: number;
}

/** Whose share a connection's use counts against: the kernel's uid, or the certificate's name. */
export function callerKey(identity: Identity): string {
  return `${identity.via}:${identity.uid ?? identity.user}`;
}

export class CallerQuota {
  private total = 0;
  private readonly byCaller = new Map<string, number>();

  constructor(readonly limits: QuotaLimits) {}

  /**
   * Counts `amount` more for `caller`. Returns which bound it would pass instead (and counts
   * nothing), or null when it is counted.
   */
  take(caller: string, amount: number): 'caller' | 'overall' | null {
    const mine = this.byCaller.get(caller) ?? 0;
    if (mine + amount > this.limits.perCaller) return 'caller';
    if (this.total + amount > this.limits.overall) return 'overall';
    this.byCaller.set(caller, mine + amount);
    this.total += amount;
    return null;
  }

  /** `amount` that `take` counted for `caller` is given back. */
  give(caller: string, amount: number): void {
    if (amount <= 0) return;
    const left = (this.byCaller.get(caller) ?? 0) - amount;
    if (left > 0) this.byCaller.set(caller, left);
    else this.byCaller.delete(caller);
    this.total = Math.max(0, this.total - amount);
  }

  /** What is counted now: for `caller`, or for everyone. */
  held(caller?: string): number {
    return caller === undefined ? this.total : (this.byCaller.get(caller) ?? 0);
  }
}
