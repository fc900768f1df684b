// `dockgate serve` as a process: flags, listening sockets, TLS identity, shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import {
  DOCKGATE_BIN,
  dockerAt,
  ensureTestImage,
  freeLoopbackPort,
  makeTestCertificates,
  ok,
  rawConnect,
  run,
  startServe,
  testDaemon,
  type Daemon,
} from '../../harness/index.js';

const canRun = process.getuid?.() === 0;
const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

function serveOnce(args: string[]) {
  return run(process.execPath, [DOCKGATE_BIN, 'serve', ...args], { timeoutMs: 15_000 });
}

describe('dockgate serve flags', () => {
  test('plain TCP without TLS is refused unless --insecure-tcp', async () => {
    const r = await serveOnce(['--listen', 'tcp://127.0.0.1:0', '--upstream', 'unix:///tmp/none.sock']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--insecure-tcp/);
  });
  test('bad --socket-mode, unknown --socket-group, half of the TLS flags: one-line errors, exit 2', async () => {
    for (const args of [
      ['--socket-mode', '999'],
      ['--socket-group', 'no-such-group-dg'],
      ['--tls-cert', '/x'],
      ['--max-connections-per-user', '0'],
      ['--max-connections-per-user', '12x'],
    ]) {
      const r = await serveOnce(['--listen', 'unix:///tmp/dg-never.sock', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /^dockgate: serve: /);
    }
  });
  test('an unreadable --policy stops serve with a one-line error (never a silent allow-all)', async () => {
    const r = await serveOnce(['--listen', 'unix:///tmp/dg-never.sock', '--policy', '/nonexistent/dockgate-test.rego']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^dockgate: serve: .*(policy|dockgate-test\.rego)/i);
    assert.equal(fs.existsSync('/tmp/dg-never.sock'), false);
  });
});

describe('dockgate serve lifecycle', { skip: !canRun && 'needs root to run dockerd' }, () => {
  let daemon: Daemon;
  let image: string;
  let dir: string;
  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    dir = fs.mkdtempSync('/tmp/dgl-');
  });
  after(async () => {
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a stale socket file at --listen is replaced', async () => {
    const sock = path.join(dir, 'stale.sock');
    // A listener killed with SIGKILL leaves its socket file behind.
    const child = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await new Promise((r) => child.stdout!.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(fs.lstatSync(sock).isSocket());
    const served = await startServe({ upstream: daemon.socket, dir, socketName: 'stale.sock' });
    try {
      const r = await dockerAt(served.socket)(['version', '--format', '{{.Server.Version}}']);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await served.stop();
    }
  });

  test('a live socket at --listen is an error, and is left alone', async () => {
    const sock = path.join(dir, 'live.sock');
    const server = net.createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    try {
      const r = await serveOnce(['--listen', `unix://${sock}`, '--upstream', `unix://${daemon.socket}`]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /already listening/);
      assert.ok(fs.lstatSync(sock).isSocket());
    } finally {
      server.close();
    }
  });

  test('a regular file at --listen is not deleted', async () => {
    const file = path.join(dir, 'not-a-socket');
    fs.writeFileSync(file, 'precious');
    const r = await serveOnce(['--listen', `unix://${file}`, '--upstream', `unix://${daemon.socket}`]);
    assert.equal(r.code, 2);
    assert.equal(fs.readFileSync(file, 'utf8'), 'precious');
  });

  test('started as bin/dockgate, serve runs with a young generation of 1 MiB semi-spaces, and keeps its PID', async () => {
    const served = await startServe({ upstream: daemon.socket });
    try {
      const argv = fs.readFileSync(`/proc/${served.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('--max-semi-space-size=1'), argv.join(' '));
      assert.ok(argv.includes('serve'), 'the PID started is the proxy itself (env execs node)');
    } finally {
      await served.stop();
    }
  });

  test('a SIGHUP sent the moment serve says it is ready reloads the policy; it does not kill the proxy', async () => {
    // Several at once: the race this guards against (the readiness line written before the SIGHUP
    // handler was installed) was lost when the write woke the reader before serve ran on.
    const runs = Array.from({ length: 6 }, async (_, i) => {
      const socket = path.join(dir, `hup-${i}.sock`);
      const child = spawn(
        DOCKGATE_BIN,
        ['serve', '--listen', `unix://${socket}`, '--upstream', `unix://${daemon.socket}`],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      const seen = (text: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no "${text}" from serve: ${stderr}`)), 20_000);
          const check = () => stderr.includes(text) && (clearTimeout(timer), resolve());
          child.stderr!.on('data', check);
          check();
        });
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('dockgate: serving') && !child.killed) child.kill('SIGHUP');
      });
      try {
        await seen('dockgate: policy reloaded');
        assert.deepEqual([child.exitCode, child.signalCode], [null, null], stderr);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) =>
          child.exitCode === null && child.signalCode === null ? child.on('exit', r) : r(null),
        );
      }
    });
    await Promise.all(runs);
  });

  test('serve whose stderr reader has gone keeps serving (SIGHUP reloads write to stderr)', async () => {
    const socket = path.join(dir, 'stderr-gone.sock');
    const child = spawn(
      DOCKGATE_BIN,
      ['serve', '--listen', `unix://${socket}`, '--upstream', `unix://${daemon.socket}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('serve did not start')), 15_000);
        child.stderr!.on(
          'data',
          (d: Buffer) => d.toString().includes('dockgate: serving') && (clearTimeout(timer), resolve()),
        );
      });
      child.stderr!.destroy(); // the reader goes away: every later write to stderr fails with EPIPE
      for (let i = 0; i < 2; i++) {
        child.kill('SIGHUP');
        await new Promise((r) => setTimeout(r, 700));
      }
      assert.deepEqual(
        [child.exitCode, child.signalCode],
        [null, null],
        'still running: neither exited nor killed by a signal',
      );
      const r = await dockerAt(socket)(['version', '--format', '{{.Server.Version}}']);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      child.kill('SIGTERM');
      // A child killed by a signal has no exit code: waiting on exitCode alone would wait forever.
      await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.on('exit', r) : r(null)));
    }
  });

  test("--max-connections-per-user: past it, a user's docker command gets the 429 message; one closed makes room", async () => {
    const served = await startServe({ upstream: daemon.socket, args: ['--max-connections-per-user', '1'] });
    try {
      const held = await rawConnect(served.socket);
      await new Promise((r) => setTimeout(r, 200));
      const refused = await dockerAt(served.socket)(['version', '--format', '{{.Server.Version}}']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /too many connections from root \(1 open\)/);
      held.destroy();
      await new Promise((r) => setTimeout(r, 200));
      await ok(dockerAt(served.socket)(['version', '--format', '{{.Server.Version}}']));
    } finally {
      await served.stop();
    }
  });

  test('--max-connections-per-user: a client that writes only after the refusal is out still reads the 429', async () => {
    const served = await startServe({ upstream: daemon.socket, args: ['--max-connections-per-user', '1'] });
    try {
      const held = await rawConnect(served.socket);
      await new Promise((r) => setTimeout(r, 200));
      // The client writes only once the refusal has reached it, so the proxy has had every
      // chance to close first; it keeps its own side open after reading, as the docker CLI does.
      const late = net.createConnection({ path: served.socket, allowHalfOpen: true });
      let answer = '';
      const answered = new Promise((r) => late.once('data', r));
      late.on('data', (d) => (answer += d));
      const closed = new Promise<Error | undefined>((r) => {
        late.on('error', r);
        late.on('close', () => r(undefined));
      });
      await answered;
      late.end('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
      assert.equal(await closed, undefined, 'the late write got no broken pipe');
      assert.match(answer, /^HTTP\/1\.1 429 /);
      assert.match(answer, /too many connections from root \(1 open\)/);
      held.destroy();
    } finally {
      await served.stop();
    }
  });

  test('SIGTERM: new connections refused, the request in flight finishes, socket removed, exit 0', async () => {
    const served = await startServe({ upstream: daemon.socket });
    const inflight = dockerAt(served.socket)(['run', '--rm', image, 'sh', '-c', 'sleep 2; echo finished']);
    await new Promise((r) => setTimeout(r, 1000));
    served.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(fs.existsSync(served.socket), false, 'socket file removed at once');
    const late = await dockerAt(served.socket)(['version']);
    assert.notEqual(late.code, 0);
    const r = await inflight;
    assert.equal(r.stdout.toString(), 'finished\n', r.stderr);
    assert.equal(await served.exited, 0);
    await served.stop();
  });

  test('TLS listener: a client certificate is required and its CN is the identity', {
    skip: !hasOpenssl && 'openssl not installed',
  }, async () => {
    const tlsDir = path.join(dir, 'tls');
    fs.mkdirSync(tlsDir);
    makeTestCertificates(tlsDir, { client: 'alice-tls' });
    const port = await freeLoopbackPort();
    const t = (f: string) => path.join(tlsDir, f);
    const served = await startServe({
      upstream: daemon.socket,
      args: [
        '--listen',
        `tcp://127.0.0.1:${port}`,
        '--tls-cert',
        t('server.pem'),
        '--tls-key',
        t('server-key.pem'),
        '--tls-ca',
        t('ca.pem'),
      ],
    });
    try {
      const host = `tcp://127.0.0.1:${port}`;
      const withCert = await run('docker', [
        '-H',
        host,
        '--tlsverify',
        '--tlscacert',
        t('ca.pem'),
        '--tlscert',
        t('client.pem'),
        '--tlskey',
        t('client-key.pem'),
        'version',
        '--format',
        '{{.Server.Version}}',
      ]);
      assert.equal(withCert.code, 0, withCert.stderr);
      const noCert = await run(
        'docker',
        ['-H', host, '--tls', '--tlscacert', t('ca.pem'), 'version', '--format', '{{.Server.Version}}'],
        { env: { DOCKER_CERT_PATH: path.join(tlsDir, 'none') } },
      );
      assert.notEqual(noCert.code, 0);
      await new Promise((r) => setTimeout(r, 300));
      const log = fs
        .readFileSync(served.logFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e) => e.msg === 'request');
      assert.ok(log.length > 0 && log.every((e) => e.user === 'alice-tls' && e.uid === null), JSON.stringify(log));
    } finally {
      await served.stop();
    }
  });
});
