// What a caller may make the proxy hold is bounded, and given back: bodies held in memory to be
// judged (per caller and in all) and open connections (per caller). A caller cannot make the
// proxy hold memory without limit by sending parts of bodies, or by opening connections.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import type { DecisionPoint } from '../../../src/enforce/proxy/decision.js';
import { CallerQuota } from '../../../src/enforce/proxy/caller-quota.js';
import {
  rawConnect,
  rawExchange,
  splitResponses,
  startFakeUpstream,
  startInProcessProxy,
  type FakeUpstream,
  type InProcessProxy,
} from '../../harness/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const judgeBodies: DecisionPoint = {
  bodyLimit: (req) => (req.path === '/judge' ? 1 << 20 : 0),
  decide: () => ({ allow: true }),
};

/** A connection that has sent the head of a judged request with `length` bytes of body, and `sent` of them. */
async function partBody(socket: string, length: number, sent: number): Promise<{ s: Socket; data: () => Buffer }> {
  const s = await rawConnect(socket);
  let data = Buffer.alloc(0);
  s.on('data', (d: Buffer) => (data = Buffer.concat([data, d])));
  s.write(`POST /judge HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n${'a'.repeat(sent)}`);
  return { s, data: () => data };
}

async function responses(data: () => Buffer, n: number): Promise<ReturnType<typeof splitResponses>> {
  for (let i = 0; i < 200 && splitResponses(data()).length < n; i++) await sleep(10);
  return splitResponses(data());
}

async function heldBecomes(proxy: InProcessProxy, bytes: number): Promise<void> {
  for (let i = 0; i < 200 && proxy.proxy.heldBodyBytes !== bytes; i++) await sleep(10);
  assert.equal(proxy.proxy.heldBodyBytes, bytes);
}

test('the count: a caller past its share, or everyone past the total, is told which; what is given back can be taken again', () => {
  const held = new CallerQuota({ perCaller: 100, overall: 150 });
  assert.equal(held.take('a', 80), null);
  assert.equal(held.take('a', 30), 'caller');
  assert.equal(held.take('b', 80), 'overall');
  assert.equal(held.take('b', 70), null);
  assert.equal(held.held(), 150);
  held.give('a', 80);
  assert.equal(held.held('a'), 0);
  assert.equal(held.take('b', 30), null);
  assert.equal(held.held(), 100);
});

describe('held bodies through the proxy (fake upstream)', () => {
  let upstream: FakeUpstream;
  let perCaller: InProcessProxy;
  let overall: InProcessProxy;

  before(async () => {
    upstream = await startFakeUpstream();
    // Each received byte is held twice (as sent, and de-chunked): 4,000 bytes sent hold 8,000.
    perCaller = await startInProcessProxy(upstream.socket, judgeBodies, {
      heldBodyLimits: { perCaller: 10_000, overall: 1_000_000 },
    });
    overall = await startInProcessProxy(upstream.socket, judgeBodies, {
      heldBodyLimits: { perCaller: 1_000_000, overall: 10_000 },
    });
  });
  after(async () => {
    await perCaller.close();
    await overall.close();
    await upstream.close();
  });

  for (const [bound, status, message] of [
    ['perCaller', 429, /too many request bodies from \S+ are waiting/],
    ['overall', 503, /too many request bodies are waiting/],
  ] as const) {
    test(`past the ${bound} bound, a body to be judged is refused with ${status}, the rest of it dropped, and the connection stays usable`, async () => {
      const proxy = bound === 'perCaller' ? perCaller : overall;
      const forwarded = upstream.requests;
      const a = await partBody(proxy.socket, 4000, 2000);
      await heldBecomes(proxy, 4000);
      const b = await partBody(proxy.socket, 8000, 4000);
      const [refusal] = await responses(b.data, 1);
      assert.equal(refusal?.status, status);
      assert.match(JSON.parse(refusal!.body).message, message);
      assert.equal(proxy.proxy.heldBodyBytes, 4000, 'the refused body is not held');
      // The refused body's rest is read and dropped; the next request on the connection is served.
      b.s.write(`${'a'.repeat(4000)}GET /after HTTP/1.1\r\nHost: x\r\n\r\n`);
      const [, next] = await responses(b.data, 2);
      assert.equal(next?.status, 200);
      // The first body, whole (8,000 held, within the bound), is judged and forwarded; then nothing is held.
      a.s.write('a'.repeat(2000));
      const [answer] = await responses(a.data, 1);
      assert.equal(answer?.status, 200);
      await heldBecomes(proxy, 0);
      assert.equal(
        upstream.requests - forwarded,
        2,
        'the judged body and GET /after reach the daemon, the refused one does not',
      );
      a.s.destroy();
      b.s.destroy();
    });
  }

  test('a connection that goes away in the middle of a judged body gives back what it held', async () => {
    const a = await partBody(perCaller.socket, 8000, 3000);
    await heldBecomes(perCaller, 6000);
    a.s.destroy();
    await heldBecomes(perCaller, 0);
  });
});

describe('connections per caller (fake upstream)', () => {
  let upstream: FakeUpstream;
  let proxy: InProcessProxy;

  before(async () => {
    upstream = await startFakeUpstream();
    proxy = await startInProcessProxy(upstream.socket, judgeBodies, { maxConnectionsPerCaller: 3 });
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  test('past its open connections, a caller gets a 429 JSON error and the connection closed; one closed makes room for one more', async () => {
    const open = await Promise.all([1, 2, 3].map(() => rawConnect(proxy.socket)));
    for (let i = 0; i < 200 && proxy.proxy.size < 3; i++) await sleep(10);
    assert.equal(proxy.proxy.size, 3);
    const forwarded = upstream.requests;
    const refused = await rawExchange(proxy.socket, 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 3000 });
    const [res, ...rest] = splitResponses(refused.data);
    assert.equal(res?.status, 429);
    assert.match(JSON.parse(res!.body).message, /too many connections from \S+ \(3 open\)/);
    assert.equal(rest.length, 0);
    assert.ok(refused.closed, 'the refused connection is closed');
    assert.equal(proxy.proxy.size, 3, 'the refused connection is not counted');
    assert.equal(upstream.requests, forwarded, "the refused connection's request reached the daemon");
    open[0]!.destroy();
    for (let i = 0; i < 200 && proxy.proxy.size > 2; i++) await sleep(10);
    const served = await rawExchange(proxy.socket, 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n', {
      until: (d) => splitResponses(d).length >= 1,
      timeoutMs: 3000,
    });
    assert.equal(splitResponses(served.data)[0]?.status, 200);
    for (const s of open) s.destroy();
  });

  test('a refused connection is closed on the proxy side even when its client keeps it open', async () => {
    const open = await Promise.all([1, 2, 3].map(() => rawConnect(proxy.socket)));
    for (let i = 0; i < 200 && proxy.proxy.size < 3; i++) await sleep(10);
    // This process is both the clients and the proxy: each refused connection that lingered
    // would hold two descriptors here, the client's and the proxy's.
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const refused = await Promise.all(Array.from({ length: 20 }, () => rawConnect(proxy.socket)));
    await sleep(1000);
    assert.ok(
      fds() - before <= 22,
      `${fds() - before} descriptors more for 20 refused connections kept open by their clients`,
    );
    for (const s of [...open, ...refused]) s.destroy();
  });
});
