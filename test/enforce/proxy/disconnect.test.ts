// Either side going away mid-stream takes the other side down with it: nothing is left
// half-connected through the proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { allowAll } from '../../../src/enforce/proxy/decision.js';
import { rawConnect, startInProcessProxy } from '../../harness/index.js';

/** A fake daemon answering every connection's first request with an endless chunked stream. */
async function streamingUpstream(onConnection: (s: net.Socket) => void) {
  const dir = fs.mkdtempSync('/tmp/dgu-');
  const socket = path.join(dir, 'u.sock');
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      s.write('3\r\n{}\n\r\n');
      onConnection(s);
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    close: () => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)),
  ]);

test('the client disconnecting mid-stream closes the upstream connection', async () => {
  let upstreamClosed!: Promise<void>;
  const up = await streamingUpstream((s) => {
    upstreamClosed = new Promise((r) => s.on('close', () => r()));
    const timer = setInterval(() => s.write('3\r\n{}\n\r\n'), 20);
    s.on('close', () => clearInterval(timer));
  });
  const proxy = await startInProcessProxy(up.socket, allowAll);
  try {
    const c = await rawConnect(proxy.socket);
    c.write('GET /events HTTP/1.1\r\nHost: docker\r\n\r\n');
    await new Promise((r) => c.once('data', r));
    c.destroy();
    await within(upstreamClosed, 2000, 'upstream closed');
  } finally {
    await proxy.close();
    up.close();
  }
});

test('the upstream disconnecting mid-stream closes the client connection', async () => {
  const up = await streamingUpstream((s) => setTimeout(() => s.destroy(), 100));
  const proxy = await startInProcessProxy(up.socket, allowAll);
  try {
    const c = await rawConnect(proxy.socket);
    // The test socket is half-open capable: the proxy's close shows as 'end' (or a reset).
    const closed = new Promise<void>((r) => {
      c.on('end', () => r());
      c.on('close', () => r());
    });
    c.on('data', () => {});
    c.write('GET /events HTTP/1.1\r\nHost: docker\r\n\r\n');
    await within(closed, 2000, 'client closed');
    assert.equal(proxy.proxy.size, 0);
  } finally {
    await proxy.close();
    up.close();
  }
});

test('a daemon that resets the connection while a body is still being sent: the client gets a 502 that says so', async () => {
  // The fake daemon reads nothing and closes with the request unread in its socket: the proxy's
  // side of the connection is reset (ECONNRESET), with no answer.
  const dir = fs.mkdtempSync('/tmp/dgr-');
  const upstreamSocket = path.join(dir, 'u.sock');
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 300);
  });
  await new Promise<void>((r) => server.listen(upstreamSocket, r));
  const proxy = await startInProcessProxy(upstreamSocket, allowAll);
  try {
    const client = await rawConnect(proxy.socket);
    let answer = '';
    client.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const ended = new Promise((r) => client.on('end', r));
    client.write('POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 10\r\n\r\n01234');
    await new Promise((r) => setTimeout(r, 100));
    client.write('56789');
    await ended;
    client.destroy();
    assert.match(answer, /^HTTP\/1\.1 502 /);
    assert.match(
      JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).message,
      /closed the connection while the request was sent \(ECONNRESET\)/,
    );
  } finally {
    await proxy.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
