// The proxy as a whole: accepted connections, the header timeout, graceful shutdown.
import type { Socket } from 'node:net';
import type { Identity } from '../../tenancy/index.js';
import { RequestLog } from '../../observe/index.js';
import { ProxyConnection, type ConnectionSettings } from './connection.js';
import type { ReusedReads } from './listeners.js';
import { HeldBodies, type HeldBodyLimits } from './held-bodies.js';

export interface ProxySettings extends Omit<ConnectionSettings, 'requestLog' | 'heldBodies'> {
  /**
   * A request head must be complete this many ms after its first byte, a body held to be judged
   * this many ms after its head, and a body spooled to be judged must not stall longer; else 408.
   */
  headerTimeoutMs: number;
  /** Bounds on the bodies held in memory to be judged (held-bodies.ts); defaults if absent. */
  heldBodyLimits?: HeldBodyLimits;
}

export class Proxy {
  private readonly connections = new Set<ProxyConnection>();
  private readonly timer: NodeJS.Timeout;
  private readonly settings: ProxySettings & ConnectionSettings;

  constructor(settings: ProxySettings) {
    this.settings = { ...settings, requestLog: new RequestLog(settings.logger), heldBodies: new HeldBodies(settings.heldBodyLimits) };
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
    socket.setNoDelay?.(true);
    const conn = new ProxyConnection(socket, identity, this.settings, (c) => this.connections.delete(c), reads);
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
