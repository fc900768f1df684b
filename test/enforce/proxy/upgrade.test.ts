// Upgraded connections (BuildKit's /session and /grpc ask for h2c; attach/exec ask for tcp):
// after the daemon's 101 the proxy is a plain two-way pipe, bytes untouched, half-close kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { allowAll } from '../../../src/enforce/proxy/decision.js';
import { rawConnect, startInProcessProxy } from '../../harness/index.js';

test('an h2c upgrade to /session becomes a raw stream both ways, with half-close', async () => {
  const dir = fs.mkdtempSync('/tmp/dgu-');
  const upSocket = path.join(dir, 'u.sock');
  let upstreamGot = Buffer.alloc(0);
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    let upgraded = false;
    s.on('data', (d: Buffer) => {
      if (!upgraded) {
        const end = d.indexOf('\r\n\r\n');
        assert.ok(end > 0);
        upgraded = true;
        s.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
        d = d.subarray(end + 4);
      }
      upstreamGot = Buffer.concat([upstreamGot, d]);
      s.write(d); // echo: a stand-in for the HTTP/2 conversation
    });
    // When the client half-closes, answer once more and then close our side too.
    s.on('end', () => s.end('BYE'));
  });
  await new Promise<void>((r) => server.listen(upSocket, r));
  const proxy = await startInProcessProxy(upSocket, allowAll);
  try {
    const c = await rawConnect(proxy.socket);
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise<void>((r) => c.on('end', () => r()));
    // Binary that looks nothing like HTTP, sent right behind the request head.
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00', 'latin1');
    c.write(
      Buffer.concat([
        Buffer.from(
          'POST /session HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nX-Docker-Expose-Session-Uuid: abc\r\n\r\n',
        ),
        preface,
      ]),
    );
    await new Promise((r) => setTimeout(r, 100));
    const more = Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]);
    c.end(more);
    await ended;
    const all = Buffer.concat(got).toString('latin1');
    assert.ok(all.startsWith('HTTP/1.1 101 UPGRADED\r\n'), all);
    assert.equal(all.slice(all.indexOf('\r\n\r\n') + 4), Buffer.concat([preface, more]).toString('latin1') + 'BYE');
    assert.deepEqual(upstreamGot, Buffer.concat([preface, more]));
  } finally {
    await proxy.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
