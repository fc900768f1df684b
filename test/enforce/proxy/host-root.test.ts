// End to end, issue 14: an ordinary Unix user behind `dockgate serve` (built-in pack, default
// config) against the real daemon cannot become root on the host nor reach host files they could
// not reach anyway. Every test is judged by its EFFECT (files on the host, the daemon's state,
// what a fake plugin received); the refusal message is only checked loosely.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
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
  type RunResult,
  type Served,
  type TestUser,
} from '../../harness/index.js';
import { rawExchangeAs } from '../../harness/raw-as-user.js';
import { burstAs } from '../../harness/user-burst.js';

const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

/** A tar with one entry, as `docker cp` would send it. */
async function tarOf(
  entry: { name: string; mode: number; uid: number; gid: number },
  content: Buffer,
): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ ...entry, size: content.length, type: 'file' }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

interface Plugin {
  requests: string[];
  close(): Promise<void>;
}

/**
 * A fake Docker plugin on a Unix socket (the one an ordinary user can serve in their home):
 * activates as whatever it is asked to implement and answers every volume call with
 * Mountpoint "/". Records every request dockerd sends it.
 */
async function fakePlugin(socket: string, owner: { uid: number; gid: number }): Promise<Plugin> {
  const requests: string[] = [];
  const answers: Record<string, unknown> = {
    '/Plugin.Activate': { Implements: ['VolumeDriver', 'LogDriver', 'NetworkDriver', 'IpamDriver'] },
    '/VolumeDriver.Get': { Volume: { Name: 'v', Mountpoint: '/' } },
    '/VolumeDriver.List': { Volumes: [] },
    '/VolumeDriver.Path': { Mountpoint: '/' },
    '/VolumeDriver.Mount': { Mountpoint: '/' },
    '/VolumeDriver.Capabilities': { Capabilities: { Scope: 'local' } },
    '/NetworkDriver.GetCapabilities': { Scope: 'local' },
    '/IpamDriver.GetDefaultAddressSpaces': { LocalDefaultAddressSpace: 'l', GlobalDefaultAddressSpace: 'g' },
  };
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/vnd.docker.plugins.v1.2+json');
      res.end(JSON.stringify(answers[req.url ?? ''] ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  fs.chownSync(socket, owner.uid, owner.gid);
  return {
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        setTimeout(resolve, 200);
      }),
  };
}

interface RawAnswer {
  status: number;
  head: string;
  /** Everything after the first head. */
  rest: Buffer;
  text: string;
}

function parseAnswer(data: Buffer): RawAnswer {
  const end = data.indexOf('\r\n\r\n');
  const head = end < 0 ? data.toString('latin1') : data.subarray(0, end).toString('latin1');
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
    head,
    rest: end < 0 ? Buffer.alloc(0) : data.subarray(end + 4),
    text: data.toString('latin1'),
  };
}

