// A head that repeats the connection's last one byte for byte is taken without a new parse; a
// head that differs from it in any byte, or that has not fully arrived, is read as itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { RepeatedHead } from '../../../src/enforce/proxy/repeated-head.js';
import type { DecisionPoint } from '../../../src/enforce/proxy/decision.js';
import { rawExchange, startInProcessProxy } from '../../harness/index.js';

test('a kept head matches only its own bytes, whole, at the place asked about; a head over the bound is not kept', () => {
  const kept = new RepeatedHead<string>(64);
  const head = Buffer.from('GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n', 'latin1');
  assert.equal(kept.match(head, 0), -1, 'nothing kept yet');
  kept.keep(Buffer.concat([Buffer.from('xx'), head]), 2, 2 + head.length, 'ping');
  assert.equal(kept.match(head, 0), head.length);
  assert.equal(kept.head, 'ping');
  const behind = Buffer.concat([Buffer.from('body'), head, Buffer.from('GET /next')]);
  assert.equal(kept.match(behind, 4), 4 + head.length, 'at an offset, with more bytes after it');
  assert.equal(kept.match(behind, 0), -1);
  assert.equal(kept.match(head.subarray(0, head.length - 1), 0), -1, 'not yet whole');
  for (let i = 0; i < head.length; i++) {
    const changed = Buffer.from(head);
    changed[i]! ^= 0x20;
    assert.equal(kept.match(changed, 0), -1, `byte ${i} changed`);
  }
  kept.keep(Buffer.alloc(65, 0x41), 0, 65, 'too long');
  assert.equal(kept.match(head, 0), -1, 'the bound forgets what was kept');
});

/**
 * A fake daemon that answers the n-th request of a connection with `answers[n]` (the same
 * answer for all, past the end) and records each request line it got.
 */
async function scriptedUpstream(answers: string[]) {
  const dir = fs.mkdtempSync('/tmp/dgr-');
  const socket = path.join(dir, 'u.sock');
  const lines: string[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => {});
    let buf = '';
    let n = 0;
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        lines.push(buf.slice(0, buf.indexOf('\r\n')));
        buf = buf.slice(end + 4);
        s.write(answers[Math.min(n++, answers.length - 1)]!);
      }
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    lines,
    close: () => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const head = (length: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n${extra}Content-Length: ${length}\r\n\r\n`;

test('daemon answers whose heads differ from the last one only in the length are each framed by their own length', async () => {
  // The same head twice, then heads of the same size with another length, then the first again
  // with a body that ends in what looks like a head: any stale framing would cut or merge them.
  const answers = [
    head('2') + 'ok',
    head('2') + 'ok',
    head('5') + 'hello',
    head('3') + 'abc',
    head('2', 'Connection: keep-alive\r\n') + 'ok',
    head('2') + 'ok',
    head('9') + '\r\n\r\nx\r\n\r\n',
    head('2') + 'ok',
  ];
  const up = await scriptedUpstream(answers);
  const proxy = await startInProcessProxy(up.socket, { decide: () => ({ allow: true }) });
  try {
    const request = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';
    // One at a time, so each answer comes in its own read; then all at once, pipelined.
    const expected = answers.join('');
    const oneByOne: string[] = [];
    const socket = await new Promise<net.Socket>((resolve) => {
      const s = net.createConnection({ path: proxy.socket }, () => resolve(s));
    });
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    for (const answer of answers) {
      socket.write(request);
      const want = oneByOne.join('').length + answer.length;
      for (let waited = 0; got.length < want && waited < 2000; waited += 5) await new Promise((r) => setTimeout(r, 5));
      assert.equal(got, oneByOne.join('') + answer, `answer ${oneByOne.length + 1}, whole`);
      oneByOne.push(answer);
    }
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    assert.equal(got, expected, 'every answer whole, nothing more');
    const piped = await rawExchange(proxy.socket, request.repeat(answers.length), {
      until: (d) => d.length >= expected.length,
      timeoutMs: 5000,
    });
    assert.equal(piped.data.toString('latin1'), expected);
  } finally {
    await proxy.close();
    up.close();
  }
});

test('a request head one byte away from the last one is judged as itself, not as the one it resembles', async () => {
  const up = await scriptedUpstream([head('2') + 'ok']);
  const judged: string[] = [];
  const policy: DecisionPoint = {
    decide: (req) => {
      judged.push(req.rawPath);
      return req.rawPath === '/_pinG' ? { allow: false, message: 'not this one' } : { allow: true };
    },
  };
  const proxy = await startInProcessProxy(up.socket, policy);
  try {
    const ping = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';
    const other = 'GET /_pinG HTTP/1.1\r\nHost: docker\r\n\r\n';
    const reply = await rawExchange(proxy.socket, [ping, ping, other, ping], {
      gapMs: 30,
      until: (d) => (d.toString('latin1').match(/HTTP\/1\.1 /g) ?? []).length >= 4,
      timeoutMs: 5000,
    });
    const statuses = [...reply.data.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '200', '403', '200']);
    assert.deepEqual(
      up.lines,
      ['GET /_ping HTTP/1.1', 'GET /_ping HTTP/1.1', 'GET /_ping HTTP/1.1'],
      'the refused one never reached the daemon',
    );
    assert.ok(judged.includes('/_pinG'), 'the changed head went to the decision point');
  } finally {
    await proxy.close();
    up.close();
  }
});
