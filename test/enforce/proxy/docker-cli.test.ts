// End to end: the real docker CLI through `dockgate serve` in front of a private dockerd
// behaves exactly as it does against the daemon itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  dockerAt,
  ensureTestImage,
  ok,
  run,
  startServe,
  testDaemon,
  type Daemon,
  type Served,
} from '../../harness/index.js';

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const canRun = process.getuid?.() === 0;

describe('docker CLI through dockgate serve', { skip: !canRun && 'needs root to run dockerd' }, () => {
  let daemon: Daemon;
  let served: Served;
  let docker: ReturnType<typeof dockerAt>;
  let image: string;
  let work: string;
  const containers: string[] = [];

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket });
    docker = dockerAt(served.socket);
    work = fs.mkdtempSync('/tmp/dgw-');
  });

  after(async () => {
    const direct = dockerAt(daemon.socket);
    if (containers.length) await direct(['rm', '-f', ...containers]);
    await served?.stop();
    await daemon?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  async function runDetached(...cmd: string[]): Promise<string> {
    const r = await ok(docker(['run', '-d', image, ...cmd]));
    const id = r.stdout.toString().trim();
    containers.push(id);
    return id;
  }

  test('docker version reaches the daemon through the proxy, and the request is logged', async () => {
    const r = await ok(docker(['version', '--format', '{{.Server.Version}}']));
    assert.match(r.stdout.toString(), /^\d+\.\d+/);
    await new Promise((res) => setTimeout(res, 300)); // the request log is written asynchronously
    const log = fs
      .readFileSync(served.logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const entry = log.find((e) => e.msg === 'request' && /\/version$/.test(e.path));
    assert.ok(entry, 'a log line for GET /version');
    assert.equal(entry.method, 'GET');
    assert.equal(entry.status, 200);
    assert.equal(entry.uid, 0);
    assert.equal(entry.user, 'root');
    assert.equal(entry.decision, 'allow');
    assert.equal(typeof entry.duration, 'number');
  });

  test('run --rm prints the container output', async () => {
    const r = await ok(docker(['run', '--rm', image, 'echo', 'hello from busybox']));
    assert.equal(r.stdout.toString(), 'hello from busybox\n');
  });

  test('run -i delivers 5 MB of stdin intact and sees EOF', async () => {
    const data = crypto.randomBytes(5 * 1024 * 1024);
    const r = await ok(docker(['run', '--rm', '-i', image, 'md5sum'], { input: data }));
    assert.equal(r.stdout.toString().split(' ')[0], md5(data));
  });

  test('wait returns the exit code of the container', async () => {
    const id = await runDetached('sh', '-c', 'exit 7');
    const r = await ok(docker(['wait', id]));
    assert.equal(r.stdout.toString().trim(), '7');
  });

  test('run -d, exec, and exec -i with 20 MB of random stdin (same md5 inside)', async () => {
    const id = await runDetached('sleep', '300');
    const e = await ok(docker(['exec', id, 'echo', 'inside']));
    assert.equal(e.stdout.toString(), 'inside\n');
    const data = crypto.randomBytes(20 * 1024 * 1024);
    const r = await ok(docker(['exec', '-i', id, 'md5sum'], { input: data }));
    assert.equal(r.stdout.toString().split(' ')[0], md5(data));
    // Output written after stdin closed still arrives (half-close, not full close).
    const late = await ok(
      docker(['exec', '-i', id, 'sh', '-c', 'cat >/dev/null; sleep 0.5; echo after-eof'], { input: Buffer.from('x') }),
    );
    assert.equal(late.stdout.toString(), 'after-eof\n');
  });

  test('run -it and exec -it on a terminal: output, typed input and exit codes come through', async () => {
    // `script` gives the docker CLI a terminal: a TTY attach is one raw stream, not multiplexed.
    const onTerminal = (command: string, input = '') =>
      run('script', ['-qec', command, '/dev/null'], {
        env: { DOCKER_HOST: `unix://${served.socket}` },
        input: Buffer.from(input),
      });
    const ran = await onTerminal(`docker run -it --rm ${image} sh -c 'echo hello-tty; exit 3'`);
    assert.equal(ran.code, 3, ran.stderr);
    assert.match(ran.stdout.toString(), /hello-tty\r\n/);
    const id = await runDetached('sleep', '300');
    const execd = await onTerminal(`docker exec -it ${id} sh -c 'tty; exit 5'`);
    assert.equal(execd.code, 5, execd.stderr);
    assert.match(execd.stdout.toString(), /\/dev\/pts\/\d+\r\n/);
    // What is typed reaches the shell in the container, and its answer comes back.
    const typed = await onTerminal(`docker exec -it ${id} sh`, 'echo typed-$((6*7))\nexit 7\n');
    assert.equal(typed.code, 7, typed.stderr);
    assert.match(typed.stdout.toString(), /typed-42\r\n/);
  });

  test('cp a 20 MB file in and out (same md5)', async () => {
    const id = await runDetached('sleep', '300');
    const data = crypto.randomBytes(20 * 1024 * 1024);
    const src = path.join(work, 'in.bin');
    fs.writeFileSync(src, data);
    await ok(docker(['cp', src, `${id}:/tmp/in.bin`]));
    const inside = await ok(docker(['exec', id, 'md5sum', '/tmp/in.bin']));
    assert.equal(inside.stdout.toString().split(' ')[0], md5(data));
    const out = path.join(work, 'out.bin');
    await ok(docker(['cp', `${id}:/tmp/in.bin`, out]));
    assert.equal(md5(fs.readFileSync(out)), md5(data));
  });

  test('logs -f streams lines as they are written, not when the container ends', async () => {
    const id = await runDetached('sh', '-c', 'echo first; sleep 4; echo second');
    const started = Date.now();
    const child = spawn('docker', ['logs', '-f', id], {
      env: { ...process.env, DOCKER_HOST: `unix://${served.socket}` },
    });
    let out = '';
    const firstAt = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d.toString();
        if (out.includes('first')) resolve(Date.now() - started);
      });
      child.on('error', reject);
    });
    assert.ok(firstAt < 3000, `first line arrived after ${firstAt} ms: it was held back`);
    assert.ok(!out.includes('second'));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(out, 'first\nsecond\n');
  });

  test('export streams the container filesystem as a tar', async () => {
    const id = await runDetached('sleep', '300');
    const file = path.join(work, 'export.tar');
    await ok(docker(['export', '-o', file, id]));
    const list = await ok(run('tar', ['-tf', file]));
    assert.match(list.stdout.toString(), /^\.?\/?bin\/busybox$/m);
  });

  test('save | load round-trips an image', async () => {
    const tag = `dockgate-test/saved:${crypto.randomBytes(3).toString('hex')}`;
    await ok(docker(['tag', image, tag]));
    const saved = await ok(docker(['save', tag]));
    assert.ok(saved.stdout.length > 500_000, 'the image tar holds busybox');
    await ok(docker(['rmi', tag]));
    assert.notEqual((await docker(['image', 'inspect', tag])).code, 0);
    const loaded = await ok(docker(['load'], { input: saved.stdout }));
    assert.match(loaded.stdout.toString(), new RegExp(`Loaded image: ${tag}`));
    await ok(docker(['image', 'inspect', tag]));
    await ok(docker(['rmi', tag]));
  });

  test('classic build sends the context and runs the Dockerfile', async () => {
    const ctx = path.join(work, 'ctx');
    fs.mkdirSync(ctx);
    const data = crypto.randomBytes(3 * 1024 * 1024);
    fs.writeFileSync(path.join(ctx, 'data.bin'), data);
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      `FROM ${image}\nCOPY data.bin /data.bin\nRUN md5sum /data.bin > /sum\n`,
    );
    const tag = `dockgate-test/built:${crypto.randomBytes(3).toString('hex')}`;
    await ok(docker(['build', '-t', tag, ctx], { env: { DOCKER_BUILDKIT: '0' } }));
    const r = await ok(docker(['run', '--rm', tag, 'cat', '/sum']));
    assert.equal(r.stdout.toString().split(' ')[0], md5(data));
    await ok(docker(['rmi', tag]));
  });

  test('volume create, use from two containers, rm; events --since/--until report them', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = `dgv${crypto.randomBytes(3).toString('hex')}`;
    await ok(docker(['volume', 'create', name]));
    await ok(docker(['run', '--rm', '-v', `${name}:/data`, image, 'sh', '-c', 'echo kept > /data/x']));
    const r = await ok(docker(['run', '--rm', '-v', `${name}:/data`, image, 'cat', '/data/x']));
    assert.equal(r.stdout.toString(), 'kept\n');
    await ok(docker(['volume', 'rm', name]));
    const until = Math.floor(Date.now() / 1000) + 1;
    await new Promise((res) => setTimeout(res, 1100)); // --until must be in the past for events to return
    const ev = await ok(
      docker([
        'events',
        '--since',
        String(since),
        '--until',
        String(until),
        '--filter',
        'type=volume',
        '--format',
        '{{.Action}} {{.Actor.ID}}',
      ]),
    );
    const lines = ev.stdout.toString().trim().split('\n');
    assert.ok(lines.includes(`create ${name}`), ev.stdout.toString());
    assert.ok(lines.includes(`destroy ${name}`), ev.stdout.toString());
  });
});
