// Tenancy in plugin mode, end to end: a private dockerd behind `dockgate plugin` (require_proxy)
// with `dockgate serve` in front (`both`), users alice and bob as real Unix users. The plugin
// judges ownership itself, from its own look-ups at the daemon it guards: a request signed as
// alice that reaches dockerd without the proxy's own checks (as a proxy with a hole would send
// it) still cannot exec into, read the logs of, inspect or remove bob's container. Each refusal
// is proven by the daemon's state: the command did not run, the container is there, running.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signIdentity } from '../../../src/tenancy/index.js';
import {
  canManageUsers,
  createUser,
  dockerAt,
  ensureTestImage,
  ok,
  rawExchange,
  splitResponses,
  startServe,
  type Served,
  type TestUser,
} from '../../harness/index.js';
import { type GuardedDaemon, startGuardedDaemon } from './plugin-harness.js';

describe('plugin mode: ownership is judged by the plugin from its own look-ups', {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let dir: string;
  let key: Buffer;
  let g: GuardedDaemon;
  let served: Served;
  let alice: TestUser;
  let bob: TestUser;
  let asRoot: ReturnType<typeof dockerAt>;
  let bobId: string;
  let aliceId: string;
  let image: string;
  const bweb = `bweb-${process.pid}`;
  const aweb = `aweb-${process.pid}`;
  /** bob's other objects: a stopped container, a volume, a network and an image of his own. */
  const bstop = `bstop-${process.pid}`;
  const bvol = `bvol-${process.pid}`;
  const bnet = `bnet-${process.pid}`;
  const bimg = `bimg-${process.pid}:1`;

  const userDocker = (u: TestUser) =>
    dockerAt(served.socket, { as: { uid: u.uid, gid: u.gid }, env: { HOME: path.join(dir, u.name) } });

  /** A request straight to dockerd's socket, carrying a valid proxy signature for `u`. */
  async function signedAs(u: TestUser, method: string, target: string, body?: unknown) {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const identity = { uid: u.uid, gid: u.gid, user: u.name, groups: [], pid: null, via: 'peercred' as const };
    const header = signIdentity(key, identity, { method, target, body: payload });
    const head =
      `${method} ${target} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nX-Dockgate-Identity: ${header}\r\n` +
      (payload === null ? '' : `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`) +
      '\r\n';
    const reply = await rawExchange(g.daemon.socket, Buffer.concat([Buffer.from(head), payload ?? Buffer.alloc(0)]), {
      timeoutMs: 15_000,
      until: (d) => splitResponses(d).length > 0,
    });
    const [res] = splitResponses(reply.data);
    assert.ok(res, reply.data.toString());
    return { status: res.status, text: res.body.toString() };
  }

  /** What the daemon says of bob's container: there, running, and no file made by anyone else. */
  async function bobIntact(): Promise<void> {
    const r = await ok(asRoot(['inspect', '-f', '{{.State.Running}} {{.Name}}', bobId]));
    assert.equal(r.stdout.toString().trim(), `true /${bweb}`);
    const probe = await asRoot(['exec', bobId, 'ls', '/tmp']);
    assert.equal(probe.code, 0, probe.stderr);
    assert.ok(!probe.stdout.toString().includes('pwned'), `a command ran in bob's container: ${probe.stdout}`);
  }

  before(async () => {
    dir = fs.mkdtempSync('/tmp/dg-plugin-tenancy-');
    fs.chmodSync(dir, 0o755);
    key = randomBytes(32);
    const keyFile = path.join(dir, 'proxy.key');
    fs.writeFileSync(keyFile, key, { mode: 0o600 });
    const config = path.join(dir, 'dockgate.toml');
    fs.writeFileSync(config, `[plugin]\nrequire_proxy = true\nkey_file = "${keyFile}"\n`);
    g = await startGuardedDaemon(['--config', config]);
    served = await startServe({
      upstream: g.daemon.socket,
      args: ['--socket-mode', '0666', '--config', config, '--identity-key', keyFile],
    });
    alice = createUser();
    bob = createUser();
    for (const u of [alice, bob]) {
      fs.mkdirSync(path.join(dir, u.name));
      fs.chownSync(path.join(dir, u.name), u.uid, u.gid);
    }
    asRoot = dockerAt(served.socket);
    image = ensureTestImage(served.socket);
    await ok(userDocker(bob)(['run', '-d', '--name', bweb, image, 'sleep', '600']));
    await ok(userDocker(alice)(['run', '-d', '--name', aweb, image, 'sleep', '600']));
    await ok(userDocker(bob)(['create', '--name', bstop, image, 'true']));
    await ok(userDocker(bob)(['volume', 'create', bvol]));
    await ok(userDocker(bob)(['network', 'create', bnet]));
    await ok(userDocker(bob)(['commit', bstop, bimg]));
    bobId = (await ok(asRoot(['inspect', '-f', '{{.Id}}', bweb]))).stdout.toString().trim();
    aliceId = (await ok(asRoot(['inspect', '-f', '{{.Id}}', aweb]))).stdout.toString().trim();
  });

  after(async () => {
    if (served) {
      await asRoot(['rm', '-f', bweb, aweb, bstop]);
      await asRoot(['volume', 'rm', bvol]);
      await asRoot(['network', 'rm', bnet]);
      await asRoot(['rmi', bimg]);
    }
    await served?.stop();
    await g?.stop();
    for (const u of [alice, bob]) u?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('through the proxy, alice execs into her own container and not into bob’s', async () => {
    const own = await ok(userDocker(alice)(['exec', aweb, 'echo', 'mine']));
    assert.equal(own.stdout.toString().trim(), 'mine');
    const other = await userDocker(alice)(['exec', bweb, 'touch', '/tmp/pwned']);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /No such container/);
    await bobIntact();
  });

  test('signed as alice straight to dockerd, an exec into bob’s container is refused by the plugin', async () => {
    for (const ref of [bweb, bobId, bobId.slice(0, 8)]) {
      const r = await signedAs(alice, 'POST', `/v1.41/containers/${ref}/exec`, { Cmd: ['touch', '/tmp/pwned'] });
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, new RegExp(`authorization denied by plugin ${g.plugin.name}: No such container: ${ref}`));
    }
    await bobIntact();
  });

  test('signed as alice, starting an exec instance bob made is refused, and it never runs', async () => {
    const made = await signedAs(bob, 'POST', `/v1.41/containers/${bweb}/exec`, { Cmd: ['touch', '/tmp/pwned'] });
    assert.equal(made.status, 201, made.text);
    const execId = (JSON.parse(made.text) as { Id: string }).Id;
    const r = await signedAs(alice, 'POST', `/v1.41/exec/${execId}/start`, { Detach: true });
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /No such exec instance/);
    const state = await signedAs(bob, 'GET', `/v1.41/exec/${execId}/json`);
    assert.equal(state.status, 200, state.text);
    assert.equal((JSON.parse(state.text) as { Pid: number }).Pid, 0, 'the exec instance never started');
    await bobIntact();
  });

  test('signed as alice, bob’s container cannot be inspected, its logs read or removed', async () => {
    for (const [method, target] of [
      ['GET', `/v1.41/containers/${bweb}/json`],
      ['GET', `/v1.41/containers/${bweb}/logs?stdout=1`],
      ['DELETE', `/v1.41/containers/${bweb}?force=1`],
      ['POST', `/v1.41/containers/${bweb}/kill`],
    ] as const) {
      const r = await signedAs(alice, method, target);
      assert.equal(r.status, 403, `${method} ${target}: ${r.text}`);
      assert.match(r.text, /No such container/);
    }
    await bobIntact();
    const own = await signedAs(alice, 'GET', `/v1.41/containers/${aliceId}/json`);
    assert.equal(own.status, 200, own.text);
  });

  test('a create the plugin would have to stamp with an owner is refused, naming the label to send', async () => {
    const r = await signedAs(alice, 'POST', '/v1.41/containers/create', { Image: image, Cmd: ['true'] });
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, new RegExp(`--label dockgate\\.owner=${alice.name}`));
    const labelled = { Image: image, Cmd: ['true'], Labels: { 'dockgate.owner': alice.name } };
    const made = await signedAs(alice, 'POST', '/v1.41/containers/create', labelled);
    assert.equal(made.status, 201, made.text);
    const id = (JSON.parse(made.text) as { Id: string }).Id;
    const owner = await ok(asRoot(['inspect', '-f', '{{index .Config.Labels "dockgate.owner"}}', id]));
    assert.equal(owner.stdout.toString().trim(), alice.name);
    await ok(asRoot(['rm', id]));
    const claimed = await signedAs(alice, 'POST', '/v1.41/containers/create', {
      ...labelled,
      Labels: { 'dockgate.owner': bob.name },
    });
    assert.equal(claimed.status, 403, claimed.text);
  });

  /** A query's filters holding alice's owner label, as `--filter label=dockgate.owner=alice` sends it. */
  const own = () =>
    `filters=${encodeURIComponent(JSON.stringify({ label: { [`dockgate.owner=${alice.name}`]: true } }))}`;

  /** None of bob's objects is named in an answer. */
  function nothingOfBobs(text: string): void {
    for (const name of [bobId, bweb, bstop, bvol, bnet, bimg.split(':')[0]!])
      assert.ok(!text.includes(name), `bob's ${name} reached alice: ${text.slice(0, 300)}`);
  }

  test('signed as alice straight to dockerd, a list without her owner filter is refused and shows nothing of bob’s', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [target, hint] of [
      ['/v1.41/containers/json?all=1', `--filter label=dockgate.owner=${alice.name}`],
      ['/v1.41/volumes', `--filter label=dockgate.owner=${alice.name}`],
      [`/v1.41/events?since=0&until=${now}`, `--filter label=dockgate.owner=${alice.name}`],
      ['/v1.41/images/json', `--filter label=dockgate.owner=${alice.name}`],
      ['/v1.41/networks', `--filter label=dockgate.owner=${alice.name}`],
      ['/v1.41/system/df', 'through dockgate serve'],
      ['/v1.41/networks/host', 'through dockgate serve'],
      // Filters of another user's label (or another label) do not narrow the list to hers.
      [
        `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`dockgate.owner=${bob.name}`] }))}`,
        `--filter label=dockgate.owner=${alice.name}`,
      ],
    ] as const) {
      const r = await signedAs(alice, 'GET', target);
      assert.equal(r.status, 403, `${target}: ${r.text}`);
      assert.ok(r.text.includes(hint), `${target}: ${r.text}`);
      nothingOfBobs(r.text);
    }
  });

  test('signed as alice, a list with her owner filter answers, with her objects and none of bob’s', async () => {
    const ps = await signedAs(alice, 'GET', `/v1.41/containers/json?all=1&${own()}`);
    assert.equal(ps.status, 200, ps.text);
    assert.ok(ps.text.includes(aliceId), ps.text);
    nothingOfBobs(ps.text);
    for (const target of [`/v1.41/volumes?${own()}`, `/v1.41/images/json?${own()}`, `/v1.41/networks?${own()}`]) {
      const r = await signedAs(alice, 'GET', target);
      assert.equal(r.status, 200, `${target}: ${r.text}`);
      nothingOfBobs(r.text);
    }
  });

  test('signed as alice, an unfiltered prune is refused and bob’s stopped container is still there', async () => {
    const r = await signedAs(alice, 'POST', '/v1.41/containers/prune');
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /--filter label=dockgate\.owner=/);
    const filtered = await signedAs(alice, 'POST', `/v1.41/containers/prune?${own()}`);
    assert.equal(filtered.status, 200, filtered.text);
    nothingOfBobs(filtered.text);
    await ok(asRoot(['inspect', bstop]));
  });

  test('signed as alice, a commit that would make an image without her owner label is refused', async () => {
    const repo = `acommit-${process.pid}`;
    const r = await signedAs(alice, 'POST', `/v1.41/commit?container=${aweb}&repo=${repo}&tag=1`, {});
    assert.equal(r.status, 403, r.text);
    assert.match((JSON.parse(r.text) as { message: string }).message, /--change 'LABEL "dockgate\.owner"=/);
    assert.notEqual((await asRoot(['image', 'inspect', `${repo}:1`])).code, 0, 'the image was made');
    const label = encodeURIComponent(`LABEL "dockgate.owner"="${alice.name}"`);
    const made = await signedAs(
      alice,
      'POST',
      `/v1.41/commit?container=${aweb}&repo=${repo}&tag=2&changes=${label}`,
      {},
    );
    assert.equal(made.status, 201, made.text);
    const owner = await ok(
      asRoot(['image', 'inspect', '-f', '{{index .Config.Labels "dockgate.owner"}}', `${repo}:2`]),
    );
    assert.equal(owner.stdout.toString().trim(), alice.name);
    await ok(asRoot(['rmi', `${repo}:2`]));
  });

  test('through dockgate serve (both), alice’s docker ps, images, volume and network lists and df work, hers only', async () => {
    const alices = userDocker(alice);
    const ps = await ok(alices(['ps', '-a', '--format', '{{.Names}}']));
    assert.match(ps.stdout.toString(), new RegExp(aweb));
    for (const args of [
      ['ps', '-a'],
      ['images'],
      ['volume', 'ls'],
      ['network', 'ls'],
      ['system', 'df', '-v'],
      ['network', 'inspect', 'host'],
    ]) {
      const r = await ok(alices(args));
      nothingOfBobs(r.stdout.toString());
    }
  });

  /** Whether the daemon has a container of this name (made by anybody). */
  async function containerExists(name: string): Promise<boolean> {
    return (await asRoot(['container', 'inspect', name])).code === 0;
  }

  test('signed as alice, a create that mounts bob’s named volume is refused and no container is made', async () => {
    const labels = { 'dockgate.owner': alice.name };
    const name = `amount-${process.pid}`;
    for (const hostConfig of [
      { Binds: [`${bvol}:/data`] },
      { Mounts: [{ Type: 'volume', Source: bvol, Target: '/data', VolumeOptions: { Labels: labels } }] },
    ]) {
      const r = await signedAs(alice, 'POST', `/v1.41/containers/create?name=${name}`, {
        Image: image,
        Cmd: ['true'],
        Labels: labels,
        HostConfig: hostConfig,
      });
      // dockerd answers every refusal of a plugin with 403.
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, /volume name .* is in use by another user/);
      assert.ok(!(await containerExists(name)), 'the container was made');
    }
    const owner = await ok(asRoot(['volume', 'inspect', '-f', '{{index .Labels "dockgate.owner"}}', bvol]));
    assert.equal(owner.stdout.toString().trim(), bob.name);
  });

  test('signed as alice, a volume create without her owner label is refused naming it, and makes nothing', async () => {
    const avol = `avol-${process.pid}`;
    const r = await signedAs(alice, 'POST', '/v1.41/volumes/create', { Name: avol });
    assert.equal(r.status, 403, r.text);
    assert.ok(r.text.includes(`--label dockgate.owner=${alice.name}`), r.text);
    assert.notEqual((await asRoot(['volume', 'inspect', avol])).code, 0, 'the volume was made');
    const taken = await signedAs(alice, 'POST', '/v1.41/volumes/create', {
      Name: bvol,
      Labels: { 'dockgate.owner': alice.name },
    });
    assert.equal(taken.status, 403, taken.text);
    assert.match(taken.text, /in use by another user/);
    const made = await signedAs(alice, 'POST', '/v1.41/volumes/create', {
      Name: avol,
      Labels: { 'dockgate.owner': alice.name },
    });
    assert.equal(made.status, 201, made.text);
    const owner = await ok(asRoot(['volume', 'inspect', '-f', '{{index .Labels "dockgate.owner"}}', avol]));
    assert.equal(owner.stdout.toString().trim(), alice.name);
    await ok(asRoot(['volume', 'rm', avol]));
  });

  test('signed as alice, a create that would make a named volume without an owner is refused, and makes none', async () => {
    const fresh = `anew-${process.pid}`;
    const name = `anewc-${process.pid}`;
    const labels = { 'dockgate.owner': alice.name };
    const binds = await signedAs(alice, 'POST', `/v1.41/containers/create?name=${name}`, {
      Image: image,
      Cmd: ['true'],
      Labels: labels,
      HostConfig: { Binds: [`${fresh}:/data`] },
    });
    assert.equal(binds.status, 403, binds.text);
    assert.ok(binds.text.includes(`docker volume create --label dockgate.owner=${alice.name} ${fresh}`), binds.text);
    const mount = { Type: 'volume', Source: fresh, Target: '/data' };
    const unlabelled = await signedAs(alice, 'POST', `/v1.41/containers/create?name=${name}`, {
      Image: image,
      Cmd: ['true'],
      Labels: labels,
      HostConfig: { Mounts: [mount] },
    });
    assert.equal(unlabelled.status, 403, unlabelled.text);
    assert.ok(unlabelled.text.includes(`docker volume create --label dockgate.owner=${alice.name} ${fresh}`));
    assert.notEqual((await asRoot(['volume', 'inspect', fresh])).code, 0, 'the volume was made');
    assert.ok(!(await containerExists(name)), 'the container was made');
    // Made as the message says, it is hers; a --mount of it must carry the label the proxy
    // stamps (dockerd would make the volume with it, were it gone by then).
    const made = await signedAs(alice, 'POST', '/v1.41/volumes/create', { Name: fresh, Labels: labels });
    assert.equal(made.status, 201, made.text);
    const bare = await signedAs(alice, 'POST', `/v1.41/containers/create?name=${name}`, {
      Image: image,
      Cmd: ['true'],
      Labels: labels,
      HostConfig: { Mounts: [mount] },
    });
    assert.equal(bare.status, 403, bare.text);
    assert.ok(bare.text.includes(`volume-label=dockgate.owner=${alice.name}`), bare.text);
    assert.ok(!(await containerExists(name)), 'the container was made');
    const labelled = await signedAs(alice, 'POST', `/v1.41/containers/create?name=${name}`, {
      Image: image,
      Cmd: ['true'],
      Labels: labels,
      HostConfig: { Mounts: [{ ...mount, VolumeOptions: { Labels: labels } }] },
    });
    assert.equal(labelled.status, 201, labelled.text);
    const mounted = await ok(asRoot(['inspect', '-f', '{{(index .Mounts 0).Name}}', name]));
    assert.equal(mounted.stdout.toString().trim(), fresh);
    await ok(asRoot(['rm', name]));
    await ok(asRoot(['volume', 'rm', fresh]));
  });
});
