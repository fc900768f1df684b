// dockgate plugin with the built-in pack behind a real dockerd, the real docker CLI talking to
// the daemon's own socket as root: escapes are refused with the rule's message and leave no
// container behind, safe runs work, bodies dockerd hides from plugins are refused, and a policy
// that denies everything, does not compile or throws never locks the daemon nor lets requests by.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dockerAt } from '../../harness/docker.js';
import { ensureTestImage } from '../../harness/image.js';
import { rawExchange, splitResponses } from '../../harness/raw.js';
import { type GuardedDaemon, startGuardedDaemon } from './plugin-harness.js';

let g: GuardedDaemon;
let docker: ReturnType<typeof dockerAt>;
let image: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dgplug-'));

before(async () => {
  g = await startGuardedDaemon();
  docker = dockerAt(g.daemon.socket);
  image = ensureTestImage(g.daemon.socket);
});

after(async () => {
  await g?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
  assert.equal(fs.existsSync(g.plugin.socket), false, 'the plugin socket is removed');
});

/** Every container at the daemon, running or not. */
async function containerIds(): Promise<string[]> {
  const r = await docker(['ps', '-aq', '--no-trunc']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.toString().split('\n').filter(Boolean).sort();
}

function createBody(extra: Record<string, unknown>): string {
  return JSON.stringify({ Image: image, Cmd: ['true'], ...extra });
}

/** A raw request straight to the daemon socket; the status and text of the answer. */
async function raw(head: string, body = ''): Promise<{ status: number; text: string }> {
  const reply = await rawExchange(g.daemon.socket, `${head}\r\n\r\n${body}`, {
    timeoutMs: 15_000,
    until: (d) => splitResponses(d).length > 0,
  });
  const [res] = splitResponses(reply.data);
  assert.ok(res, `no answer: ${reply.data.toString()}`);
  return { status: res.status, text: res.body.toString() };
}

describe('built-in pack through the plugin', () => {
  test('a safe run works: docker run --rm bb echo ok', async () => {
    const r = await docker(['run', '--rm', image, 'echo', 'ok']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString().trim(), 'ok');
  });

  const escapes: Array<[string, string[], string]> = [
    ['--privileged', ['--privileged'], 'privileged'],
    ['-v /etc:/e', ['-v', '/etc:/e'], 'mounts'],
    ['--pid=host', ['--pid=host'], 'host-namespaces'],
    ['--cap-add SYS_ADMIN', ['--cap-add', 'SYS_ADMIN'], 'capabilities'],
  ];
  for (const [label, flags, rule] of escapes) {
    test(`docker run ${label} is refused by ${rule}, and no container is made`, async () => {
      const before = await containerIds();
      const r = await docker(['run', '--rm', ...flags, image, 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`authorization denied by plugin ${g.plugin.name}: .*${rule}: `));
      assert.deepEqual(await containerIds(), before);
    });
  }

  test("the daemon's own socket bound into a container is refused", async () => {
    const before = await containerIds();
    const r = await docker(['run', '--rm', '-v', `${g.daemon.socket}:/var/run/docker.sock`, image, 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /authorization denied by plugin .*: (mounts|run-as-caller): /);
    assert.deepEqual(await containerIds(), before);
  });

  test('a host bind from a caller the daemon cannot name is refused: it could not run as the caller', async () => {
    const r = await docker(['run', '--rm', '-v', `${tmp}:/x`, image, 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /run-as-caller: a host mount needs a caller with a Unix uid/);
  });

  test('a privileged create sent chunked (no Content-Length) reaches the plugin without its body: refused, nothing made', async () => {
    const before = await containerIds();
    const body = createBody({ HostConfig: { Privileged: true } });
    const chunked = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const r = await raw(
      'POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close',
      chunked,
    );
    assert.equal(r.status, 403, r.text);
    // A dockerd with the CVE-2024-41110 fix passes chunked bodies on (judged: privileged); one
    // without it passes none (refused for the missing body). Either way: refused.
    assert.match(r.text, /did not pass this request's body to the plugin|privileged: /);
    assert.deepEqual(await containerIds(), before);
  });

  test('a privileged create with Content-Length: 0 is judged as the empty create it is, and dockerd makes nothing privileged', async () => {
    const before = await containerIds();
    const r = await raw(
      'POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close',
      createBody({ HostConfig: { Privileged: true } }),
    );
    // Judged with no body: dockerd itself then refuses a create without a config.
    assert.notEqual(r.status, 201, r.text);
    assert.deepEqual(await containerIds(), before);
  });

  test('a create whose URI ends in /auth (dockerd then hides the body) is refused, nothing made', async () => {
    const before = await containerIds();
    const body = createBody({ HostConfig: { Privileged: true } });
    const r = await raw(
      `POST /v1.41/containers/create?name=x/auth HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`,
      body,
    );
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /did not pass this request's body|privileged: /);
    assert.deepEqual(await containerIds(), before);
  });

  for (const contentType of ['application/json; charset=utf-8', 'APPLICATION/JSON']) {
    test(`a privileged create sent as ${contentType} is judged on its body and refused by privileged`, async () => {
      const before = await containerIds();
      const body = createBody({ HostConfig: { Privileged: true } });
      const r = await raw(
        `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`,
        body,
      );
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, /privileged: /);
      assert.deepEqual(await containerIds(), before);
    });
  }

  test('a create with Go-folded keys ({"hostconfig":{"PRIVILEGED":true}}) is read as dockerd reads it and refused', async () => {
    const before = await containerIds();
    const body = JSON.stringify({ Image: image, Cmd: ['true'], hostconfig: { PRIVILEGED: true } });
    const r = await raw(
      `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`,
      body,
    );
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /privileged: /);
    assert.deepEqual(await containerIds(), before);
  });

  test('an absolute-form URI is routed by its path and judged like any other', async () => {
    const before = await containerIds();
    const body = createBody({ HostConfig: { Privileged: true } });
    const r = await raw(
      `POST http://docker/v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close`,
      body,
    );
    assert.equal(r.status, 403, r.text);
    assert.deepEqual(await containerIds(), before);
  });

  test('exec as root into a container works only as the pack allows: looked up live at the daemon', async () => {
    const created = await docker(['create', image, 'sleep', '60']);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.toString().trim();
    try {
      assert.equal((await docker(['start', id])).code, 0);
      const r = await docker(['exec', id, 'echo', 'in']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString().trim(), 'in');
    } finally {
      await docker(['rm', '-f', id]);
    }
  });

  test('a build is refused: dockerd never shows a build context to a plugin', async () => {
    fs.writeFileSync(path.join(tmp, 'Dockerfile'), `FROM ${image}\nRUN true\n`);
    const r = await docker(['build', '-q', tmp], { env: { DOCKER_BUILDKIT: '0' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /image builds cannot be judged by the plugin/);
  });
});

describe('a plugin whose policy refuses, fails or throws', () => {
  const policyDir = path.join(tmp, 'policies');

  test('under a deny-all policy, docker plugin ls and docker version work and docker ps is refused', async () => {
    fs.mkdirSync(policyDir, { recursive: true });
    const file = path.join(policyDir, 'deny.rego');
    fs.writeFileSync(file, 'package docker.authz\n\ndefault allow := false\n');
    await g.restartPlugin(['--policy', file]);
    const ls = await docker(['plugin', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    const v = await docker(['version', '--format', '{{.Server.Version}}']);
    assert.equal(v.code, 0, v.stderr);
    const ps = await docker(['ps']);
    assert.notEqual(ps.code, 0);
    assert.match(ps.stderr, /authorization denied by plugin/);
  });

  test('a policy that does not compile: the plugin starts, refuses every request saying why, and the lifecycle still works', async () => {
    const file = path.join(policyDir, 'broken.rego');
    fs.writeFileSync(file, 'package docker.authz\n\nallow if {\n');
    const p = await g.restartPlugin(['--policy', file]);
    assert.match(p.stderr(), /the policy did not load/);
    const ps = await docker(['ps']);
    assert.notEqual(ps.code, 0);
    assert.match(ps.stderr, /no policy in force: the policy did not load/);
    const run = await docker(['run', '--rm', image, 'true']);
    assert.notEqual(run.code, 0);
    assert.equal((await docker(['plugin', 'ls'])).code, 0);
  });

  test('a policy that throws while evaluating refuses the request and says the policy could not be evaluated', async () => {
    const file = path.join(policyDir, 'throws.rego');
    fs.writeFileSync(
      file,
      // Two values for one complete rule: an evaluation error at request time.
      'package docker.authz\n\nimport rego.v1\n\ndefault allow := false\n\nx := 1 if input.Method\n\nx := 2 if input.Method\n\nallow if x == 1\n',
    );
    await g.restartPlugin(['--policy', file]);
    const ps = await docker(['ps']);
    assert.notEqual(ps.code, 0);
    assert.match(ps.stderr, /the policy could not be evaluated/);
  });

  test('live look-ups: exec as root and docker cp into a container that mounts a host path are refused, the files untouched', async () => {
    // Made under an allow-all policy (as an admin could), judged afterwards by the pack.
    fs.mkdirSync(policyDir, { recursive: true });
    const file = path.join(policyDir, 'allow.rego');
    fs.writeFileSync(file, 'package docker.authz\n\ndefault allow := true\n');
    await g.restartPlugin(['--policy', file]);
    const shared = path.join(tmp, 'shared');
    fs.mkdirSync(shared, { recursive: true });
    const created = await docker(['run', '-d', '-v', `${shared}:/x`, image, 'sleep', '60']);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.toString().trim();
    try {
      await g.restartPlugin([]);
      const exec = await docker(['exec', '-u', '0', id, 'touch', '/x/by-root']);
      assert.notEqual(exec.code, 0);
      assert.match(exec.stderr, /run-as-caller: exec as user "0" in a container that mounts a host path/);
      const src = path.join(tmp, 'payload');
      fs.writeFileSync(src, 'x');
      const cp = await docker(['cp', src, `${id}:/x/copied`]);
      assert.notEqual(cp.code, 0);
      assert.match(cp.stderr, /file-access: /);
      assert.deepEqual(fs.readdirSync(shared), []);
      // A container without host mounts may still be entered.
      const plain = await docker(['run', '-d', image, 'sleep', '60']);
      assert.equal(plain.code, 0, plain.stderr);
      const pid = plain.stdout.toString().trim();
      const ok = await docker(['exec', pid, 'true']);
      await docker(['rm', '-f', pid]);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      await g.restartPlugin(['--policy', file]);
      await docker(['rm', '-f', id]);
    }
  });

  test('back on the built-in pack, the daemon answers again', async () => {
    await g.restartPlugin([]);
    const r = await docker(['ps']);
    assert.equal(r.code, 0, r.stderr);
  });
});
