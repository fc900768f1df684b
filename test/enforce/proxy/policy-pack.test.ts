// End to end: an ordinary Unix user behind `dockgate serve` with the built-in pack and no
// config cannot reach the host through the Docker API, by the docker CLI or by hand-made
// requests, while ordinary work keeps working.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  canManageUsers,
  createUser,
  dockerAt,
  ensureTestImage,
  ok,
  startServe,
  testDaemon,
  type Daemon,
  type Served,
  type TestUser,
} from '../../harness/index.js';
import { rawExchangeAs } from '../../harness/raw-as-user.js';

describe('built-in policy pack through dockgate serve', {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let daemon: Daemon;
  let served: Served;
  let user: TestUser;
  let home: string;
  let image: string;
  let asUser: ReturnType<typeof dockerAt>;
  let direct: ReturnType<typeof dockerAt>;
  // The same user through a proxy with tenancy off: the pack's own rules, with nothing ahead of them.
  let untenanted: Served;
  let asUserUntenanted: ReturnType<typeof dockerAt>;
  const cleanup: string[] = [];

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666'] });
    user = createUser();
    home = `/home/${user.name}`;
    fs.mkdirSync(path.join(home, 'data'), { recursive: true });
    fs.symlinkSync('/etc', path.join(home, 'etc-link'));
    fs.chownSync(home, user.uid, user.gid);
    fs.chownSync(path.join(home, 'data'), user.uid, user.gid);
    asUser = dockerAt(served.socket, { as: { uid: user.uid, gid: user.gid }, env: { HOME: home } });
    direct = dockerAt(daemon.socket);
    const config = path.join(home, 'no-tenancy.toml');
    fs.writeFileSync(config, '[tenancy]\nenabled = false\n');
    untenanted = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666', '--config', config] });
    asUserUntenanted = dockerAt(untenanted.socket, { as: { uid: user.uid, gid: user.gid }, env: { HOME: home } });
  });

  after(async () => {
    if (cleanup.length) await direct(['rm', '-f', ...cleanup]);
    await direct(['volume', 'rm', '-f', 'dg-etcvol', 'dg-named', 'dg-admin-etc']);
    await served?.stop();
    await untenanted?.stop();
    user?.remove();
    fs.rmSync(home, { recursive: true, force: true });
    await daemon?.stop(); // a daemon of its own when run alone; the shared one stays
  });

  async function upstreamContainers(): Promise<string[]> {
    return (await ok(direct(['ps', '-aq', '--no-trunc']))).stdout.toString().split('\n').filter(Boolean);
  }

  /** Asserts the command is refused by the named rule and creates nothing upstream. */
  async function refused(args: string[], rule: string, also?: RegExp, as = asUser): Promise<string> {
    const before = await upstreamContainers();
    const r = await as(args);
    assert.notEqual(r.code, 0, `${args.join(' ')} must be refused`);
    assert.match(r.stderr, new RegExp(`dockgate: .*${rule}`), `${args.join(' ')}: ${r.stderr}`);
    if (also) assert.match(r.stderr, also);
    assert.deepEqual(await upstreamContainers(), before, `${args.join(' ')} must create no container`);
    return r.stderr;
  }

  test('--privileged is refused with a message naming privileged mode and how to do without it', async () => {
    const stderr = await refused(['create', '--privileged', image, 'true'], 'privileged');
    assert.match(stderr, /privileged mode/);
    assert.match(stderr, /run without --privileged/);
  });

  test('bind mounts of host paths outside the home are refused', async () => {
    await refused(['create', '-v', '/:/host', image, 'true'], 'mounts');
    await refused(['create', '-v', '/etc:/e:ro', image, 'true'], 'mounts');
    await refused(['create', '-v', `${home}/../../etc:/e`, image, 'true'], 'mounts', /resolves to \/etc/);
    await refused(['create', '--mount', 'type=bind,source=/etc,target=/e', image, 'true'], 'mounts');
    await refused(['create', '-v', `${home}/etc-link:/e`, image, 'true'], 'mounts', /resolves to \/etc/);
  });

  test('the docker socket is refused at its usual path and at the upstream socket path', async () => {
    await refused(['create', '-v', '/var/run/docker.sock:/s', image, 'true'], 'mounts');
    await refused(['create', '-v', `${fs.realpathSync(daemon.socket)}:/s`, image, 'true'], 'mounts');
  });

  test('host namespaces are refused', async () => {
    for (const flag of ['--pid=host', '--network=host', '--ipc=host', '--uts=host', '--userns=host']) {
      await refused(['create', flag, image, 'true'], 'host-namespaces');
    }
  });

  test("joining an admin's container (its namespaces, its volumes) is refused: by tenancy, and by the rule without it", async () => {
    const box = (await ok(direct(['create', '--network', 'host', '-v', '/:/host', image, 'true']))).stdout
      .toString()
      .trim();
    try {
      const joins = [
        ['--volumes-from', box],
        ['--network', `container:${box}`],
        ['--pid', `container:${box}`],
        ['--ipc', `container:${box}`],
      ];
      for (const join of joins) {
        const before = await upstreamContainers();
        const r = await asUser(['create', '--pull', 'never', ...join, image, 'true']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /No such container/, "to an ordinary user an admin's container does not exist");
        assert.deepEqual(await upstreamContainers(), before);
      }
      await refused(['create', ...joins[0]!, image, 'true'], 'container-joins', /volumes-from/, asUserUntenanted);
      await refused(['create', ...joins[1]!, image, 'true'], 'container-joins', /network namespace/, asUserUntenanted);
      await refused(['create', ...joins[2]!, image, 'true'], 'container-joins', undefined, asUserUntenanted);
      await refused(['create', ...joins[3]!, image, 'true'], 'container-joins', undefined, asUserUntenanted);
    } finally {
      await direct(['rm', '-f', box]);
    }
  });

  test('added capabilities, devices and weakened confinement are refused', async () => {
    await refused(['create', '--cap-add', 'SYS_ADMIN', image, 'true'], 'capabilities');
    await refused(['create', '--cap-add', 'ALL', image, 'true'], 'capabilities');
    await refused(['create', '--device', '/dev/kmsg', image, 'true'], 'devices');
    await refused(['create', '--device-cgroup-rule', 'a *:* rwm', image, 'true'], 'devices');
    await refused(['create', '--security-opt', 'seccomp=unconfined', image, 'true'], 'security-opts');
    await refused(['create', '--security-opt', 'apparmor=unconfined', image, 'true'], 'security-opts');
  });

  test('a local volume binding /etc is refused at creation, and when an admin made it, at mount (tenancy or rule)', async () => {
    const r = await asUser([
      'volume',
      'create',
      '--driver',
      'local',
      '-o',
      'type=none',
      '-o',
      'o=bind',
      '-o',
      'device=/etc',
      'dg-etcvol',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dockgate: .*mounts/);
    const vols = (await ok(direct(['volume', 'ls', '-q']))).stdout.toString();
    assert.doesNotMatch(vols, /dg-etcvol/);
    await ok(
      direct([
        'volume',
        'create',
        '--driver',
        'local',
        '-o',
        'type=none',
        '-o',
        'o=bind',
        '-o',
        'device=/etc',
        'dg-admin-etc',
      ]),
    );
    // With tenancy the admin's volume is not the user's to mount; without it, the mounts rule sees /etc.
    const r2 = await asUser(['create', '-v', 'dg-admin-etc:/e', image, 'true']);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /in use by another user/);
    await refused(['create', '-v', 'dg-admin-etc:/e', image, 'true'], 'mounts', undefined, asUserUntenanted);
  });

  test('ordinary work still works: plain run, named volume, own home bind, hardened run, exec', async () => {
    const plain = await ok(asUser(['run', '--rm', image, 'echo', 'hello']));
    assert.equal(plain.stdout.toString().trim(), 'hello');
    await ok(asUser(['volume', 'create', 'dg-named']));
    await ok(asUser(['run', '--rm', '-v', 'dg-named:/v', image, 'sh', '-c', 'echo x > /v/f']));
    fs.writeFileSync(path.join(home, 'data', 'in.txt'), 'from-home');
    const bound = await ok(asUser(['run', '--rm', '-v', `${home}/data:/d`, image, 'cat', '/d/in.txt']));
    assert.equal(bound.stdout.toString(), 'from-home');
    const hardened = await ok(
      asUser([
        'run',
        '--rm',
        '--cap-drop',
        'ALL',
        '--read-only',
        '--security-opt',
        'no-new-privileges',
        '--memory',
        '64m',
        image,
        'echo',
        'hard',
      ]),
    );
    assert.equal(hardened.stdout.toString().trim(), 'hard');
    const id = (await ok(asUser(['run', '-d', image, 'sleep', '60']))).stdout.toString().trim();
    cleanup.push(id);
    const ex = await ok(asUser(['exec', id, 'echo', 'inside']));
    assert.equal(ex.stdout.toString().trim(), 'inside');
    await refused(['exec', '--privileged', id, 'true'], 'privileged');
  });

  test('builds: the Dockerfile inside a streamed context is judged, and allowed builds work', async () => {
    const ctx = path.join(home, 'ctx');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nCOPY big.bin /big.bin\nRUN echo built > /built\n`);
    fs.writeFileSync(path.join(ctx, 'big.bin'), Buffer.alloc(8 << 20, 7));
    fs.writeFileSync(path.join(ctx, 'Url.df'), `FROM ${image}\nADD https://example.invalid/x /x\n`);
    fs.writeFileSync(path.join(ctx, 'Insecure.df'), `FROM ${image}\nRUN --security=insecure true\n`);
    for (const f of fs.readdirSync(ctx)) fs.chownSync(path.join(ctx, f), user.uid, user.gid);
    fs.chownSync(ctx, user.uid, user.gid);
    const build = (args: string[]) =>
      asUser(['build', '-q', ...args, ctx], { env: { DOCKER_BUILDKIT: '0', HOME: home } });
    const ok1 = await build(['-t', 'dg-built:1']);
    assert.equal(ok1.code, 0, ok1.stderr);
    const out = await ok(direct(['run', '--rm', 'dg-built:1', 'cat', '/built']));
    assert.equal(out.stdout.toString().trim(), 'built');
    const url = await build(['-f', path.join(ctx, 'Url.df'), '-t', 'dg-built:2']);
    assert.notEqual(url.code, 0);
    assert.match(url.stderr, /dockgate: build: Dockerfile line 2: ADD from a URL/);
    const insecure = await build(['-f', path.join(ctx, 'Insecure.df'), '-t', 'dg-built:3']);
    assert.notEqual(insecure.code, 0);
    assert.match(insecure.stderr, /dockgate: build: Dockerfile line 2: RUN --security=insecure is refused/);
    await direct(['rmi', '-f', 'dg-built:1']);
  });

  describe('hand-made requests', () => {
    const create = (
      body: string,
      opts: { path?: string; headers?: string[]; chunked?: boolean; rawBody?: string } = {},
    ) => {
      const p = opts.path ?? '/v1.41/containers/create';
      const headers = ['Host: docker', 'Content-Type: application/json', ...(opts.headers ?? [])];
      let payload: string;
      if (opts.chunked) {
        headers.push('Transfer-Encoding: chunked');
        const half = Math.floor(body.length / 2);
        payload =
          [body.slice(0, half), body.slice(half)]
            .map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`)
            .join('') + '0\r\n\r\n';
      } else if (opts.rawBody !== undefined) {
        payload = opts.rawBody;
      } else {
        headers.push(`Content-Length: ${Buffer.byteLength(body)}`);
        payload = body;
      }
      return `POST ${p} HTTP/1.1\r\n${headers.join('\r\n')}\r\nConnection: close\r\n\r\n${payload}`;
    };
    const privileged = (hc: string) => `{"Image":"${image}","Cmd":["true"],"HostConfig":${hc}}`;

    async function rawRefused(request: string, label: string): Promise<void> {
      const before = await upstreamContainers();
      const response = (
        await rawExchangeAs(served.socket, Buffer.from(request), { uid: user.uid, gid: user.gid })
      ).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
      assert.ok(status >= 400, `${label}: expected a refusal, got ${response.slice(0, 200)}`);
      assert.doesNotMatch(response, /HTTP\/1\.1 2\d\d/, `${label}: no part of it may succeed`);
      assert.deepEqual(await upstreamContainers(), before, `${label}: no container may appear upstream`);
    }

    // dockgate frames requests exactly as dockerd does: the bytes after a zero-length body are
    // never that body, so the create arrives empty (dockerd refuses it) and the rest is refused too.
    test('privileged create with Content-Length: 0 and the body after it is refused', async () => {
      await rawRefused(
        create('', { headers: ['Content-Length: 0'], rawBody: privileged('{"Privileged":true}') }),
        'CL 0',
      );
    });
    test('privileged create sent chunked is refused', async () => {
      await rawRefused(create(privileged('{"Privileged":true}'), { chunked: true }), 'chunked');
    });
    test('privileged in lower case and duplicate PRIVILEGED keys are refused', async () => {
      await rawRefused(create(privileged('{"privileged":true}')), 'lower case');
      await rawRefused(create(privileged('{"Privileged":false,"PRIVILEGED":true}')), 'duplicate key');
    });
    test('path tricks are refused: //, no version, trailing slash, %2F', async () => {
      const body = privileged('{"Privileged":true}');
      await rawRefused(create(body, { path: '//containers/create' }), '//');
      await rawRefused(create(body, { path: '/containers/create' }), 'no version');
      await rawRefused(create(body, { path: '/v1.41/containers/create/' }), 'trailing slash');
      await rawRefused(create(body, { path: '/v1.41/containers%2Fcreate' }), '%2F');
    });
    test('bodies that cannot be read unambiguously are refused with a clear error, nothing forwarded', async () => {
      const cases: [string, string, RegExp][] = [
        [
          'trailing data',
          privileged('{}') + ' {"HostConfig":{"Privileged":true}}',
          /400 .*unexpected data after the JSON value/s,
        ],
        ['invalid JSON', '{"Image":', /400 .*not valid JSON/s],
        [
          'top-level HostConfig field, judged where dockerd applies it',
          `{"Image":"${image}","Privileged":true}`,
          /403 .*privileged: /s,
        ],
        ['over 2 MiB', `{"Image":"${image}","Labels":{"big":"${'x'.repeat(3 << 20)}"}}`, /413 .*cannot be judged/s],
      ];
      for (const [label, body, expected] of cases) {
        const before = await upstreamContainers();
        const response = (
          await rawExchangeAs(served.socket, Buffer.from(create(body)), { uid: user.uid, gid: user.gid })
        ).toString('latin1');
        assert.match(response, expected, label);
        assert.match(response, /"message":"dockgate: |"message":"request body larger/, label);
        assert.deepEqual(await upstreamContainers(), before, `${label}: no container may appear upstream`);
      }
    });

    test('raw Binds of /etc and raw Devices of /dev/mem are refused', async () => {
      await rawRefused(create(privileged('{"Binds":["/etc:/e"]}')), 'Binds');
      await rawRefused(
        create(
          privileged('{"Devices":[{"PathOnHost":"/dev/mem","PathInContainer":"/dev/mem","CgroupPermissions":"rwm"}]}'),
        ),
        'Devices',
      );
    });
  });
});
