// Spooled bodies (build contexts): the body goes to disk while the decision point reads it,
// and exactly the received bytes reach the daemon after an allowing decision.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { startFakeUpstream, startInProcessProxy, type FakeUpstream, type InProcessProxy } from '../../harness/index.js';
import type { BodyObserver, DecisionPoint } from '../../../src/enforce/proxy/decision.js';

class Digest implements BodyObserver {
  hash = crypto.createHash('sha256');
  bytes = 0;
  ended = false;
  aborted = false;
  write(piece: Buffer): void {
    this.bytes += piece.length;
    this.hash.update(piece);
  }
  end(): void {
    this.ended = true;
  }
  abort(): void {
    this.aborted = true;
  }
}

describe('spooled request bodies', () => {
  let upstream: FakeUpstream;
  let proxy: InProcessProxy;
  const observers: Digest[] = [];
  const decisionPoint: DecisionPoint = {
    spoolBody: (req) => {
      if (!req.path.startsWith('/build')) return undefined;
      const o = new Digest();
      observers.push(o);
      return { observer: o, limit: req.path === '/build-small' ? 1000 : 1 << 30 };
    },
    decide: (req) => (req.query.deny ? { allow: false, message: 'context refused' } : { allow: true }),
  };

  before(async () => {
    upstream = await startFakeUpstream();
    proxy = await startInProcessProxy(upstream.socket, decisionPoint);
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  function send(head: string, body: Buffer[], chunked: boolean): Promise<Buffer> {
    return new Promise((resolve) => {
      const s = net.createConnection(proxy.socket);
      const out: Buffer[] = [];
      s.on('data', (d) => out.push(d));
      s.on('close', () => resolve(Buffer.concat(out)));
      s.on('error', () => resolve(Buffer.concat(out)));
      s.write(head);
      for (const b of body)
        s.write(chunked ? Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]) : b);
      if (chunked) s.write('0\r\n\r\n');
      setTimeout(() => s.end(), 50);
    });
  }

  test('a 40 MB chunked body is read by the observer and forwarded byte for byte', async () => {
    const pieces = Array.from({ length: 40 }, () => crypto.randomBytes(1 << 20));
    const before = upstream.received().length;
    const reply = await send('POST /build?t=x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n', pieces, true);
    assert.match(reply.toString('latin1'), /^HTTP\/1\.1 200 OK/);
    const o = observers.at(-1)!;
    assert.equal(o.ended, true);
    assert.equal(o.bytes, 40 << 20);
    assert.equal(o.hash.digest('hex'), crypto.createHash('sha256').update(Buffer.concat(pieces)).digest('hex'));
    const got = upstream.received().subarray(before);
    const headEnd = got.indexOf('\r\n\r\n') + 4;
    const expected = Buffer.concat([
      ...pieces.map((b) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')])),
      Buffer.from('0\r\n\r\n'),
    ]);
    assert.equal(got.length - headEnd, expected.length, 'forwarded body length');
    assert.ok(got.subarray(headEnd).equals(expected), 'forwarded body bytes');
  });

  test('a Content-Length body is spooled and forwarded too', async () => {
    const body = crypto.randomBytes(3 << 20);
    const before = upstream.received().length;
    const reply = await send(
      `POST /build HTTP/1.1\r\nHost: d\r\nContent-Length: ${body.length}\r\n\r\n`,
      [body],
      false,
    );
    assert.match(reply.toString('latin1'), /^HTTP\/1\.1 200 OK/);
    const got = upstream.received().subarray(before);
    assert.ok(got.subarray(got.indexOf('\r\n\r\n') + 4).equals(body));
  });

  test('a refused spooled request forwards nothing', async () => {
    const before = upstream.received().length;
    const reply = await send(
      'POST /build?deny=1 HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\n\r\n',
      [Buffer.from('hello')],
      false,
    );
    assert.match(reply.toString('latin1'), /^HTTP\/1\.1 403 /);
    assert.equal(upstream.received().length, before);
  });

  test('a body over the spool limit is refused with 413 and the observer is aborted', async () => {
    const before = upstream.received().length;
    const reply = await send(
      'POST /build-small HTTP/1.1\r\nHost: d\r\nContent-Length: 5000\r\n\r\n',
      [crypto.randomBytes(5000)],
      false,
    );
    assert.match(reply.toString('latin1'), /^HTTP\/1\.1 413 /);
    assert.equal(observers.at(-1)!.ended, false, 'the observer never sees the end of a refused body');
    assert.equal(observers.at(-1)!.aborted, true);
    assert.equal(upstream.received().length, before);
  });
});