describe('issue 14: no road to host root for an ordinary user (built-in pack, default config)', {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let daemon: Daemon;
  let served: Served;
  let user: TestUser;
  let home: string;
  let image: string;
  let asUser: ReturnType<typeof dockerAt>;
  let direct: ReturnType<typeof dockerAt>;
  let hostShadowFirstLine: string;
  const tag = crypto.randomBytes(3).toString('hex');
  const containers: string[] = [];
  const volumes: string[] = [];
  const networks: string[] = [];
  const hostFiles: string[] = [];
  const plugins: Plugin[] = [];

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666'] });
    user = createUser();
    home = `/home/${user.name}`;
    fs.mkdirSync(home, { recursive: true });
    fs.chownSync(home, user.uid, user.gid);
    fs.chmodSync(home, 0o755);
    asUser = dockerAt(served.socket, { as: { uid: user.uid, gid: user.gid }, env: { HOME: home } });
    direct = dockerAt(daemon.socket);
    hostShadowFirstLine = fs.readFileSync('/etc/shadow', 'utf8').split('\n')[0]!;
    assert.ok(hostShadowFirstLine.length > 3, 'the host has an /etc/shadow to protect');
  });

  after(async () => {
    // Every step runs whatever failed before it: a step that throws must not leave the daemon,
    // the proxy or the user behind.
    const step = async (what: string, f: () => unknown) => {
      try {
        await f();
      } catch (err) {
        process.stderr.write(`host-root cleanup (${what}): ${(err as Error).message}\n`);
      }
    };
    await step('containers', async () => {
      if (containers.length) await direct(['rm', '-f', '-v', ...containers]);
      // Anything else this test's user left behind (refusals that were not refused, compose).
      const left = (await direct(['ps', '-aq', '--no-trunc', '--filter', `name=dgh${tag}`])).stdout
        .toString()
        .split('\n')
        .filter(Boolean);
      if (left.length) await direct(['rm', '-f', '-v', ...left]);
    });
    await step('volumes', async () => {
      if (volumes.length) await direct(['volume', 'rm', '-f', ...volumes]);
    });
    for (const n of networks) await step(`network ${n}`, () => direct(['network', 'rm', n]));
    for (const p of plugins) await step('plugin', () => p.close());
    for (const f of hostFiles) await step(f, () => fs.rmSync(f, { force: true, recursive: true }));
    await step('serve', () => served?.stop());
    await step('user', () => user?.remove());
    await step('home', () => home && fs.rmSync(home, { recursive: true, force: true }));
    await step('daemon', () => daemon?.stop());
  });

  const name = (what: string) => `dgh${tag}-${what}`;
  /** A directory in the home, owned by the user. */
  function userDir(rel: string): string {
    const dir = path.join(home, rel);
    fs.mkdirSync(dir, { recursive: true });
    fs.chownSync(dir, user.uid, user.gid);
    return dir;
  }
  const diskGid = () => Number(/^disk:x:(\d+):/m.exec(fs.readFileSync('/etc/group', 'utf8'))?.[1] ?? 6);
  function userGids(): Set<number> {
    const out = spawnSync('id', ['-G', user.name], { encoding: 'utf8' }).stdout.trim().split(/\s+/).map(Number);
    return new Set([user.gid, ...out]);
  }

  /**
   * Every file under `dir` (lstat, symlinks not followed) that is setuid to a uid other than the
   * user's, or setgid to a group the user is not in: running it on the host gives more than the
   * user has.
   */
  function escalatingFiles(dir: string): string[] {
    return escalating(dir).map((e) => `${e.path}: ${e.why}`);
  }
  function escalating(dir: string): Array<{ path: string; why: string }> {
    const gids = userGids();
    const found: Array<{ path: string; why: string }> = [];
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d)) {
        const p = path.join(d, entry);
        const st = fs.lstatSync(p);
        if (st.isDirectory()) walk(p);
        if (st.isSymbolicLink()) continue;
        if (st.mode & 0o4000 && st.uid !== user.uid)
          found.push({ path: p, why: `setuid to uid ${st.uid} (mode ${(st.mode & 0o7777).toString(8)})` });
        if (st.mode & 0o2000 && !st.isDirectory() && !gids.has(st.gid))
          found.push({ path: p, why: `setgid to gid ${st.gid} (mode ${(st.mode & 0o7777).toString(8)})` });
      }
    };
    walk(dir);
    return found;
  }

  /** GET from the daemon itself (not through the proxy), parsed; null on 404. */
  // biome-ignore lint/suspicious/noExplicitAny: inspect JSON from the daemon, read field by field
  function daemonGet(target: string): Promise<any> {
    return new Promise((resolve, reject) => {
      const req = http.get({ socketPath: daemon.socket, path: target, headers: { Host: 'docker' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (res.statusCode === 404) resolve(null);
          else if (res.statusCode !== 200) reject(new Error(`GET ${target}: ${res.statusCode} ${body}`));
          else resolve(JSON.parse(body));
        });
      });
      req.on('error', reject);
    });
  }

  async function upstreamState(): Promise<string> {
    const [ps, vols, nets] = await Promise.all([
      daemonGet('/containers/json?all=1'),
      daemonGet('/volumes'),
      daemonGet('/networks'),
    ]);
    return JSON.stringify({
      containers: (ps as Array<{ Id: string }>).map((c) => c.Id).sort(),
      volumes: ((vols.Volumes ?? []) as Array<{ Name: string }>).map((v) => v.Name).sort(),
      networks: (nets as Array<{ Id: string }>).map((n) => n.Id).sort(),
    });
  }

  /**
   * The docker command is refused by dockgate and leaves no container, volume or network behind.
   * `effect`, when given, checks the command's effect first (what a plugin received, host files).
   */
  async function refused(
    args: string[],
    label: string,
    rule?: string,
    effect?: (r: RunResult) => void,
  ): Promise<RunResult> {
    const before = await upstreamState();
    const r = await asUser(args, { timeoutMs: 40_000 });
    effect?.(r);
    assert.deepEqual(
      await upstreamState(),
      before,
      `${label}: must create nothing at the daemon (stderr: ${r.stderr.trim()})`,
    );
    assert.notEqual(r.code, 0, `${label}: must be refused`);
    assert.match(r.stderr, rule ? new RegExp(`dockgate: .*${rule}`) : /dockgate: /, `${label}: ${r.stderr.trim()}`);
    return r;
  }

  async function rawAs(request: Buffer | string): Promise<RawAnswer> {
    const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
    return parseAnswer(await rawExchangeAs(served.socket, bytes, { uid: user.uid, gid: user.gid }, 20_000));
  }

  function jsonRequest(method: string, target: string, body: unknown, extra: string[] = []): Buffer {
    const json = Buffer.from(JSON.stringify(body));
    return Buffer.concat([
      Buffer.from(
        `${method} ${target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n${extra.join('')}Connection: close\r\n\r\n`,
      ),
      json,
    ]);
  }

  /** A raw request the proxy must refuse, leaving the daemon's containers, volumes and networks as they were. */
  async function rawRefused(request: Buffer, label: string, effect?: (a: RawAnswer) => void): Promise<RawAnswer> {
    const before = await upstreamState();
    const a = await rawAs(request);
    effect?.(a);
    assert.deepEqual(
      await upstreamState(),
      before,
      `${label}: must create nothing at the daemon (answer: ${a.text.slice(0, 300)})`,
    );
    assert.ok(a.status >= 400, `${label}: expected a refusal, got ${a.text.slice(0, 300)}`);
    assert.match(a.text, /dockgate: /, label);
    return a;
  }

  // biome-ignore lint/suspicious/noExplicitAny: inspect JSON from the daemon, read field by field
  async function inspect(id: string): Promise<any> {
    const c = await daemonGet(`/containers/${encodeURIComponent(id)}/json`);
    assert.ok(c, `no container ${id} at the daemon`);
    return c;
  }
  const exists = async (id: string): Promise<boolean> =>
    (await daemonGet(`/containers/${encodeURIComponent(id)}/json`)) !== null;

  // biome-ignore lint/suspicious/noExplicitAny: inspect JSON from the daemon, read field by field
  function assertRunsAsCaller(c: any, label: string): void {
    assert.equal(c.Config.User, `${user.uid}:${user.gid}`, `${label}: Config.User must be the caller's UID:GID`);
    const opts: string[] = c.HostConfig.SecurityOpt ?? [];
    assert.ok(
      opts.some((o) => /^no-new-privileges([:=]true)?$/.test(o)),
      `${label}: no-new-privileges must be set, SecurityOpt is ${JSON.stringify(opts)}`,
    );
    assert.ok(
      !opts.some((o) => /^no-new-privileges[:=](false|0|f)/i.test(o)),
      `${label}: no-new-privileges must not be switched off again: ${JSON.stringify(opts)}`,
    );
  }

  const setuidScript = (file: string) =>
    `cp /bin/busybox /h/${file}; chown 0:0 /h/${file}; chmod 4755 /h/${file}; true`;

  describe('finding 1: root in a container + a host path must not give root on the host', () => {
    // Each test starts with no escalating file in the home, so it sees only what it made.
    beforeEach(() => {
      for (const e of escalating(home)) fs.rmSync(e.path, { force: true });
    });

    /** Local volumes the user may create today: each binds their own home. */
    const homeVolume = async (what: string): Promise<string> => {
      const vol = name(what);
      volumes.push(vol);
      await ok(asUser(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${home}`, vol]));
      return vol;
    };
    const mounts: Array<[string, () => Promise<string[]>]> = [
      ['-v $HOME:/h', async () => ['-v', `${home}:/h`]],
      ['--mount type=bind,source=$HOME', async () => ['--mount', `type=bind,source=${home},target=/h`]],
      ['-v VOL:/h of a local volume with o=bind,device=$HOME', async () => ['-v', `${await homeVolume('hv1')}:/h`]],
      [
        '--mount type=volume of a local volume with o=bind,device=$HOME',
        async () => ['--mount', `type=volume,source=${await homeVolume('hv2')},target=/h`],
      ],
      [
        '--mount type=volume with inline volume-opt o=bind,device=$HOME',
        async () => [
          '--mount',
          `type=volume,target=/h,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=${home}`,
        ],
      ],
    ];

    mounts.forEach(([label, mount], i) => {
      test(`1a: ${label}: container root cannot leave a setuid-root file in the home; the container runs as UID:GID with no-new-privileges`, async () => {
        const cname = name(`1a-${i}`);
        containers.push(cname);
        const r = await asUser(
          ['run', '--name', cname, ...(await mount()), image, 'sh', '-c', setuidScript(`sh${i}`)],
          { timeoutMs: 40_000 },
        );
        assert.deepEqual(
          escalatingFiles(home),
          [],
          `${label}: the container left a file in the home that runs with more than the user has (run: exit ${r.code} ${r.stderr.trim()})`,
        );
        assert.ok(await exists(cname), `${label}: an ordinary bind must still run (${r.stderr.trim()})`);
        assertRunsAsCaller(await inspect(cname), label);
      });
    });

    const users: Array<[string, () => string]> = [
      ['0', () => '0'],
      ['root', () => 'root'],
      ['0:0', () => '0:0'],
      ['UID:0', () => `${user.uid}:0`],
      ['65534 (another uid)', () => '65534'],
      ['nobody (another name)', () => 'nobody'],
    ];
    users.forEach(([ulabel, u], i) => {
      test(`1a: --user ${ulabel} with -v $HOME:/h is refused (run-as-caller) and creates nothing`, async () => {
        await refused(
          [
            'run',
            '--name',
            name(`1a-user${i}`),
            '--user',
            u(),
            '-v',
            `${home}:/h`,
            image,
            'sh',
            '-c',
            setuidScript('sh-user'),
          ],
          `--user ${ulabel}`,
          'run-as-caller',
          (r) =>
            assert.deepEqual(
              escalatingFiles(home),
              [],
              `--user ${ulabel}: the container left a setuid file in the home (exit ${r.code} ${r.stderr.trim()})`,
            ),
        );
      });
    });
    mounts.slice(1).forEach(([label, mount], i) => {
      const u = ['0', 'root', '0:0', 'root:root'][i]!;
      test(`1a: --user ${u} with ${label} is refused (run-as-caller) and creates nothing`, async () => {
        const args = [
          'run',
          '--name',
          name(`1a-muser${i}`),
          '--user',
          u,
          ...(await mount()),
          image,
          'sh',
          '-c',
          setuidScript('sh-user'),
        ];
        await refused(args, `--user ${u} ${label}`, 'run-as-caller', (r) =>
          assert.deepEqual(
            escalatingFiles(home),
            [],
            `--user ${u} ${label}: the container left a setuid file in the home (exit ${r.code} ${r.stderr.trim()})`,
          ),
        );
      });
    });

    test("1a: --user UID:GID (the caller's own, explicit) with -v $HOME:/h works and runs as the caller", async () => {
      const own = name('1a-own');
      containers.push(own);
      const r = await ok(
        asUser(['run', '--name', own, '--user', `${user.uid}:${user.gid}`, '-v', `${home}:/h`, image, 'id', '-u']),
      );
      assert.equal(r.stdout.toString().trim(), String(user.uid));
      assertRunsAsCaller(await inspect(own), '--user UID:GID');
    });

    for (const opt of ['no-new-privileges=false', 'no-new-privileges:false', 'no-new-privileges=0']) {
      test(`1a: --security-opt ${opt} cannot switch no-new-privileges off again on a container with a host mount`, async () => {
        const cname = name(`1a-nnp${opt.length}${opt.includes(':') ? 'c' : 'e'}`);
        containers.push(cname);
        const r = await asUser(
          [
            'run',
            '--name',
            cname,
            '-v',
            `${home}:/h`,
            '--security-opt',
            opt,
            image,
            'sh',
            '-c',
            'grep NoNewPrivs /proc/self/status; id -u',
          ],
          { timeoutMs: 40_000 },
        );
        if (r.code !== 0) {
          assert.match(
            r.stderr,
            /dockgate: /,
            `${opt}: refused by dockgate or run with no-new-privileges: ${r.stderr}`,
          );
          return;
        }
        const out = r.stdout.toString();
        assert.match(out, /NoNewPrivs:\s*1/, `${opt}: the process in the container must have no_new_privs set: ${out}`);
        assert.match(out, new RegExp(`^${user.uid}$`, 'm'), `${opt}: runs as the caller: ${out}`);
      });
    }

    const groups: Array<[string, () => string[], () => number | string]> = [
      ['--group-add 0', () => ['--group-add', '0'], () => 0],
      ['--group-add root', () => ['--group-add', 'root'], () => 0],
      ["--group-add DISK (the host's disk group)", () => ['--group-add', String(diskGid())], () => diskGid()],
      ['--user UID:DISK', () => ['--user', `${user.uid}:${diskGid()}`], () => diskGid()],
    ];
    groups.forEach(([label, flags, group], i) => {
      test(`1a: ${label} with -v $HOME:/h cannot leave a file in the home that is setgid to a group the user is not in`, async () => {
        const cname = name(`1a-grp${i}`);
        const file = `sg${i}`;
        const r = await asUser(
          [
            'run',
            '--name',
            cname,
            ...flags(),
            '-v',
            `${home}:/h`,
            image,
            'sh',
            '-c',
            `cp /bin/busybox /h/${file}; chgrp ${group()} /h/${file}; chmod 2755 /h/${file}; true`,
          ],
          { timeoutMs: 40_000 },
        );
        if (await exists(cname)) containers.push(cname);
        assert.deepEqual(
          escalatingFiles(home),
          [],
          `${label}: the container left a setgid file of a group the user is not in (exit ${r.code} ${r.stderr.trim()})`,
        );
        if (r.code !== 0) assert.match(r.stderr, /dockgate: /, `${label}: ${r.stderr}`);
      });
    });

    // The create is judged with the volumes that exist when it is judged. A volume created between
    // that look-up and dockerd's create (the user sends both at once) must not make a root container
    // of the home: whichever comes first, the container that ends up with the bind runs as the user.
    test('1a: a bind-backed volume created while a create naming it is judged (a race) never gives a root container the home', async () => {
      const attempts = 8;
      const created: string[] = [];
      const post = (target: string, body: string) =>
        `POST ${target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
      // All attempts in one burst, 50 ms apart, each pair at its own small offset.
      const burst: Array<{ at: number; request: string }> = [];
      for (let i = 0; i < attempts; i++) {
        const vol = name(`race${i}`);
        const cname = name(`1a-race${i}`);
        volumes.push(vol);
        containers.push(cname);
        const create = JSON.stringify({
          Image: image,
          Cmd: ['sh', '-c', setuidScript(`race${i}`)],
          HostConfig: { Binds: [`${vol}:/h`] },
        });
        const volume = JSON.stringify({ Name: vol, DriverOpts: { type: 'none', o: 'bind', device: home } });
        burst.push({ at: 50 * i, request: post(`/v1.41/containers/create?name=${cname}`, create) });
        burst.push({ at: 50 * i + (i % 8), request: post('/v1.41/volumes/create', volume) });
      }
      await burstAs(served.socket, burst, { uid: user.uid, gid: user.gid });
      for (let i = 0; i < attempts; i++) if (await exists(name(`1a-race${i}`))) created.push(name(`1a-race${i}`));
      // Every container that was allowed is started by the user, as they could.
      await Promise.all(created.map((c) => asUser(['start', '-a', c], { timeoutMs: 40_000 })));
      const asRoot: string[] = [];
      for (const c of created) {
        const info = await inspect(c);
        if (info.Config.User === '') asRoot.push(c);
      }
      assert.deepEqual(
        escalatingFiles(home),
        [],
        `containers created as root with the home through a volume created at the same time: ${asRoot.join(', ')}`,
      );
      for (const c of created) {
        const info = await inspect(c);
        // biome-ignore lint/suspicious/noExplicitAny: inspect JSON from the daemon, read field by field
        if ((info.Mounts ?? []).some((m: any) => m.Type === 'volume')) {
          const vol = await daemonGet(`/volumes/${info.Mounts[0].Name}`);
          if (vol?.Options?.o === 'bind') assertRunsAsCaller(info, `${c} (its volume binds the home)`);
        }
      }
    });

    // The same race through another create: a --mount volume with inline options creates the
    // volume with them when it reaches dockerd first, and two creates may share a volume name.
    test("1a: a bind-backed volume made by another create's inline --mount options while a create naming it is judged (a race) never gives a root container the home", async () => {
      const attempts = 12;
      const created: string[] = [];
      const post = (target: string, body: string) =>
        `POST ${target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
      // All attempts in one burst, 80 ms apart. The inline create is judged longer (its rewrite is
      // judged again): the plain one goes a little later, by a different delay in each attempt.
      const burst: Array<{ at: number; request: string }> = [];
      for (let i = 0; i < attempts; i++) {
        const vol = name(`irace${i}`);
        const plain = name(`1a-irace${i}`);
        const inline = name(`1a-iracei${i}`);
        volumes.push(vol);
        containers.push(plain, inline);
        const plainBody = JSON.stringify({
          Image: image,
          Cmd: ['sh', '-c', setuidScript(`irace${i}`)],
          HostConfig: { Binds: [`${vol}:/h`] },
        });
        const inlineBody = JSON.stringify({
          Image: image,
          Cmd: ['true'],
          HostConfig: {
            Mounts: [
              {
                Type: 'volume',
                Source: vol,
                Target: '/h',
                VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: home } } },
              },
            ],
          },
        });
        burst.push({ at: 80 * i, request: post(`/v1.41/containers/create?name=${inline}`, inlineBody) });
        burst.push({ at: 80 * i + 4 + i * 3, request: post(`/v1.41/containers/create?name=${plain}`, plainBody) });
      }
      await burstAs(served.socket, burst, { uid: user.uid, gid: user.gid });
      for (let i = 0; i < attempts; i++) if (await exists(name(`1a-irace${i}`))) created.push(name(`1a-irace${i}`));
      await Promise.all(created.map((c) => asUser(['start', '-a', c], { timeoutMs: 40_000 })));
      const asRoot: string[] = [];
      for (const c of created) {
        const info = await inspect(c);
        const vol = await daemonGet(`/volumes/${info.Mounts?.[0]?.Name}`);
        if (info.Config.User === '' && vol?.Options?.o === 'bind') asRoot.push(c);
      }
      assert.deepEqual(
        escalatingFiles(home),
        [],
        `containers created as root on a volume that binds the home: ${asRoot.join(', ')}`,
      );
      assert.deepEqual(asRoot, [], 'containers created as root on a volume that binds the home');
    });

    // dockerd copies an image's files into an empty volume when a container first mounts it
    // ("copy-up"), as root, keeping owners and modes. A volume that binds a directory of the home
    // gets them there, whatever user the container's processes run as.
    describe('1a: copy-up of image content into an empty volume that binds a directory of the home', () => {
      const suidImage = `dgh${tag}-suid`;
      before(async () => {
        const ctx = userDir('ctx-suid');
        fs.writeFileSync(
          path.join(ctx, 'Dockerfile'),
          `FROM ${image}\nRUN mkdir -p /h && cp /bin/busybox /h/sh && chmod 4755 /h/sh\n`,
        );
        fs.chownSync(path.join(ctx, 'Dockerfile'), user.uid, user.gid);
        // The user builds it, as the pack allows (classic builder, a plain Dockerfile).
        await ok(
          asUser(['build', '-q', '-t', suidImage, ctx], {
            env: { DOCKER_BUILDKIT: '0', HOME: home },
            timeoutMs: 60_000,
          }),
        );
      });
      after(async () => {
        await direct(['rmi', '-f', suidImage]);
      });

      test('1a: -v VOL:/h of a local volume with o=bind,device=$HOME/empty leaves no setuid-root file in the home', async () => {
        const empty = userDir('copyup-v');
        const vol = name('copyup');
        volumes.push(vol);
        const cname = name('1a-copyup');
        containers.push(cname);
        const made = await asUser([
          'volume',
          'create',
          '-o',
          'type=none',
          '-o',
          'o=bind',
          '-o',
          `device=${empty}`,
          vol,
        ]);
        if (made.code !== 0) {
          assert.match(made.stderr, /dockgate: /, made.stderr);
          return;
        }
        const r = await asUser(['run', '--name', cname, '-v', `${vol}:/h`, suidImage, 'true'], { timeoutMs: 40_000 });
        assert.deepEqual(
          escalatingFiles(home),
          [],
          `dockerd copied the image's setuid-root file into the home (run: exit ${r.code} ${r.stderr.trim()})`,
        );
      });

      test('1a: -v VOL:/h:ro of a local volume with o=bind,device=$HOME/empty leaves no setuid-root file in the home', async () => {
        const empty = userDir('copyup-ro');
        const vol = name('copyupro');
        volumes.push(vol);
        const cname = name('1a-copyupro');
        containers.push(cname);
        const made = await asUser([
          'volume',
          'create',
          '-o',
          'type=none',
          '-o',
          'o=bind',
          '-o',
          `device=${empty}`,
          vol,
        ]);
        if (made.code !== 0) {
          assert.match(made.stderr, /dockgate: /, made.stderr);
          return;
        }
        const r = await asUser(['run', '--name', cname, '-v', `${vol}:/h:ro`, suidImage, 'true'], {
          timeoutMs: 40_000,
        });
        assert.deepEqual(
          escalatingFiles(home),
          [],
          `dockerd copied the image's setuid-root file into the home (run: exit ${r.code} ${r.stderr.trim()})`,
        );
      });

      test('1a: a raw create with Mounts VolumeOptions {NoCopy: false} and inline bind options leaves no setuid-root file in the home', async () => {
        const empty = userDir('copyup-raw');
        const cname = name('1a-copyupraw');
        containers.push(cname);
        const a = await rawAs(
          jsonRequest('POST', `/v1.41/containers/create?name=${cname}`, {
            Image: suidImage,
            Cmd: ['true'],
            HostConfig: {
              Mounts: [
                {
                  Type: 'volume',
                  Target: '/h',
                  VolumeOptions: {
                    NoCopy: false,
                    DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: empty } },
                  },
                },
              ],
            },
          }),
        );
        if (a.status === 201) await asUser(['start', '-a', cname], { timeoutMs: 40_000 });
        assert.deepEqual(
          escalatingFiles(home),
          [],
          `dockerd copied the image's setuid-root file into the home (create: ${a.head.split('\r\n')[0]})`,
        );
      });

      test('1a: --mount type=volume with inline volume-opt o=bind,device=$HOME/empty leaves no setuid-root file in the home', async () => {
        const empty = userDir('copyup-m');
        const cname = name('1a-copyupm');
        containers.push(cname);
        const r = await asUser(
          [
            'run',
            '--name',
            cname,
            '--mount',
            `type=volume,target=/h,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=${empty}`,
            suidImage,
            'true',
          ],
          { timeoutMs: 40_000 },
        );
        assert.deepEqual(
          escalatingFiles(home),
          [],
          `dockerd copied the image's setuid-root file into the home (run: exit ${r.code} ${r.stderr.trim()})`,
        );
      });
    });

    describe("1a: docker exec into the user's container that binds the home", () => {
      const cname = `exec-${crypto.randomBytes(3).toString('hex')}`;
      before(async () => {
        containers.push(name(cname));
        await ok(asUser(['run', '-d', '--name', name(cname), '-v', `${home}:/h`, image, 'sleep', '300']));
      });

      for (const u of ['0', 'root', '0:0', 'UID:0', '0:GID']) {
        test(`1a: docker exec -u ${u} into it is refused and leaves nothing`, async () => {
          const spelled = u.replace('UID', String(user.uid)).replace('GID', String(user.gid));
          const r = await asUser(['exec', '-u', spelled, name(cname), 'sh', '-c', setuidScript('sh-exec')], {
            timeoutMs: 40_000,
          });
          assert.deepEqual(
            escalatingFiles(home),
            [],
            `exec -u ${u}: left a file that gives more than the user has (exit ${r.code} ${r.stderr.trim()})`,
          );
          assert.notEqual(r.code, 0, `exec -u ${u} must be refused`);
          assert.match(r.stderr, /dockgate: /, `exec -u ${u}: ${r.stderr}`);
        });
      }

      test('1a: docker exec without -u (or with -u UID:GID) into it works and runs as the caller', async () => {
        const id = await ok(asUser(['exec', name(cname), 'id', '-u']));
        assert.equal(id.stdout.toString().trim(), String(user.uid), 'exec without -u runs as the caller');
        const own = await ok(asUser(['exec', '-u', `${user.uid}:${user.gid}`, name(cname), 'id', '-u']));
        assert.equal(own.stdout.toString().trim(), String(user.uid));
      });
    });

    describe('1b: daemon-side file access to a container that binds the home', () => {
      let cname: string;
      const secret = `TOPSECRET-${crypto.randomBytes(4).toString('hex')}`;
      before(async () => {
        cname = name('1b');
        containers.push(cname);
        await ok(asUser(['create', '--name', cname, '-v', `${home}:/h`, image, 'true']));
        // A file in the home that only root may read (left there by root): the user cannot read it.
        fs.writeFileSync(path.join(home, 'root-only'), secret, { mode: 0o600 });
      });

      test('1b: PUT /containers/{id}/archive?path=/h of a tar entry uid 0 mode 04755 is refused and writes nothing into the home', async () => {
        const archive = await tarOf({ name: 'rootsh', mode: 0o4755, uid: 0, gid: 0 }, fs.readFileSync('/bin/busybox'));
        const put = await rawAs(
          Buffer.concat([
            Buffer.from(
              `PUT /v1.41/containers/${cname}/archive?path=%2Fh HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: ${archive.length}\r\nConnection: close\r\n\r\n`,
            ),
            archive,
          ]),
        );
        assert.deepEqual(
          escalatingFiles(home),
          [],
          `PUT archive wrote a setuid file the user could not have made (answer ${put.head.split('\r\n')[0]})`,
        );
        assert.ok(!fs.existsSync(path.join(home, 'rootsh')), 'PUT archive wrote into the home');
        assert.ok(put.status >= 400, `PUT archive must be refused: ${put.head}`);
        assert.match(put.text, /dockgate: .*file-access/);
      });

      test('1b: GET /containers/{id}/archive of a root-only file in the bound home is refused and returns none of it', async () => {
        const get = await rawAs(
          `GET /v1.41/containers/${cname}/archive?path=%2Fh%2Froot-only HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`,
        );
        assert.ok(!get.text.includes(secret), 'GET archive read a file the user cannot read');
        assert.ok(get.status >= 400, `GET archive must be refused: ${get.head}`);
        assert.match(get.text, /dockgate: .*file-access/);
      });

      test('1b: HEAD /containers/{id}/archive is refused: no stat of host files, no body', async () => {
        const head = await rawAs(
          `HEAD /v1.41/containers/${cname}/archive?path=%2Fh%2Froot-only HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`,
        );
        assert.doesNotMatch(head.head, /X-Docker-Container-Path-Stat/i, 'HEAD archive told the stat of a host file');
        assert.ok(head.status >= 400, `HEAD archive must be refused: ${head.head}`);
        assert.equal(
          head.rest.length,
          0,
          `a refused HEAD has no body: ${JSON.stringify(head.rest.toString('latin1'))}`,
        );
      });
    });
  });

  describe('finding 2: a start body cannot change what an allowed container may do', () => {
    const bodies: Array<[string, unknown, boolean?]> = [
      [
        'Binds /, Privileged, PidMode host, CapAdd',
        { Binds: ['/:/host'], Privileged: true, PidMode: 'host', CapAdd: ['SYS_ADMIN'] },
      ],
      ['Binds / only', { Binds: ['/:/host'] }],
      ['lower-case keys', { binds: ['/:/host'], privileged: true }],
      [
        'Devices and SecurityOpt',
        {
          Devices: [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }],
          SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
        },
      ],
      ['Binds / sent chunked', { Binds: ['/:/host'] }, true],
    ];
    for (const version of ['v1.23', 'v1.12']) {
      bodies.forEach(([label, body, chunked], i) => {
        test(`2: POST /${version}/containers/{id}/start with a body (${label}) is refused; the container keeps its create-time HostConfig and is not started`, async () => {
          const cname = name(`2-${version.replace('.', '')}-${i}`);
          containers.push(cname);
          await ok(asUser(['create', '--name', cname, image, 'sleep', '60']));
          const json = JSON.stringify(body);
          const target = `/${version}/containers/${cname}/start`;
          const request = chunked
            ? `POST ${target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${Buffer.byteLength(json).toString(16)}\r\n${json}\r\n0\r\n\r\n`
            : `POST ${target} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`;
          const a = await rawAs(request);
          const c = await inspect(cname);
          const hc = c.HostConfig;
          assert.ok(!(hc.Binds ?? []).length, `the start body gave the container binds ${JSON.stringify(hc.Binds)}`);
          assert.equal(hc.Privileged, false, 'the start body made it privileged');
          assert.notEqual(hc.PidMode, 'host', 'the start body gave it the host pid namespace');
          assert.ok(!(hc.CapAdd ?? []).length, `the start body added capabilities ${JSON.stringify(hc.CapAdd)}`);
          assert.ok(!(hc.Devices ?? []).length, 'the start body added devices');
          assert.ok(!(hc.SecurityOpt ?? []).some((o: string) => /unconfined/.test(o)), 'the start body unconfined it');
          assert.equal(
            c.State.Running,
            false,
            `the container must not have been started (answer ${a.head.split('\r\n')[0]})`,
          );
          assert.ok(a.status >= 400, `must be refused: ${a.text.slice(0, 300)}`);
          assert.match(a.text, /dockgate: .*lifecycle/);
        });
      });
    }
  });

  describe('finding 3: allowlists, not denylists', () => {
    const driverName = (sock: string) => `../../../home/${user.name}/${sock}`;
    async function plugin(sock: string): Promise<Plugin> {
      const p = await fakePlugin(path.join(home, `${sock}.sock`), user);
      plugins.push(p);
      return p;
    }

    const noRequest = (p: Plugin, what: string) => () =>
      assert.deepEqual(p.requests, [], `dockerd called the plugin the user serves (${what})`);

    test('3: docker volume create -d ../../../home/USER/p (a plugin the user serves) is refused and the plugin gets no request', async () => {
      const p = await plugin('p');
      const vol = name('3-pv');
      volumes.push(vol);
      await refused(
        ['volume', 'create', '-d', driverName('p'), vol],
        'volume create -d ../',
        undefined,
        noRequest(p, 'volume create -d'),
      );
    });

    test('3: that driver in --mount volume-driver= is refused; the plugin gets no request', async () => {
      const p = await plugin('p2');
      volumes.push(name('3-pv2'));
      await refused(
        [
          'run',
          '--rm',
          '--name',
          name('3-vd'),
          '--mount',
          `type=volume,source=${name('3-pv2')},target=/m,volume-driver=${driverName('p2')}`,
          image,
          'cat',
          '/m/etc/shadow',
        ],
        '--mount volume-driver=',
        undefined,
        noRequest(p, '--mount volume-driver='),
      );
    });

    test('3: that driver in HostConfig.VolumeDriver is refused; the plugin gets no request', async () => {
      const p = await plugin('p3');
      volumes.push(name('3-pv3'));
      await rawRefused(
        jsonRequest('POST', `/v1.41/containers/create?name=${name('3-hcvd')}`, {
          Image: image,
          Cmd: ['cat', '/m/etc/shadow'],
          HostConfig: { VolumeDriver: driverName('p3'), Binds: [`${name('3-pv3')}:/m`] },
        }),
        'HostConfig.VolumeDriver',
        noRequest(p, 'HostConfig.VolumeDriver'),
      );
    });

    test('3: that driver in Mounts[].VolumeOptions.DriverConfig.Name is refused; the plugin gets no request', async () => {
      const p = await plugin('p4');
      volumes.push(name('3-pv4'));
      await rawRefused(
        jsonRequest('POST', `/v1.41/containers/create?name=${name('3-mvd')}`, {
          Image: image,
          Cmd: ['true'],
          HostConfig: {
            Mounts: [
              {
                Type: 'volume',
                Source: name('3-pv4'),
                Target: '/m',
                VolumeOptions: { DriverConfig: { Name: driverName('p4') } },
              },
            ],
          },
        }),
        'Mounts[].VolumeOptions.DriverConfig.Name',
        noRequest(p, 'Mounts DriverConfig'),
      );
    });

    test('3: a volume driver that is not on the list is refused by dockgate, even without a path in its name', async () => {
      volumes.push(name('3-nosuch'));
      await refused(['volume', 'create', '-d', 'dgnosuchdriver', name('3-nosuch')], 'volume driver not on the list');
    });

    test('3: --log-driver naming a plugin the user serves is refused; the plugin gets no request', async () => {
      const p = await plugin('plog');
      await refused(
        ['create', '--name', name('3-log'), '--log-driver', driverName('plog'), image, 'true'],
        '--log-driver ../',
        undefined,
        noRequest(p, 'log driver'),
      );
    });

    test('3: network create -d naming a plugin the user serves is refused; the plugin gets no request', async () => {
      const p = await plugin('pnet');
      networks.push(name('3-net'));
      await refused(
        ['network', 'create', '-d', driverName('pnet'), name('3-net')],
        'network create -d ../',
        undefined,
        noRequest(p, 'network driver'),
      );
    });

    test('3: network create --ipam-driver naming a plugin the user serves is refused; the plugin gets no request', async () => {
      const p = await plugin('pipam');
      networks.push(name('3-ipam'));
      await refused(
        ['network', 'create', '--ipam-driver', driverName('pipam'), name('3-ipam')],
        'network create --ipam-driver ../',
        undefined,
        noRequest(p, 'IPAM driver'),
      );
    });

    test("3: a build with --network container:X (an admin's host-network container) does not run in the host's network namespace", async () => {
      const hostIfaces = fs
        .readFileSync('/proc/net/dev', 'utf8')
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter((n) => n && n !== 'lo');
      assert.ok(hostIfaces.length > 0, 'the host has a network interface besides lo');
      const admin = name('3-adminnet');
      containers.push(admin);
      await ok(direct(['run', '-d', '--name', admin, '--network', 'host', image, 'sleep', '120']));
      const ctx = userDir('ctx-net');
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nRUN echo IFACES; cat /proc/net/dev; echo END\n`);
      fs.chownSync(path.join(ctx, 'Dockerfile'), user.uid, user.gid);
      const r = await asUser(['build', '--no-cache', '--network', `container:${admin}`, '-t', `dgh${tag}-net`, ctx], {
        env: { DOCKER_BUILDKIT: '0', HOME: home },
        timeoutMs: 60_000,
      });
      await direct(['rmi', '-f', `dgh${tag}-net`]);
      const out = r.stdout.toString() + r.stderr;
      const seen = hostIfaces.filter((n) => new RegExp(`^\\s*${n}:`, 'm').test(out));
      assert.deepEqual(seen, [], `the build's RUN saw the host's interfaces (exit ${r.code})`);
      if (r.code !== 0) assert.match(r.stderr, /dockgate: /, r.stderr);
    });

    const localCases: Array<[string, () => string[]]> = [
      ['type=tmpfs,o=bind,device=/', () => ['type=tmpfs', 'o=bind', 'device=/']],
      ['type=tmpfs,o=rbind,device=/', () => ['type=tmpfs', 'o=rbind', 'device=/']],
      ['type=tmpfs,o=ro,bind,device=/', () => ['type=tmpfs', 'o=ro,bind', 'device=/']],
      ['type=ext4,o=bind,device=/', () => ['type=ext4', 'o=bind', 'device=/']],
      // The kernel ignores an overlay's device; its host paths are in o.
      [
        'type=overlay,o=lowerdir=/etc:/usr,device=$HOME (host paths inside o)',
        () => ['type=overlay', 'o=lowerdir=/etc:/usr', `device=${home}`],
      ],
    ];
    localCases.forEach(([label, optsOf], i) => {
      test(`3: a local volume with ${label} is refused, or no container of the user reads or writes the host's files through it`, async () => {
        const vol = name(`3-lv${i}`);
        volumes.push(vol);
        const before = await upstreamState();
        const created = await asUser(['volume', 'create', ...optsOf().flatMap((o) => ['--opt', o]), vol]);
        if (created.code !== 0) {
          assert.deepEqual(await upstreamState(), before, `${label}: refused, so no volume`);
          assert.match(created.stderr, /dockgate: /, `${label}: ${created.stderr}`);
          return;
        }
        // Allowed: then no container of the user may read or write the host's root through it.
        const proof = `/root/dgh-${tag}-${i}`;
        hostFiles.push(proof);
        const r = await asUser(
          [
            'run',
            '--rm',
            '-v',
            `${vol}:/v`,
            image,
            'sh',
            '-c',
            `cat /v/etc/shadow /v/shadow; echo pwn > /v${proof}; true`,
          ],
          { timeoutMs: 40_000 },
        );
        assert.ok(
          !r.stdout.toString().includes(hostShadowFirstLine),
          `${label}: a container of the user read the host's /etc/shadow through the volume`,
        );
        assert.ok(!fs.existsSync(proof), `${label}: a container of the user wrote ${proof} on the host`);
      });
    });

    test("3: an anonymous --mount volume with inline volume-opt type=tmpfs,o=bind,device=/ never gives a container the host's files", async () => {
      const proof = `/root/dgh-${tag}-inline`;
      hostFiles.push(proof);
      const r = await asUser(
        [
          'run',
          '--rm',
          '--mount',
          'type=volume,target=/v,volume-opt=type=tmpfs,volume-opt=o=bind,volume-opt=device=/',
          image,
          'sh',
          '-c',
          `cat /v/etc/shadow; echo pwn > /v${proof}; true`,
        ],
        { timeoutMs: 40_000 },
      );
      assert.ok(
        !r.stdout.toString().includes(hostShadowFirstLine),
        "a container of the user read the host's /etc/shadow through the inline volume",
      );
      assert.ok(!fs.existsSync(proof), `a container of the user wrote ${proof} on the host`);
      if (r.code !== 0) assert.match(r.stderr, /dockgate: /, r.stderr);
    });

    // A bridge network's subnet becomes a route on the host: a subnet inside one of the host's own
    // routes takes the host's traffic to those addresses into the user's bridge.
    test("3: network create --subnet inside a host route does not divert the host's traffic to the user's bridge", async (t) => {
      const routes = JSON.parse(spawnSync('ip', ['-j', '-4', 'route'], { encoding: 'utf8' }).stdout || '[]') as Array<{
        dst: string;
        dev: string;
      }>;
      const lan = routes.find(
        (r) =>
          /^\d+\.\d+\.\d+\.\d+\/(\d+)$/.test(r.dst) &&
          Number(r.dst.split('/')[1]) >= 8 &&
          Number(r.dst.split('/')[1]) <= 28,
      );
      if (!lan) {
        t.skip('the host has no route to a LAN to divert');
        return;
      }
      const [base, bits] = lan.dst.split('/') as [string, string];
      const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
      const toIp = (n: number) => [24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join('.');
      const half = 2 ** (32 - Number(bits) - 1);
      const upper = toInt(base) + half; // the upper half of the host's LAN: not its gateway, not itself
      const subnet = `${toIp(upper)}/${Number(bits) + 1}`;
      const probe = toIp(upper + half - 10);
      const devOf = () =>
        /\bdev (\S+)/.exec(spawnSync('ip', ['route', 'get', probe], { encoding: 'utf8' }).stdout)?.[1];
      const before = devOf();
      assert.equal(before, lan.dev);
      const net = name('3-subnet');
      networks.push(net);
      const r = await asUser(['network', 'create', '--subnet', subnet, net], { timeoutMs: 40_000 });
      const after = devOf();
      await direct(['network', 'rm', net]);
      assert.equal(
        after,
        before,
        `the host's route to ${probe} now goes to ${after} (network create --subnet ${subnet}: exit ${r.code})`,
      );
      if (r.code !== 0) assert.match(r.stderr, /dockgate: /, r.stderr);
    });

    test("3: network create --ipv6 --subnet inside a host IPv6 route does not divert the host's traffic to the user's bridge", async (t) => {
      const routes = JSON.parse(spawnSync('ip', ['-j', '-6', 'route'], { encoding: 'utf8' }).stdout || '[]') as Array<{
        dst: string;
        dev: string;
      }>;
      const lan = routes.find(
        (r) =>
          /^[0-9a-f:]+\/(\d+)$/i.test(r.dst) &&
          !/^fe80:/i.test(r.dst) &&
          Number(r.dst.split('/')[1]) >= 16 &&
          Number(r.dst.split('/')[1]) <= 112,
      );
      if (!lan) {
        t.skip('the host has no IPv6 route to a LAN to divert');
        return;
      }
      const [base, bits] = lan.dst.split('/') as [string, string];
      const toBig = (ip: string) => {
        const [head, tail] = ip.split('::') as [string, string | undefined];
        const h = head ? head.split(':') : [];
        const tl = tail ? tail.split(':') : [];
        const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl];
        return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
      };
      const toIp = (n: bigint) =>
        Array.from({ length: 8 }, (_, i) => ((n >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(':');
      const half = 1n << BigInt(128 - Number(bits) - 1);
      const upper = toBig(base) + half;
      const subnet = `${toIp(upper)}/${Number(bits) + 1}`;
      const probe = toIp(upper + half - 10n);
      const devOf = () =>
        /\bdev (\S+)/.exec(spawnSync('ip', ['-6', 'route', 'get', probe], { encoding: 'utf8' }).stdout)?.[1];
      const before = devOf();
      assert.equal(before, lan.dev);
      const net = name('3-subnet6');
      networks.push(net);
      const r = await asUser(['network', 'create', '--ipv6', '--subnet', subnet, net], { timeoutMs: 40_000 });
      const after = devOf();
      await direct(['network', 'rm', net]);
      assert.equal(
        after,
        before,
        `the host's route to ${probe} now goes to ${after} (network create --ipv6 --subnet ${subnet}: exit ${r.code} ${r.stderr.trim()})`,
      );
      if (r.code !== 0) assert.match(r.stderr, /dockgate: /, r.stderr);
    });

    const hostConfigs: Array<[string, Record<string, unknown>]> = [
      ['CgroupnsMode "host"', { CgroupnsMode: 'host' }],
      ['SecurityOpt ["disable"] (dockerd reads it as label=disable)', { SecurityOpt: ['disable'] }],
      ['SecurityOpt ["label=disable"]', { SecurityOpt: ['label=disable'] }],
      ['SecurityOpt ["label:disable"]', { SecurityOpt: ['label:disable'] }],
      [
        'SecurityOpt ["label=type:spc_t"] (SELinux\'s unconfined container type)',
        { SecurityOpt: ['label=type:spc_t'] },
      ],
    ];
    hostConfigs.forEach(([label, hc], i) => {
      test(`3: a raw create with HostConfig ${label} is refused; nothing is created`, async () => {
        await rawRefused(
          jsonRequest('POST', `/v1.41/containers/create?name=${name(`3-hc${i}`)}`, {
            Image: image,
            Cmd: ['true'],
            HostConfig: hc,
          }),
          label,
        );
      });
    });

    test('3: docker create --cgroupns host is refused; nothing is created', async () => {
      await refused(['create', '--name', name('3-cgns-cli'), '--cgroupns', 'host', image, 'true'], '--cgroupns host');
    });

    const lowPorts: Array<[string, string]> = [
      ['-p 80:80', '80:80'],
      ['-p 1000-1100:1000-1100', '1000-1100:1000-1100'],
      ['-p 127.0.0.1:443:80', '127.0.0.1:443:80'],
    ];
    lowPorts.forEach(([label, spec], i) => {
      test(`3: ${label} (a host port below 1024) is refused; nothing is created`, async () => {
        await refused(['create', '--name', name(`3-lp${i}`), '-p', spec, image, 'true'], label);
      });
    });
    for (const hostPort of ['0080', '79-81']) {
      test(`3: a raw create with PortBindings HostPort "${hostPort}" (dockerd reads a port below 1024) is refused; nothing is created`, async () => {
        await rawRefused(
          jsonRequest('POST', `/v1.41/containers/create?name=${name(`3-rp${hostPort.replace('-', '')}`)}`, {
            Image: image,
            Cmd: ['true'],
            ExposedPorts: { '80/tcp': {} },
            HostConfig: { PortBindings: { '80/tcp': [{ HostPort: hostPort }] } },
          }),
          `HostPort ${hostPort}`,
        );
      });
    }

    test('3: -p 8080:80 is allowed', async () => {
      const high = name('3-p8080');
      containers.push(high);
      await ok(asUser(['create', '--name', high, '-p', '8080:80', image, 'true']));
      const c = await inspect(high);
      assert.equal(c.HostConfig.PortBindings['80/tcp'][0].HostPort, '8080');
    });
  });

  test('finding 4: a bind through a symlink swapped to / before start gives a container nothing the user could not read or write', async () => {
    const real = userDir('real');
    const link = path.join(home, 'link');
    fs.symlinkSync(real, link);
    fs.lchownSync(link, user.uid, user.gid);
    const cname = name('4');
    containers.push(cname);
    const rootProof = `/root/dgh-${tag}-4`;
    const etcProof = `/etc/dgh-${tag}-4`;
    hostFiles.push(rootProof, etcProof);
    await ok(
      asUser([
        'create',
        '--name',
        cname,
        '-v',
        `${link}:/host`,
        image,
        'sh',
        '-c',
        `cat /host/etc/shadow; echo pwn > /host${rootProof}; echo pwn > /host${etcProof}; id -u`,
      ]),
    );
    // The user swaps the link on the host, as themselves.
    const swap = await run('ln', ['-sfn', '/', link], { as: { uid: user.uid, gid: user.gid } });
    assert.equal(swap.code, 0, swap.stderr);
    assert.equal(fs.readlinkSync(link), '/');
    const r = await asUser(['start', '-a', cname], { timeoutMs: 40_000 });
    const out = r.stdout.toString();
    assert.ok(
      !out.includes(hostShadowFirstLine),
      `the container read the host's /etc/shadow (output: ${out.slice(0, 200)})`,
    );
    assert.ok(!fs.existsSync(rootProof), `the container wrote ${rootProof} on the host`);
    assert.ok(!fs.existsSync(etcProof), `the container wrote ${etcProof} on the host`);
    assert.deepEqual(escalatingFiles(real), []);
    if (r.code === 0) assertRunsAsCaller(await inspect(cname), 'symlinked bind');
  });

  test('finding 4: a missing bind source below a symlink swapped to /etc is not created on the host by dockerd at start', async () => {
    const real = userDir('real-mk');
    const link = path.join(home, 'link-mk');
    fs.symlinkSync(real, link);
    fs.lchownSync(link, user.uid, user.gid);
    const made = `/etc/dgh-${tag}-mkdir`;
    hostFiles.push(made);
    const cname = name('4-mkdir');
    containers.push(cname);
    // Allowed at create: the source resolves into the home (and does not exist yet).
    const created = await asUser(['create', '--name', cname, '-v', `${link}/dgh-${tag}-mkdir:/x`, image, 'true']);
    if (created.code !== 0) {
      // Refused (by dockgate, or by dockerd if the bind became a --mount that must exist): nothing to start.
      assert.ok(!(await exists(cname)), created.stderr);
      return;
    }
    const swap = await run('ln', ['-sfn', '/etc', link], { as: { uid: user.uid, gid: user.gid } });
    assert.equal(swap.code, 0, swap.stderr);
    const r = await asUser(['start', '-a', cname], { timeoutMs: 40_000 });
    assert.ok(
      !fs.existsSync(made),
      `dockerd created ${made} on the host as root (start: exit ${r.code} ${r.stderr.trim()})`,
    );
  });

  // runc creates the mount point of a mount nested inside a bind (a --tmpfs or another bind at a
  // path under it) as root, inside whatever the bind resolved to at start.
  test('finding 4: mounts nested in a bind through a symlink swapped to /etc do not create their mount points in /etc', async () => {
    const real = userDir('real-nest');
    const src = userDir('src-nest');
    const link = path.join(home, 'link-nest');
    fs.symlinkSync(real, link);
    fs.lchownSync(link, user.uid, user.gid);
    const madeTmpfs = `/etc/dgh-${tag}-nest-tmpfs`;
    const madeBind = `/etc/dgh-${tag}-nest-bind`;
    hostFiles.push(madeTmpfs, madeBind);
    const cname = name('4-nest');
    containers.push(cname);
    const created = await asUser([
      'create',
      '--name',
      cname,
      '--mount',
      `type=bind,source=${link},target=/x`,
      '--tmpfs',
      `/x/${path.basename(madeTmpfs)}`,
      '--mount',
      `type=bind,source=${src},target=/x/${path.basename(madeBind)}`,
      image,
      'true',
    ]);
    if (created.code !== 0) {
      assert.ok(!(await exists(cname)), created.stderr);
      return;
    }
    const swap = await run('ln', ['-sfn', '/etc', link], { as: { uid: user.uid, gid: user.gid } });
    assert.equal(swap.code, 0, swap.stderr);
    const r = await asUser(['start', '-a', cname], { timeoutMs: 40_000 });
    assert.ok(
      !fs.existsSync(madeTmpfs),
      `the --tmpfs mount point ${madeTmpfs} was created on the host (start: exit ${r.code} ${r.stderr.trim()})`,
    );
    assert.ok(
      !fs.existsSync(madeBind),
      `the nested bind's mount point ${madeBind} was created on the host (start: exit ${r.code} ${r.stderr.trim()})`,
    );
  });

  test('a refused HEAD gets its head and no body bytes; a request pipelined after it on the same connection gets its own answer', async () => {
    const data = await rawExchangeAs(
      served.socket,
      Buffer.from(
        'HEAD /v1.41/dockgate-no-such-endpoint HTTP/1.1\r\nHost: docker\r\n\r\n' +
          'GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n',
        'latin1',
      ),
      { uid: user.uid, gid: user.gid },
      10_000,
    );
    const first = parseAnswer(data);
    assert.ok(first.status >= 400, `the HEAD must be refused: ${first.head}`);
    assert.ok(
      first.rest.toString('latin1').startsWith('HTTP/1.1 200'),
      `after the refused HEAD's head the next bytes must be the ping's answer, got ${JSON.stringify(first.rest.toString('latin1').slice(0, 80))}`,
    );
    const second = parseAnswer(first.rest);
    assert.equal(second.status, 200);
    assert.match(second.rest.toString('latin1'), /OK/);
  });

  describe('everyday commands still work for the user', () => {
    test('docker run --rm echo hi; a container without host mounts still runs as root', async () => {
      const r = await ok(asUser(['run', '--rm', image, 'echo', 'hi']));
      assert.equal(r.stdout.toString().trim(), 'hi');
      const id = await ok(asUser(['run', '--rm', image, 'id', '-u']));
      assert.equal(id.stdout.toString().trim(), '0', 'no host mount: unchanged, root in the container');
    });

    test('docker run -v $HOME/src:/src: ls works and files it creates are owned by the user', async () => {
      const src = userDir('src');
      fs.writeFileSync(path.join(src, 'in.txt'), 'x');
      fs.chownSync(path.join(src, 'in.txt'), user.uid, user.gid);
      const ls = await ok(asUser(['run', '--rm', '-v', `${src}:/src`, image, 'ls', '/src']));
      assert.match(ls.stdout.toString(), /in\.txt/);
      await ok(asUser(['run', '--rm', '-v', `${src}:/src`, image, 'sh', '-c', 'touch /src/f']));
      const st = fs.statSync(path.join(src, 'f'));
      assert.equal(st.uid, user.uid, "the file the container made is the user's");
      assert.equal(st.gid, user.gid);
    });

    test("docker-compose up (1.29) of a service with ./data bound from the home works, and its files are the user's", {
      skip: !hasCompose && 'docker-compose not installed',
    }, async () => {
      const proj = userDir('proj');
      const data = userDir('proj/data');
      const project = `dgh${tag}c`;
      fs.writeFileSync(
        path.join(proj, 'docker-compose.yml'),
        `version: "3"\nservices:\n  app:\n    image: ${image}\n    network_mode: none\n    volumes:\n      - ./data:/data\n    command: ["sh", "-c", "touch /data/made-by-compose; id -u > /data/uid"]\n`,
      );
      fs.chownSync(path.join(proj, 'docker-compose.yml'), user.uid, user.gid);
      const compose = (...args: string[]) =>
        run('docker-compose', ['-p', project, ...args], {
          as: { uid: user.uid, gid: user.gid },
          cwd: proj,
          env: { DOCKER_HOST: `unix://${served.socket}`, HOME: home },
          timeoutMs: 60_000,
        });
      try {
        const up = await compose('up', '--no-color');
        assert.equal(up.code, 0, up.stderr);
        const st = fs.statSync(path.join(data, 'made-by-compose'));
        assert.equal(st.uid, user.uid, "the file the service made is the user's");
        assert.equal(fs.readFileSync(path.join(data, 'uid'), 'utf8').trim(), String(user.uid));
      } finally {
        await compose('down', '-t', '1');
        const left = (await direct(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).stdout
          .toString()
          .split('\n')
          .filter(Boolean);
        if (left.length) await direct(['rm', '-f', ...left]);
      }
    });
  });
});
