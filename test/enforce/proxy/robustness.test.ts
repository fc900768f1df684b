// Hostile and unusual input on the proxy socket: each gets a Docker-shaped error (or the
// right answer) and the proxy keeps serving everyone else. Against the real daemon.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import {
  dockerAt,
  ensureTestImage,
  ok,
  rawConnect,
  rawExchange,
  splitResponses,
  startInProcessProxy,
  startServe,
  testDaemon,
  type Daemon,
  type InProcessProxy,
  type Served,
} from '../../harness/index.js';

const canRun = process.getuid?.() === 0;

/** Asserts one Docker-shaped JSON error with `status`, and that the proxy closed the connection. */
function assertErrorAndClose(reply: { data: Buffer; closed: boolean }, status: number, pattern: RegExp): void {
  const [res, ...rest] = splitResponses(reply.data);
  assert.ok(res, `no response: ${JSON.stringify(reply.data.toString('latin1').slice(0, 200))}`);
  assert.equal(res.status, status);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.match(JSON.parse(res.body).message, pattern);
  assert.equal(rest.length, 0);
  assert.ok(reply.closed, 'connection closed after the error');
}

const PING = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';

describe('proxy robustness against the real daemon', { skip: !canRun && 'needs root to run dockerd' }, () => {
  let daemon: Daemon;
  let served: Served;
  let image: string;

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket, args: ['--header-timeout', '600ms'] });
  });

  after(async () => {
    await served?.stop();
    await daemon?.stop();
  });

  test('garbage bytes → 400 JSON error, connection closed', async () => {
    const reply = await rawExchange(
      served.socket,
      Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n', 'latin1'),
    );
    assertErrorAndClose(reply, 400, /malformed/);
  });

  test('negative Content-Length → 400', async () => {
    const reply = await rawExchange(
      served.socket,
      'POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: -5\r\n\r\n{}',
    );
    assertErrorAndClose(reply, 400, /Content-Length/);
  });

  test('conflicting Content-Length headers, and Content-Length with Transfer-Encoding → 400', async () => {
    const a = await rawExchange(
      served.socket,
      'POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x',
    );
    assertErrorAndClose(a, 400, /conflicting Content-Length/);
    const b = await rawExchange(
      served.socket,
      'POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    );
    assertErrorAndClose(b, 400, /both Content-Length and Transfer-Encoding/);
  });

  test('broken chunking → 400, connection closed', async () => {
    const reply = await rawExchange(
      served.socket,
      'POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    );
    assertErrorAndClose(reply, 400, /chunk/);
  });

  test('a 200 KB request line → 414', async () => {
    const reply = await rawExchange(served.socket, `GET /${'a'.repeat(200 * 1024)} HTTP/1.1\r\nHost: docker\r\n\r\n`);
    assertErrorAndClose(reply, 414, /request line/);
  });

  test('oversize headers → 431', async () => {
    const headers = Array.from({ length: 800 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(90)}\r\n`).join('');
    const reply = await rawExchange(served.socket, `GET /_ping HTTP/1.1\r\nHost: docker\r\n${headers}\r\n`);
    assertErrorAndClose(reply, 431, /request head longer/);
  });

  test('slow headers → 408 after the header timeout', async () => {
    const started = Date.now();
    const reply = await rawExchange(served.socket, 'GET /_ping HTTP/1.1\r\nHost: dock', { timeoutMs: 5000 });
    assertErrorAndClose(reply, 408, /timed out/);
    assert.ok(Date.now() - started < 3000);
  });

  test('an idle keep-alive connection is not timed out by the header timeout', async () => {
    const s = await rawConnect(served.socket);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(s.destroyed, false);
    const got = await new Promise<string>((resolve) => {
      let d = '';
      s.on('data', (c) => {
        d += c;
        if (d.endsWith('OK')) resolve(d);
      });
      s.write(PING);
    });
    assert.match(got, /^HTTP\/1\.1 200 OK/);
    s.destroy();
  });

  test('bare LF line endings are refused, not guessed at', async () => {
    const reply = await rawExchange(served.socket, 'GET /_ping HTTP/1.1\nHost: docker\n\r\n\r\n');
    assertErrorAndClose(reply, 400, /bare CR or LF/);
  });

  test('pipelined requests are answered in order on one connection', async () => {
    const reply = await rawExchange(
      served.socket,
      PING +
        'GET /version HTTP/1.1\r\nHost: docker\r\n\r\n' +
        PING +
        'HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n' +
        PING,
      {
        until: (d) => splitResponses(d).length >= 5,
      },
    );
    const responses = splitResponses(reply.data);
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    assert.equal(responses[0]!.body, 'OK');
    assert.ok(JSON.parse(responses[1]!.body).ApiVersion);
    assert.equal(responses[2]!.body, 'OK');
    assert.equal(responses[4]!.body, 'OK');
  });

  test('line breaks after a POST body, before the next request, are dropped as dockerd drops them', async () => {
    // Old clients end a POST body with CRLF; Go's server skips up to four CR/LF bytes after a POST.
    for (const gap of ['\r\n', '\n', '\r\n\r\n']) {
      const reply = await rawExchange(
        served.socket,
        'POST /_ping HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\nab' + gap + PING,
        {
          until: (d) => splitResponses(d).length >= 2,
        },
      );
      assert.deepEqual(
        splitResponses(reply.data).map((r) => r.status),
        [404, 200],
        JSON.stringify(gap),
      ); // dockerd has no POST /_ping
    }
    // Not after a GET: there the line break is a malformed request line, as dockerd has it too.
    const reply = await rawExchange(served.socket, PING + '\r\n' + PING, {
      until: (d) => splitResponses(d).length >= 2,
    });
    assert.deepEqual(
      splitResponses(reply.data).map((r) => r.status),
      [200, 400],
    );
  });

  test('a line break after a POST body and then silence → 408 after the header timeout', async () => {
    // The proxy waits to see whether more line breaks come (as dockerd does): that wait is a
    // partial head too, and the header timeout bounds it.
    const started = Date.now();
    const reply = await rawExchange(
      served.socket,
      'POST /_ping HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\nab\r\n',
      { timeoutMs: 5000 },
    );
    const responses = splitResponses(reply.data);
    assert.deepEqual(
      responses.map((r) => r.status),
      [404, 408],
    ); // dockerd has no POST /_ping
    assert.match(JSON.parse(responses[1]!.body).message, /timed out/);
    assert.ok(reply.closed, 'connection closed after the 408');
    assert.ok(Date.now() - started < 3000);
  });
  test('a body the policy reads that stops coming → 408 after the header timeout; nothing reached the daemon', async () => {
    const containers = async () => (await ok(dockerAt(daemon.socket)(['ps', '-aq']))).stdout.toString();
    const before = await containers();
    const started = Date.now();
    const body = JSON.stringify({ Image: image, Cmd: ['true'], Labels: { stalled: 'yes' } });
    // Half the body, then silence: the proxy holds it to judge it whole, but not for ever.
    const reply = await rawExchange(
      served.socket,
      `POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, body.length >> 1)}`,
      { timeoutMs: 5000 },
    );
    assertErrorAndClose(reply, 408, /timed out reading the request body/);
    assert.ok(Date.now() - started < 3000);
    assert.equal(await containers(), before, 'a container was created from a stalled body');
  });

  test('a build context that stalls while it is spooled to be judged → 408 after the header timeout', async () => {
    // The first bytes of a tar, then silence: the context is spooled to disk while the
    // Dockerfile is looked for, and a context that stops coming must not hold its spool for ever.
    const started = Date.now();
    const reply = await rawExchange(
      served.socket,
      `POST /build HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 100000\r\n\r\n${'\0'.repeat(3000)}`,
      { timeoutMs: 5000 },
    );
    assertErrorAndClose(reply, 408, /timed out reading the request body/);
    assert.ok(Date.now() - started < 3000);
  });

  test('a build context that keeps coming, slowly, is not cut by the header timeout', async () => {
    // Bytes arrive every 200 ms for 1.5 s (longer than the 600 ms timeout, but never idle that
    // long); the context is not a tar, so the answer is the daemon's or the policy's, not 408.
    const s = await rawConnect(served.socket);
    let data = Buffer.alloc(0);
    s.on('data', (d: Buffer) => (data = Buffer.concat([data, d])));
    const total = 8 * 512;
    s.write(
      `POST /build HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: ${total}\r\n\r\n`,
    );
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 200));
      s.write(Buffer.alloc(512));
    }
    for (let i = 0; i < 100 && splitResponses(data).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    s.destroy();
    const res = splitResponses(data)[0]!;
    assert.ok(res, 'no answer');
    assert.notEqual(res.status, 408, res.body);
  });

  test('Expect: 100-continue: the client gets 100, sends the body, gets the answer', async () => {
    const s = await rawConnect(served.socket);
    const body = JSON.stringify({ Image: image, Cmd: ['true'] });
    let data = '';
    const waitFor = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (re.test(data) ? resolve() : undefined);
        s.on('data', (c) => {
          data += c.toString();
          check();
        });
        s.on('close', () => reject(new Error(`closed: ${data}`)));
        check();
      });
    s.write(
      `POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    s.write(body);
    await waitFor(/HTTP\/1\.1 201 Created[\s\S]*\r\n\r\n\{"Id":"[0-9a-f]+"/);
    s.destroy();
    const id = /"Id":"([0-9a-f]+)"/.exec(data)![1]!;
    await ok(dockerAt(daemon.socket)(['rm', id]));
  });

  test('chunked request bodies are forwarded (create with a chunked JSON body)', async () => {
    const body = JSON.stringify({ Image: image, Cmd: ['true'] });
    const half = Math.floor(body.length / 2);
    const chunked = `${half.toString(16)}\r\n${body.slice(0, half)}\r\n${(body.length - half).toString(16)};ext=1\r\n${body.slice(half)}\r\n0\r\n\r\n`;
    const reply = await rawExchange(
      served.socket,
      [
        'POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        chunked.slice(0, 7),
        chunked.slice(7),
      ],
      { gapMs: 50, until: (d) => splitResponses(d).length >= 1 },
    );
    const res = splitResponses(reply.data)[0]!;
    assert.equal(res.status, 201, reply.data.toString());
    await ok(dockerAt(daemon.socket)(['rm', JSON.parse(res.body).Id]));
  });

  test('exec start without Upgrade (200 raw stream): stdin with half-close in, all output back', async () => {
    const direct = dockerAt(daemon.socket);
    const id = (await ok(direct(['run', '-d', image, 'sleep', '300']))).stdout.toString().trim();
    try {
      const create = await rawExchange(
        served.socket,
        (() => {
          const body = JSON.stringify({
            AttachStdin: true,
            AttachStdout: true,
            AttachStderr: true,
            Cmd: ['sh', '-c', 'md5sum; echo done >&2'],
          });
          return `POST /v1.41/containers/${id}/exec HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
        })(),
        { until: (d) => splitResponses(d).length >= 1 },
      );
      const execId = JSON.parse(splitResponses(create.data)[0]!.body).Id;
      const s = await rawConnect(served.socket);
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      const closed = new Promise<void>((r) => s.on('close', () => r()));
      const body = JSON.stringify({ Detach: false, Tty: false });
      s.write(
        `POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      while (Buffer.concat(chunks).indexOf('\r\n\r\n') < 0) await new Promise((r) => setTimeout(r, 10));
      const payload = Buffer.alloc(3 * 1024 * 1024, 'dockgate');
      s.end(payload); // half-close: md5sum sees EOF, its output must still come back
      await closed;
      const all = Buffer.concat(chunks);
      const headEnd = all.indexOf('\r\n\r\n') + 4;
      assert.match(
        all.subarray(0, headEnd).toString(),
        /^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Type: application\/vnd\.docker\.(raw|multiplexed)-stream/i,
      );
      // Demultiplex Docker's stream frames: [stream, 0, 0, 0, size(4)] payload.
      const out: Record<number, string> = { 1: '', 2: '' };
      for (let i = headEnd; i + 8 <= all.length; ) {
        const size = all.readUInt32BE(i + 4);
        out[all[i]!] += all.subarray(i + 8, i + 8 + size).toString();
        i += 8 + size;
      }
      const { createHash } = await import('node:crypto');
      assert.equal(out[1]!.split(' ')[0], createHash('md5').update(payload).digest('hex'));
      assert.equal(out[2], 'done\n');
    } finally {
      await direct(['rm', '-f', id]);
    }
  });

  test('after all of the above, docker version still works', async () => {
    await rawExchange(served.socket, Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]));
    await rawExchange(served.socket, 'POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n');
    const r = await ok(dockerAt(served.socket)(['version', '--format', '{{.Server.Version}}']));
    assert.match(r.stdout.toString(), /^\d+\.\d+/);
  });

  test('10,000 connections (answered, cut mid-head, cut mid-stream) leak no file descriptors', async () => {
    const fdCount = () => fs.readdirSync(`/proc/${served.pid}/fd`).length;
    const baseline = fdCount();
    let stuck = 0;
    const one = (i: number) =>
      new Promise<void>((resolve) => {
        const s = net.createConnection(served.socket);
        const timer = setTimeout(() => {
          stuck++;
          s.destroy();
        }, 10_000);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        s.on('error', done);
        s.on('close', done);
        s.on('connect', () => {
          const kind = i % 4;
          if (kind === 0) {
            s.resume(); // read the answer so the proxy's close is seen
            s.write(PING.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
          } else if (kind === 1) {
            s.write('GET /_ping HTTP/1.1\r\nHo');
            setTimeout(() => s.destroy(), 5);
          } else if (kind === 2) {
            s.write('GET /events HTTP/1.1\r\nHost: docker\r\n\r\n'); // a stream that never ends
            s.once('data', () => s.destroy());
          } else {
            s.write(PING);
            s.once('data', () => s.destroy());
          }
        });
      });
    const total = 10_000;
    const parallel = 100;
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < total) await one(next++);
      }),
    );
    assert.equal(stuck, 0, 'connections that got no answer');
    let now = fdCount();
    for (let i = 0; i < 50 && now > baseline + 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = fdCount();
    }
    assert.ok(now <= baseline + 2, `fds: ${baseline} before, ${now} after`);
    const r = await ok(dockerAt(served.socket)(['version', '--format', '{{.Server.Version}}']));
    assert.match(r.stdout.toString(), /^\d+\.\d+/);
  });
});

