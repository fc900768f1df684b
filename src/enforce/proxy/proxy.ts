// The proxy as a whole: accepted connections, the header timeout, graceful shutdown.
import type { Socket } from 'node:net';
import type { Identity } from '../../tenancy/index.js';
import { RequestLog } from '../../observe/index.js';
import { ProxyConnection, type ConnectionSettings } from './connection.js';
import type { ReusedReads } from './listeners.js';

export interface ProxySettings extends Omit<ConnectionSettings, 'requestLog'> {
  /** A request head must be complete this many ms after its first byte, else 408. */
  headerTimeoutMs: number;
}

export class Proxy {
  private readonly connections = new Set<ProxyConnection>();
  private readonly timer: NodeJS.Timeout;
  private readonly settings: ProxySettings & ConnectionSettings;

  constructor(settings: ProxySettings) {
    this.settings = { ...settings, requestLog: new RequestLog(settings.logger) };
    // One coarse timer for all connections instead of one timer per request.
    const tick = Math.max(50, Math.min(1000, Math.floor(settings.headerTimeoutMs / 4)));
    this.timer = setInterval(() => this.checkHeaderTimeouts(), tick);
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

  private checkHeaderTimeouts(): void {
    const deadline = performance.now() - this.settings.headerTimeoutMs;
    for (const conn of this.connections) {
      if (conn.headStartedAt !== 0 && conn.headStartedAt < deadline) conn.timeoutHead();
    }
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
