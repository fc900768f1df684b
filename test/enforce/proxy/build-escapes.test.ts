// End to end: the ways around the build rule, tried as an ordinary user through `dockgate
// serve` (built-in pack, no config) against the real daemon, and judged by their effect. ADD
// from a URL is fetched by dockerd itself, which reaches the host's loopback: a tiny HTTP
// server there counts every request, and a refused build must leave it untouched. BuildKit's
// /grpc and /session must be refused before the daemon sees them. Plain builds keep working,
// and an admin keeps every right.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tar from 'tar-stream';
import {
  canManageUsers,
  createUser,
  dockerAt,
  ensureTestImage,
  ok,
  run,
  startServe,
  testDaemon,
  type Daemon,
  type Served,
  type TestUser,
} from '../../harness/index.js';
import { rawExchangeAs } from '../../harness/raw-as-user.js';

type Entry = { name: string; body?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string };

/** A tar with tar-stream's own end-of-archive marker; `after` entries come behind it. */
async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory' });
    else pack.entry({ name: e.name }, e.body ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function response(raw: Buffer): { status: number; text: string } {
  const text = raw.toString('latin1');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return { status: m ? Number(m[1]) : 0, text };
}

describe('builds cannot get around the build rule', {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let daemon: Daemon;
  let served: Served;
  let user: TestUser;
  let home: string;
  let image: string;
  let asUser: ReturnType<typeof dockerAt>;
  let asRoot: ReturnType<typeof dockerAt>;
  let direct: ReturnType<typeof dockerAt>;
  let server: http.Server;
  let port: number;
  const hits: string[] = [];
  const images: string[] = [];
  const containers: string[] = [];

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666'] });
    user = createUser();
    home = `/home/${user.name}`;
    fs.mkdirSync(home, { recursive: true });
    fs.chownSync(home, user.uid, user.gid);
    asUser = dockerAt(served.socket, {
      as: { uid: user.uid, gid: user.gid },
      env: { HOME: home, DOCKER_BUILDKIT: '0' },
    });
    asRoot = dockerAt(served.socket, { env: { DOCKER_BUILDKIT: '0' } });
    direct = dockerAt(daemon.socket);
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('fetched\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    if (containers.length) await direct(['rm', '-f', ...containers]);
    if (images.length) await direct(['rmi', '-f', ...images]);
    await new Promise<void>((r) => server?.close(() => r()));
    await served?.stop();
    user?.remove();
    fs.rmSync(home, { recursive: true, force: true });
    await daemon?.stop();
  });

  const url = (what: string) => `http://127.0.0.1:${port}/${what}`;

  let contexts = 0;
  /**
   * POST /build with a hand-made context, as the user, with curl: it keeps its side of the
   * connection open until the answer ends (a client that half-closes makes dockerd cancel the
   * build before it would run, which would prove nothing).
   */
  async function buildAsUser(
    context: Buffer,
    query = '',
    contentType = 'application/x-tar',
  ): Promise<{ status: number; text: string }> {
    const file = path.join(home, `context-${++contexts}.tar`);
    fs.writeFileSync(file, context, { mode: 0o644 });
    const r = await run(
      'curl',
      [
        '-sS',
        '-i',
        '--unix-socket',
        served.socket,
        '-X',
        'POST',
        '--data-binary',
        `@${file}`,
        '-H',
        `Content-Type: ${contentType}`,
        '-H',
        'Expect:',
        `http://docker/v1.41/build?t=dg-escape${query ? `&${query}` : ''}`,
      ],
      { as: { uid: user.uid, gid: user.gid }, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    return response(r.stdout);
  }

  /** The build is refused by the build rule, and dockerd fetched nothing. */
  async function refusedWithoutFetch(r: { status: number; text: string }, message: RegExp): Promise<void> {
    assert.ok(r.status === 403 || r.status === 400, `expected a refusal, got: ${r.text.slice(0, 400)}`);
    assert.match(r.text, message);
    assert.deepEqual(hits, [], 'dockerd fetched a URL for a build that must not have run');
  }

  test('ARG default, --build-arg, quoted and JSON-form URLs in ADD fetch nothing', async () => {
    await refusedWithoutFetch(
      await buildAsUser(
        await makeTar([{ name: 'Dockerfile', body: `FROM ${image}\nARG U=${url('arg')}\nADD $U /x\n` }]),
      ),
      /dockgate: build: Dockerfile line 3: ADD from a URL/,
    );
    const withArg = await makeTar([
      { name: 'Dockerfile', body: `FROM ${image}\nARG SRC=local.txt\nADD \${SRC} /x\n` },
      { name: 'local.txt', body: 'x' },
    ]);
    await refusedWithoutFetch(
      await buildAsUser(withArg, `buildargs=${encodeURIComponent(JSON.stringify({ SRC: url('build-arg') }))}`),
      /ADD from a URL/,
    );
    await refusedWithoutFetch(
      await buildAsUser(await makeTar([{ name: 'Dockerfile', body: `FROM ${image}\nADD "${url('quoted')}" /x\n` }])),
      /ADD from a URL/,
    );
    await refusedWithoutFetch(
      await buildAsUser(await makeTar([{ name: 'Dockerfile', body: `FROM ${image}\nADD ["${url('json')}", "/x"]\n` }])),
      /ADD from a URL/,
    );
    // dockerd reads flags byte by byte: the second byte of "à" (0xA0) is a space to it.
    const flagSplit = await makeTar([
      { name: 'Dockerfile', body: `FROM ${image}\nADD --chown=à${url('flag-split')} a.txt /y/\n` },
      { name: 'a.txt', body: 'a' },
    ]);
    await refusedWithoutFetch(await buildAsUser(flagSplit), /ADD from a URL/);
  });

  test('ENV and ONBUILD triggers of the base image are judged', async () => {
    const box = (await ok(direct(['create', image, 'true']))).stdout.toString().trim();
    containers.push(box);
    await ok(direct(['commit', '--change', `ENV U=${url('base-env')}`, box, 'dg-envbase:1']));
    await ok(direct(['commit', '--change', `ONBUILD ADD ${url('onbuild')} /x`, box, 'dg-onbuild:1']));
    images.push('dg-envbase:1', 'dg-onbuild:1');
    await refusedWithoutFetch(
      await buildAsUser(await makeTar([{ name: 'Dockerfile', body: 'FROM dg-envbase:1\nADD $U /x\n' }])),
      /ADD from a URL/,
    );
    await refusedWithoutFetch(
      await buildAsUser(await makeTar([{ name: 'Dockerfile', body: 'FROM dg-onbuild:1\nRUN true\n' }])),
      /ONBUILD trigger of dg-onbuild:1 \(run after line 1\): ADD from a URL/,
    );
    // FROM $VAR is substituted before the look-up; an image the daemon lacks is refused.
    await refusedWithoutFetch(
      await buildAsUser(await makeTar([{ name: 'Dockerfile', body: 'ARG B=dg-onbuild:1\nFROM $B\n' }])),
      /ONBUILD trigger/,
    );
    await refusedWithoutFetch(
      await buildAsUser(await makeTar([{ name: 'Dockerfile', body: 'FROM dg-not-here:1\n' }])),
      /not present at the daemon.*docker pull dg-not-here:1 first/,
    );
  });

  test("FROM an earlier stage cannot pick up a cached image's ONBUILD triggers", async () => {
    // The build cache matches a step by the config of the container that made an image: a
    // committed image whose container looked like the step "ENV A=1" on the test image, but
    // whose own config carries an ONBUILD trigger, stands in for that step.
    const base = JSON.parse((await ok(direct(['image', 'inspect', image]))).stdout.toString())[0] as {
      Id: string;
      Config: { Env: string[] | null } | null;
    };
    const env = [...(base.Config?.Env ?? [])];
    if (!env.some((e) => e.startsWith('PATH=')))
      env.push('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    env.push('A=1');
    const created = await run('curl', [
      '-sS',
      '--unix-socket',
      daemon.socket,
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({
        Image: base.Id,
        Env: env,
        Cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV A=1'],
        AttachStdout: false,
        AttachStderr: false,
      }),
      'http://docker/v1.41/containers/create',
    ]);
    const box = (JSON.parse(created.stdout.toString()) as { Id: string }).Id;
    containers.push(box);
    await ok(direct(['commit', '--change', `ONBUILD ADD ${url('cache-poison')} /x`, box, 'dg-poison:1']));
    images.push('dg-poison:1');
    const ctx = await makeTar([{ name: 'Dockerfile', body: `FROM ${image} AS one\nENV A=1\nFROM one\nRUN true\n` }]);
    await refusedWithoutFetch(await buildAsUser(ctx), /FROM the earlier stage one is refused with the build cache on/);
    // Without the cache the stage is what the plan says, and the build runs.
    const r = await buildAsUser(ctx, 'nocache=1');
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /Successfully built/);
    assert.deepEqual(hits, []);
  });

  test('the Dockerfile before the end-of-archive marker is the one judged', async () => {
    const built = await makeTar([{ name: 'Dockerfile', body: `FROM ${image}\nADD ${url('before-marker')} /x\n` }]);
    const decoy = await makeTar([{ name: 'Dockerfile', body: `FROM ${image}\nRUN true\n` }]);
    await refusedWithoutFetch(await buildAsUser(Buffer.concat([built, decoy])), /ADD from a URL/);
  });

  test('a directory on the Dockerfile path swapped for a symlink: the Dockerfile it leads to is judged', async () => {
    const ctx = await makeTar([
      { name: 'app', type: 'directory' },
      { name: 'app/Dockerfile', body: `FROM ${image}\nRUN true\n` },
      { name: 'evil', type: 'directory' },
      { name: 'evil/Dockerfile', body: `FROM ${image}\nADD ${url('symlink-swap')} /x\n` },
      { name: 'app', type: 'symlink', linkname: 'evil' },
    ]);
    await refusedWithoutFetch(await buildAsUser(ctx, 'dockerfile=app%2FDockerfile'), /ADD from a URL/);
  });

  test('a form body cannot carry build parameters the query did not show', async () => {
    // dockerd's FormValue parses an urlencoded body and prefers it to the query. The first
    // bytes of the body are already buffered by the build handler, so the form reads on from
    // there: past the first entry, this tar's second entry name reads as `remote=URL`, and the
    // daemon would fetch its context from that URL.
    const ctx = await makeTar([
      { name: 'padding', body: 'a'.repeat(10_000) },
      { name: `x&remote=${url('form-remote')}&y`, body: '' },
      { name: 'Dockerfile', body: `FROM ${image}\nRUN true\n` },
    ]);
    await refusedWithoutFetch(await buildAsUser(ctx, '', 'application/x-www-form-urlencoded'), /Content-Type/);
  });

  test("a build cannot join an admin's host-network container, nor pull, nor pass unknown parameters", async () => {
    const hostBox = (await ok(direct(['run', '-d', '--network', 'host', image, 'sleep', '60']))).stdout
      .toString()
      .trim();
    containers.push(hostBox);
    // In the host's network namespace, the build's RUN would reach the loopback server.
    const ctx = await makeTar([
      { name: 'Dockerfile', body: `FROM ${image}\nRUN wget -q -O- ${url('container-network')} || true\n` },
    ]);
    await refusedWithoutFetch(
      await buildAsUser(ctx, `networkmode=container:${hostBox}`),
      /--network=container:.* is refused/,
    );
    await refusedWithoutFetch(await buildAsUser(ctx, 'networkmode=host'), /--network=host is refused/);
    await refusedWithoutFetch(await buildAsUser(ctx, 'pull=1'), /--pull is refused.*docker pull IMAGE first/);
    await refusedWithoutFetch(
      await buildAsUser(ctx, 'securityopt=seccomp%3Dunconfined'),
      /securityopt.{0,2} is not one dockgate judges/,
    );
  });

  test("BuildKit's /grpc and /session are refused before they reach the daemon; admins keep them", async () => {
    for (const p of ['/grpc', '/session', '/v1.41/session']) {
      const req = Buffer.from(
        `POST ${p} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nX-Docker-Expose-Session-Uuid: dg\r\nContent-Length: 0\r\n\r\n`,
        'latin1',
      );
      const r = response(await rawExchangeAs(served.socket, req, { uid: user.uid, gid: user.gid }, 5_000));
      // A 101 would be the daemon's answer; the proxy's refusal means nothing was forwarded.
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, /dockgate: build: BuildKit builds \(POST \/(grpc|session)\) are refused/);
      assert.match(r.text, /DOCKER_BUILDKIT=0/);
    }
    const admin = response(
      await rawExchangeAs(
        served.socket,
        Buffer.from(
          'POST /session HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nX-Docker-Expose-Session-Uuid: dg\r\nContent-Length: 0\r\n\r\n',
          'latin1',
        ),
        { uid: 0, gid: 0 },
        2_000,
      ),
    );
    assert.equal(admin.status, 101, admin.text);
  });

  test('plain builds keep working for the user, and an admin still builds with --network host', async () => {
    const ctx = path.join(home, 'plain');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      `FROM ${image}\nARG GREETING=hello\nENV WHO=user\nCOPY greeting.txt /greeting.txt\nRUN echo "$GREETING $WHO" > /built\n`,
    );
    fs.writeFileSync(path.join(ctx, 'greeting.txt'), 'hi\n');
    for (const f of ['', 'Dockerfile', 'greeting.txt']) fs.chownSync(path.join(ctx, f), user.uid, user.gid);
    images.push('dg-plain:1', 'dg-admin:1');
    const built = await asUser(['build', '-q', '-t', 'dg-plain:1', ctx]);
    assert.equal(built.code, 0, built.stderr);
    assert.equal(
      (await ok(direct(['run', '--rm', 'dg-plain:1', 'cat', '/built', '/greeting.txt']))).stdout.toString(),
      'hello user\nhi\n',
    );
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nRUN wget -q -O /fetched ${url('admin')}\n`);
    const admin = await asRoot(['build', '-q', '--network', 'host', '-t', 'dg-admin:1', ctx]);
    assert.equal(admin.code, 0, admin.stderr);
    assert.deepEqual(hits, ['/admin'], 'the admin build ran in the host network');
    hits.length = 0;
  });
});
