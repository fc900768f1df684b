// The request reader on its own: heads taken whole and only whole, bounded, the same bytes read
// the same way again, and each body's framing found from its head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Refusal } from '../../../src/docker/index.js';
import { RequestReader } from '../../../src/enforce/proxy/request-reader.js';

const ping = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';

test('a head is taken only once its blank line has come, and only its bytes', () => {
  const r = new RequestReader(8192, 1024);
  r.add(Buffer.from(ping.slice(0, 20)));
  assert.equal(r.readHead(), null);
  r.add(Buffer.from(`${ping.slice(20)}GET /ver`));
  const head = r.readHead();
  assert.equal(head?.method, 'GET');
  assert.equal(head?.target, '/_ping');
  assert.equal(r.headBytes.toString(), ping);
  assert.equal(r.readHead(), null, 'the next head is not complete');
  assert.ok(r.holdsBytes);
  assert.equal(r.takeRest()?.toString(), 'GET /ver');
  assert.equal(r.holdsBytes, false);
});

test('a head sent again reads the same as the first time', () => {
  const r = new RequestReader(8192, 1024);
  r.add(Buffer.from(ping + ping));
  const first = r.readHead();
  const second = r.readHead();
  assert.equal(second?.target, first?.target);
  assert.equal(second?.text, first?.text);
  assert.equal(r.headBytes.toString(), ping);
  assert.equal(r.holdsBytes, false);
});

test('a request line past the limit is refused with 414, a longer head with 431', () => {
  const long = new RequestReader(64, 1024);
  long.add(Buffer.from(`GET /${'a'.repeat(100)} HTTP/1.1\r\n\r\n`));
  assert.throws(
    () => long.readHead(),
    (e: unknown) => e instanceof Refusal && e.status === 414,
  );
  const big = new RequestReader(64, 1024);
  big.add(Buffer.from(`GET / HTTP/1.1\r\nX-Long: ${'b'.repeat(100)}\r\n\r\n`));
  assert.throws(
    () => big.readHead(),
    (e: unknown) => e instanceof Refusal && e.status === 431,
  );
});

test('line breaks after a POST body are dropped before the next head, as dockerd drops them', () => {
  const r = new RequestReader(8192, 1024);
  r.add(Buffer.from('POST /containers/x/stop HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n\r\n'));
  assert.equal(r.readHead()?.method, 'POST');
  assert.equal(r.readHead(), null, 'waits to see whether more line breaks come');
  r.add(Buffer.from(ping));
  assert.equal(r.readHead()?.target, '/_ping');
});

test('a chunked body is read to its last chunk and no further; its payload comes de-chunked', () => {
  const r = new RequestReader(8192, 1024);
  r.add(Buffer.from('POST /build HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET'));
  const head = r.readHead();
  assert.ok(head);
  const payload: Buffer[] = [];
  r.beginBody(head).onPayload = (p) => payload.push(Buffer.from(p));
  const piece = r.readBody();
  assert.equal(piece.toString(), '5\r\nhello\r\n0\r\n\r\n');
  assert.ok(r.bodyDone);
  assert.equal(Buffer.concat(payload).toString(), 'hello');
  assert.equal(r.takeRest()?.toString(), 'GET');
});

test('a body whose chunk framing breaks is refused with 400', () => {
  const r = new RequestReader(8192, 1024);
  r.add(Buffer.from('POST /build HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'));
  const head = r.readHead();
  assert.ok(head);
  r.beginBody(head);
  assert.throws(
    () => r.readBody(),
    (e: unknown) => e instanceof Refusal && e.status === 400,
  );
});
