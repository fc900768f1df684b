// A body the decision point must read (held in memory, or spooled to disk) that stops coming
// ends with a 408 after the header timeout, and none of its request reaches the daemon.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  rawExchange,
  splitResponses,
  startFakeUpstream,
  startInProcessProxy,
  type FakeUpstream,
  type InProcessProxy,
} from '../../harness/index.js';
import type { BodyObserver, DecisionPoint } from '../../../src/enforce/proxy/decision.js';

class Sink implements BodyObserver {
  aborted = false;
  write(): void {}
  end(): void {}
  abort(): void {
    this.aborted = true;
  }
}

describe('bodies read to be judged that stop coming (fake upstream)', () => {
  let upstream: FakeUpstream;
  let proxy: InProcessProxy;
  const observers: Sink[] = [];
  const decisionPoint: DecisionPoint = {
    bodyLimit: (req) => (req.path === '/judge' ? 1 << 20 : 0),
    spoolBody: (req) => {
      if (req.path !== '/build') return undefined;
      const observer = new Sink();
      observers.push(observer);
      return { observer, limit: 1 << 30 };
    },
    decide: () => ({ allow: true }),
  };

  before(async () => {
    upstream = await startFakeUpstream();
    proxy = await startInProcessProxy(upstream.socket, decisionPoint, { headerTimeoutMs: 300 });
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  for (const [what, path] of [
    ['held in memory', '/judge'],
    ['spooled to disk', '/build'],
  ] as const) {
    test(`a body ${what} that stalls → 408 JSON error, connection closed, nothing forwarded`, async () => {
      const forwarded = upstream.requests;
      const received = upstream.received().length;
      const reply = await rawExchange(
        proxy.socket,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n${'a'.repeat(3000)}`,
        { timeoutMs: 5000 },
      );
      const [res, ...rest] = splitResponses(reply.data);
      assert.equal(res?.status, 408);
      assert.equal(res!.headers['content-type'], 'application/json');
      assert.match(JSON.parse(res!.body).message, /timed out reading the request body/);
      assert.equal(rest.length, 0);
      assert.ok(reply.closed, 'connection closed after the 408');
      assert.equal(upstream.requests, forwarded, 'the stalled request reached the daemon');
      assert.equal(upstream.received().length, received, 'bytes of the stalled request reached the daemon');
      assert.equal(proxy.proxy.heldBodyBytes, 0, 'the held body was given back');
      if (path === '/build')
        assert.equal(observers.at(-1)!.aborted, true, 'the spool reader was told the body is gone');
    });
  }
});
