// The decision point: every request is judged before any of its bytes are forwarded,
// refusals are Docker-shaped, bodies can be judged, and what is judged is what is forwarded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionPoint, ProxyRequest } from '../../../src/enforce/proxy/decision.js';
import {
  dockerAt,
  ensureTestImage,
  rawConnect,
  rawExchange,
  splitResponses,
  type RawResponse,
  startFakeUpstream,
  startInProcessProxy,
  testDaemon,
  type Daemon,
  type FakeUpstream,
  type InProcessProxy,
} from '../../harness/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (n: number) => (d: Buffer) => splitResponses(d).length >= n;

describe('decision point (fake upstream)', () => {
  let upstream: FakeUpstream;
  let proxy: InProcessProxy;
  const seen: ProxyRequest[] = [];
  let release: (() => void) | null = null;

  const decisionPoint: DecisionPoint = {
    bodyLimit: (req) => (req.path === '/judge-body' || req.path === '/replace-body' ? 1024 : 0),
    decide(req) {
      seen.push(req);
      if (req.path === '/slow') return new Promise((resolve) => (release = () => resolve({ allow: true })));
      if (req.path === '/throws') throw new Error('policy exploded');
      if (req.path === '/denied') return { allow: false, message: 'no entry: /denied' };
      if (req.path === '/replace-body') return { allow: true, body: Buffer.from('{"canonical":true}') };
      if (req.path === '/judge-body') {
        const body = JSON.parse(req.body!.toString());
        return body.ok === true ? { allow: true } : { allow: false, message: 'body says no' };
      }
      return { allow: true };
    },
  };

  before(async () => {
    upstream = await startFakeUpstream();
    proxy = await startInProcessProxy(upstream.socket, decisionPoint);
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  test('nothing of a request is forwarded while its decision is pending', async () => {
    const before = upstream.received().length;
    const s = await rawConnect(proxy.socket);
    let data = '';
    s.on('data', (d) => (data += d));
    s.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello');
    await sleep(300);
    assert.equal(upstream.received().length, before, 'bytes reached the daemon before the decision');
    assert.equal(data, '');
    release!();
    while (!data.endsWith('ok')) await sleep(10);
    assert.match(data, /^HTTP\/1\.1 200 OK/);
    assert.ok(upstream.received().subarray(before).toString().startsWith('POST /slow HTTP/1.1\r\n'));
    s.destroy();
  });

  test('a refusal is a 403 with Docker error JSON, nothing is forwarded, and the connection stays usable', async () => {
    const before = upstream.received().length;
    const reply = await rawExchange(
      proxy.socket,
      'POST /denied HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbodyGET /fine HTTP/1.1\r\nHost: x\r\n\r\n',
      { until: until(2) },
    );
    const [denied, fine] = splitResponses(reply.data) as [RawResponse, RawResponse];
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(denied.body), { message: 'no entry: /denied' });
    assert.equal(fine.status, 200);
    const forwarded = upstream.received().subarray(before).toString();
    assert.equal(forwarded, 'GET /fine HTTP/1.1\r\nHost: x\r\n\r\n');
  });

  test('header values with control bytes around them, or a Content-Length dockerd would not read: 400 JSON, nothing forwarded', async () => {
    for (const head of [
      'GET /a HTTP/1.1\r\nHost: x\r\nX-Thing: \x0bv\r\n\r\n', // a vertical tab is not whitespace to dockerd
      'GET /a HTTP/1.1\r\nHost: x\r\nX-Thing: v\x0c\r\n\r\n',
      'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: \xa03\r\n\r\nabc', // nor a no-break space
    ]) {
      const before = upstream.received().length;
      const reply = await rawExchange(proxy.socket, Buffer.from(head, 'latin1'));
      const [res, ...rest] = splitResponses(reply.data);
      assert.equal(res?.status, 400, JSON.stringify(head));
      assert.equal(res!.headers['content-type'], 'application/json');
      assert.match(JSON.parse(res!.body).message, /invalid character in header X-Thing|invalid Content-Length/);
      assert.equal(rest.length, 0);
      assert.ok(reply.closed);
      assert.equal(upstream.received().length, before, `nothing of ${JSON.stringify(head)} reached the daemon`);
    }
  });

  test('pipelined allowed, refused, allowed: answers in order, only the allowed reach the daemon', async () => {
    const before = upstream.requests;
    const reply = await rawExchange(
      proxy.socket,
      'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /denied HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n',
      { until: until(3) },
    );
    assert.deepEqual(
      splitResponses(reply.data).map((r) => r.status),
      [200, 403, 200],
    );
    assert.equal(upstream.requests - before, 2);
  });

  test('bytes after a body are the next request and are judged too (no smuggling past the decision)', async () => {
    seen.length = 0;
    const reply = await rawExchange(
      proxy.socket,
      'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /denied HTTP/1.1\r\nHost: x\r\n\r\n',
      { until: until(2) },
    );
    assert.deepEqual(
      splitResponses(reply.data).map((r) => r.status),
      [200, 403],
    );
    assert.deepEqual(
      seen.map((r) => r.path),
      ['/a', '/denied'],
    );
  });

  test('a head repeated on a connection is judged each time, as itself, between other heads', async () => {
    seen.length = 0;
    const before = upstream.requests;
    const a = 'GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\n';
    const denied = 'GET /denied HTTP/1.1\r\nHost: x\r\n\r\n';
    const reply = await rawExchange(
      proxy.socket,
      a + a + denied + denied + a + 'GET /a?x=1 HTTP/1.1\r\nHost: y\r\n\r\n',
      { until: until(6) },
    );
    assert.deepEqual(
      splitResponses(reply.data).map((r) => r.status),
      [200, 200, 403, 403, 200, 200],
    );
    assert.deepEqual(
      seen.map((r) => `${r.path} ${r.headers.host}`),
      ['/a x', '/a x', '/denied x', '/denied x', '/a x', '/a y'],
    );
    assert.equal(upstream.requests - before, 4);
  });

  test('a decision that throws refuses the request (fail closed) with 500', async () => {
    const reply = await rawExchange(proxy.socket, 'GET /throws HTTP/1.1\r\nHost: x\r\n\r\n', { until: until(1) });
    const res = splitResponses(reply.data)[0]!;
    assert.equal(res.status, 500);
    assert.match(JSON.parse(res.body).message, /policy evaluation failed: policy exploded/);
  });

  test('a judged chunked body: the decision sees it de-chunked, the daemon gets the exact bytes sent', async () => {
    const before = upstream.received().length;
    const raw =
      'POST /v1.41/judge-body?x=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ok"\r\n6;ext=y\r\n: true\r\n1\r\n}\r\n0\r\n\r\n';
    seen.length = 0;
    const reply = await rawExchange(proxy.socket, raw, { until: until(1) });
    assert.equal(splitResponses(reply.data)[0]!.status, 200);
    assert.equal(seen[0]!.body!.toString(), '{"ok": true}');
    assert.equal(seen[0]!.version, '1.41');
    assert.deepEqual(seen[0]!.query, Object.assign(Object.create(null), { x: ['1'] }));
    assert.equal(upstream.received().subarray(before).toString(), raw);
  });

  test('a judged body that says no is refused and never forwarded', async () => {
    const before = upstream.received().length;
    const reply = await rawExchange(
      proxy.socket,
      'POST /judge-body HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{"ok":false}',
      { until: until(1) },
    );
    const res = splitResponses(reply.data)[0]!;
    assert.equal(res.status, 403);
    assert.equal(JSON.parse(res.body).message, 'body says no');
    assert.equal(upstream.received().length, before);
  });

  test('a decision may replace a judged body: the daemon gets the new bytes with their own Content-Length', async () => {
    const before = upstream.received().length;
    const raw =
      'POST /replace-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n3\r\n{ }\r\n0\r\n\r\n';
    const reply = await rawExchange(proxy.socket, raw, { until: until(1) });
    assert.equal(splitResponses(reply.data)[0]!.status, 200);
    assert.equal(
      upstream.received().subarray(before).toString(),
      'POST /replace-body HTTP/1.1\r\nHost: x\r\nX-Kept: yes\r\nContent-Length: 18\r\n\r\n{"canonical":true}',
    );
  });

  test('a body larger than the decision may read is refused with 413, never judged on a prefix', async () => {
    const before = upstream.received().length;
    const body = `{"ok":true,"pad":"${'x'.repeat(2000)}"}`;
    const reply = await rawExchange(
      proxy.socket,
      `POST /judge-body HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      { until: until(1) },
    );
    assert.equal(splitResponses(reply.data)[0]!.status, 413);
    assert.equal(upstream.received().length, before);
  });

  test('Expect: 100-continue on a judged body: the proxy says continue once, the daemon’s own 100 is not repeated', async () => {
    const s = await rawConnect(proxy.socket);
    let data = '';
    s.on('data', (d) => (data += d));
    s.write('POST /judge-body HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n');
    while (!data.includes('\r\n\r\n')) await sleep(10);
    assert.equal(data, 'HTTP/1.1 100 Continue\r\n\r\n');
    s.write('{"ok":true}');
    while (!data.endsWith('ok')) await sleep(10);
    assert.equal(data.match(/100 Continue/g)!.length, 1);
    assert.match(data, /HTTP\/1\.1 200 OK/);
    s.destroy();
  });
});

describe('decision point with the real daemon and docker CLI', {
  skip: process.getuid?.() !== 0 && 'needs root to run dockerd',
}, () => {
  let daemon: Daemon;
  let proxy: InProcessProxy;
  let image: string;
  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    proxy = await startInProcessProxy(daemon.socket, {
      bodyLimit: (req) => (req.method === 'POST' && req.path === '/containers/create' ? 1 << 20 : 0),
      decide: (req) => {
        if (req.method === 'POST' && req.path === '/containers/create') {
          const body = JSON.parse(req.body!.toString());
          if (body.Labels?.deny === 'yes') return { allow: false, message: 'containers labelled deny=yes are refused' };
        }
        return { allow: true };
      },
    });
  });
  after(async () => {
    await proxy.close();
    await daemon.stop();
  });

  test('the docker CLI prints the refusal, and an allowed create on the same proxy works', async () => {
    const docker = dockerAt(proxy.socket);
    const refused = await docker(['create', '--label', 'deny=yes', image, 'true']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Error response from daemon: containers labelled deny=yes are refused/);
    const allowed = await docker(['create', '--label', 'deny=no', image, 'true']);
    assert.equal(allowed.code, 0, allowed.stderr);
    await docker(['rm', allowed.stdout.toString().trim()]);
  });
});
