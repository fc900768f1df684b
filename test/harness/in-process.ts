// An in-process proxy (the SocketProxy class on a Unix listener) for tests that plug in their
// own decision point, plus a recording fake upstream.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SocketProxy } from '../../src/enforce/proxy/proxy.js';
import { listenUnix, type Listener } from '../../src/enforce/proxy/listeners.js';
import { parseAddress } from '../../src/enforce/proxy/upstream.js';
import type { DecisionPoint } from '../../src/enforce/proxy/decision.js';
import { createLogger } from '../../src/observe/index.js';
import type { QuotaLimits } from '../../src/enforce/proxy/caller-quota.js';

export interface InProcessProxy {
  socket: string;
  dir: string;
  proxy: SocketProxy;
  close(): Promise<void>;
}

export async function startInProcessProxy(
  upstreamSocket: string,
  decisionPoint: DecisionPoint,
  options: {
    mode?: number;
    dir?: string;
    heldBodyLimits?: QuotaLimits;
    maxConnectionsPerCaller?: number;
    headerTimeoutMs?: number;
  } = {},
): Promise<InProcessProxy> {
  const dir = options.dir ?? fs.mkdtempSync('/tmp/dgp-');
  const socket = path.join(dir, 'p.sock');
  const proxy = new SocketProxy({
    upstream: parseAddress(`unix://${upstreamSocket}`, 'upstream'),
    decisionPoint,
    logger: createLogger(path.join(dir, 'requests.log'), 'info'),
    maxHeaderBytes: 64 * 1024,
    headerTimeoutMs: options.headerTimeoutMs ?? 10_000,
    heldBodyLimits: options.heldBodyLimits,
    maxConnectionsPerCaller: options.maxConnectionsPerCaller,
  });
  const listener: Listener = await listenUnix(
    parseAddress(`unix://${socket}`, 'listen') as never,
    { mode: options.mode ?? 0o600, gid: null },
    (s, id, reads) => proxy.accept(s, id, reads),
  );
  return {
    socket,
    dir,
    proxy,
    close: async () => {
      const closed = listener.close();
      await proxy.shutdown(2000);
      await closed;
      if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fake daemon that records the exact bytes it receives and answers every request with
 * 200 "ok" (Content-Length or chunked request bodies; `Expect: 100-continue` gets a 100 first).
 */
export interface FakeUpstream {
  socket: string;
  received(): Buffer;
  requests: number;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const dir = fs.mkdtempSync('/tmp/dgf-');
  const socket = path.join(dir, 'u.sock');
  const chunks: Buffer[] = [];
  const state = { requests: 0 };
  const server = net.createServer((s) => {
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
        let total = end + 4;
        if (/\r\nexpect: *100-continue/i.test(head) && !(s as unknown as { continued?: boolean }).continued) {
          (s as unknown as { continued?: boolean }).continued = true;
          s.write('HTTP/1.1 100 Continue\r\n\r\n');
        }
        if (cl) total += Number(cl[1]);
        else if (chunked) {
          const z = buf.indexOf('\r\n0\r\n\r\n', end);
          if (z < 0) return;
          total = z + 7;
        }
        if (buf.length < total) return;
        buf = buf.subarray(total);
        (s as unknown as { continued?: boolean }).continued = false;
        state.requests++;
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    received: () => Buffer.concat(chunks),
    get requests() {
      return state.requests;
    },
    close: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        // open connections would keep close() waiting
        setTimeout(r, 200);
      });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
