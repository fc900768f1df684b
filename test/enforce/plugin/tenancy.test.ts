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
    bobId = (await ok(asRoot(['inspect', '-f', '{{.Id}}', bweb]))).stdout.toString().trim();
    aliceId = (await ok(asRoot(['inspect', '-f', '{{.Id}}', aweb]))).stdout.toString().trim();
  });

  after(async () => {
    if (served) await asRoot(['rm', '-f', bweb, aweb]);
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
});