describe('proxy with its upstream down', () => {
  let served: Served;
  const missing = `/tmp/dgmissing-${process.pid}.sock`;

  before(async () => {
    served = await startServe({ upstream: missing });
  });
  after(async () => {
    await served?.stop();
  });

  test('a request gets 502 naming the upstream, and the docker CLI prints it', async () => {
    const reply = await rawExchange(served.socket, PING);
    const res = splitResponses(reply.data)[0]!;
    assert.equal(res.status, 502);
    assert.match(JSON.parse(res.body).message, new RegExp(`upstream unix://${missing}`));
    const r = await dockerAt(served.socket)(['version']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(missing));
  });
});

describe('proxy whose request log cannot be written', { skip: !canRun && 'needs root to run dockerd' }, () => {
  let daemon: Daemon;
  let served: Served;

  before(async () => {
    daemon = await testDaemon();
    // Every write to /dev/full fails with ENOSPC: a full disk under the request log.
    served = await startServe({ upstream: daemon.socket, args: ['--decision-log', '/dev/full'] });
  });
  after(async () => {
    await served?.stop();
    await daemon?.stop();
  });

  test('keeps serving through a full disk, and says on stderr that the log is failing', async () => {
    // 300 requests pipelined on one connection: well past a batch of request lines.
    const reply = await rawExchange(served.socket, PING.repeat(300), { endAfterWrite: true });
    const answers = splitResponses(reply.data);
    assert.equal(answers.length, 300);
    assert.ok(answers.every((a) => a.status === 200));
    const r = await dockerAt(served.socket)(['version', '--format', '{{.Server.Version}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(served.process.exitCode, null, 'the proxy is still running');
    assert.match(served.stderr(), /cannot write the log \(\/dev\/full\): ENOSPC/);
  });
});

describe('pipelined requests behind one that dockerd answers and closes on', {
  skip: !canRun && 'needs root to run dockerd',
}, () => {
  let daemon: Daemon;
  let proxy: InProcessProxy;

  before(async () => {
    daemon = await testDaemon();
    // The second request takes 100 ms to judge, synchronously: time enough for dockerd to answer
    // the first and close before the proxy could forward the second.
    proxy = await startInProcessProxy(daemon.socket, {
      decide: (req) => {
        if (req.path === '/_ping') for (const until = Date.now() + 100; Date.now() < until; );
        return { allow: true };
      },
    });
  });
  after(async () => {
    await proxy?.close();
    await daemon?.stop();
  });

  test("the client gets dockerd's own 400, and the request behind it is not sent to a closed connection", async () => {
    // dockerd answers a request without Host with 400 and closes. Writing the next request to that
    // connection failed (EPIPE), and Node dropped the connection with the 400 still unread.
    const reply = await rawExchange(proxy.socket, 'GET /version HTTP/1.1\r\nX-No-Host: 1\r\n\r\n' + PING, {
      timeoutMs: 5000,
    });
    const answers = splitResponses(reply.data);
    assert.deepEqual(
      answers.map((a) => a.status),
      [400],
      JSON.stringify(reply.data.toString('latin1')),
    );
    assert.match(reply.data.toString('latin1'), /missing required Host header/);
    assert.ok(reply.closed);
  });
});
