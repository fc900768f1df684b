// The proxy as a whole: accepted connections, the header timeout, graceful shutdown.
import type { Socket } from 'node:net';
import type { Identity } from '../../tenancy/index.js';
import { RequestLog } from '../../observe/index.js';
import { ProxyConnection, type ConnectionSettings } from './connection.js';
import type { ReusedReads } from './listeners.js';
import { errorResponse } from './responses.js';
import {
  CallerQuota,
  callerKey,
  DEFAULT_CONNECTIONS_PER_CALLER,
  DEFAULT_HELD_BODY_BYTES,
  DEFAULT_HELD_BODY_BYTES_PER_CALLER,
  type QuotaLimits,
} from './caller-quota.js';

export interface ProxySettings extends Omit<ConnectionSettings, 'requestLog' | 'heldBodies'> {
  /**
   * A request head must be complete this many ms after its first byte, a body held to be judged
   * this many ms after its head, and a body spooled to be judged must not stall longer; else 408.
   */
  headerTimeoutMs: number;
  /** Bounds on the bodies held in memory to be judged, in bytes (caller-quota.ts); defaults if absent. */
  heldBodyLimits?: QuotaLimits;
  /** Open connections one caller may have; default DEFAULT_CONNECTIONS_PER_CALLER. */
  maxConnectionsPerCaller?: number;
}

/**
 * How long a refused connection is kept for its client to finish sending and read the refusal.
 * A client writes its request as soon as it connects; one that stays silent this long is gone.
 */
const REFUSED_LINGER_MS = 250;

export class SocketProxy {
  private readonly connections = new Set<ProxyConnection>();
  private readonly connectionsPerCaller: CallerQuota;
  private readonly timer: NodeJS.Timeout;
  private readonly settings: ProxySettings & ConnectionSettings;

  constructor(settings: ProxySettings) {
    const heldBodies = new CallerQuota(
      settings.heldBodyLimits ?? { perCaller: DEFAULT_HELD_BODY_BYTES_PER_CALLER, overall: DEFAULT_HELD_BODY_BYTES },
    );
    this.settings = { ...settings, requestLog: new RequestLog(settings.logger), heldBodies };
    this.connectionsPerCaller = new CallerQuota({
      perCaller: settings.maxConnectionsPerCaller ?? DEFAULT_CONNECTIONS_PER_CALLER,
      overall: Infinity,
    });
    // One coarse timer for all connections instead of one timer per request.
    const tick = Math.max(50, Math.min(1000, Math.floor(settings.headerTimeoutMs / 4)));
    this.timer = setInterval(() => this.checkTimeouts(), tick);
    this.timer.unref();
  }

  get size(): number {
    return this.connections.size;
  }

  /** Takes over an accepted client socket whose caller is `identity` (`reads`: see listeners.ts). */
  accept(socket: Socket, identity: Identity, reads?: ReusedReads): void {
    const caller = callerKey(identity);
    if (this.connectionsPerCaller.take(caller, 1) !== null) {
      // The client's first request gets this answer, whatever it is. The answer goes out at once
      // and only our side is shut: the client may still be writing its request, which is read and
      // dropped, so that it reads the answer instead of a broken pipe. The socket is closed when
      // the client closes its side, or after REFUSED_LINGER_MS: a refused connection must not
      // linger, holding a descriptor outside the count.
      const message = `too many connections from ${identity.user} (${this.connectionsPerCaller.limits.perCaller} open); close some and try again`;
      this.settings.logger.warn({ user: identity.user, uid: identity.uid }, message);
      const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
      socket.once('close', () => clearTimeout(linger));
      socket.on('end', () => socket.destroy());
      socket.on('error', () => socket.destroy());
      socket.resume();
      socket.end(errorResponse(429, message, true));
      return;
    }
    socket.setNoDelay?.(true);
    const conn = new ProxyConnection(
      socket,
      identity,
      this.settings,
      (c) => {
        if (this.connections.delete(c)) this.connectionsPerCaller.give(caller, 1);
      },
      reads,
    );
    this.connections.add(conn);
  }

  private checkTimeouts(): void {
    const deadline = performance.now() - this.settings.headerTimeoutMs;
    for (const conn of this.connections) conn.checkTimeout(deadline);
  }

  /** Bytes of request bodies held in memory to be judged right now, by everyone. */
  get heldBodyBytes(): number {
    return this.settings.heldBodies.held();
  }

  /** Stops reading new requests; waits up to `timeoutMs` for in-flight ones, then cuts what is left. */
  async shutdown(timeoutMs: number): Promise<void> {
    for (const conn of this.connections) conn.drain();
    const until = Date.now() + timeoutMs;
    while (this.connections.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    for (const conn of [...this.connections]) conn.destroy();
    clearInterval(this.timer);
  }
}
