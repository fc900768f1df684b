// End to end: users alice and bob and admin boss share one daemon through `dockgate serve`
// (config: admin_groups), each connecting as themselves with the real docker CLI. alice's
// objects are hers: bob can neither see nor reach them in any spelling, and what he tried is
// proven by the daemon's state (alice's container still running, unchanged), not by messages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { canManageUsers, type dockerAt, ok, run, type Served, type TestUser } from '../../harness/index.js';
import { requestAs } from '../../harness/raw-as-user.js';
import { usersBehindServe, type UsersBehindServe } from '../../harness/tenants.js';

const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

describe('tenancy: each user sees and reaches only their own objects', {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let env: UsersBehindServe<readonly [TestUser, TestUser, TestUser]>;
  let served: Served;
  let dir: string;
  let image: string;
  let alice: TestUser;
  let bob: TestUser;
  let boss: TestUser;
  let asAlice: ReturnType<typeof dockerAt>;
  let asBob: ReturnType<typeof dockerAt>;
  let asBoss: ReturnType<typeof dockerAt>;
  let direct: ReturnType<typeof dockerAt>;
  let aliceId: string;
  const web = `aweb-${process.pid}`;
  const vol = `avol-${process.pid}`;

  const homeOf = (u: TestUser) => env.home(u);

  /** What the daemon itself says of alice's container: it is there, running, unchanged. */
  async function aliceContainerIntact(): Promise<void> {
    const r = await ok(
      direct(['inspect', '-f', '{{.State.Running}} {{.Name}} {{index .Config.Labels "dockgate.owner"}}', aliceId]),
    );
    assert.equal(r.stdout.toString().trim(), `true /${web} ${alice.name}`);
  }

  /** As `u`, a raw HTTP request through the proxy: status and body. */
  const rawAs = (u: TestUser, method: string, target: string, body?: unknown) =>
    requestAs(served.socket, { uid: u.uid, gid: u.gid }, method, target, body);

  before(async () => {
    env = await usersBehindServe(
      [0, 0, 1],
      ([, , admin]) => `[identity]\nadmin_groups = ["${admin.groups[0]}"]\n`,
      'dg-tenancy-',
    );
    ({
      served,
      dir,
      image,
      direct,
      users: [alice, bob, boss],
    } = env);
    asAlice = env.docker(alice);
    asBob = env.docker(bob);
    asBoss = env.docker(boss);
    await ok(asAlice(['volume', 'create', vol]));
    await ok(asAlice(['run', '-d', '--name', web, '-v', `${vol}:/data`, image, 'sleep', '600']));
    aliceId = (await ok(direct(['inspect', '-f', '{{.Id}}', web]))).stdout.toString().trim();
  });

  after(async () => {
    const ids = (await direct(['ps', '-aq', '--filter', `label=dockgate.owner`])).stdout.toString().split(/\s+/);
    if (ids.some(Boolean)) await direct(['rm', '-f', ...ids.filter(Boolean)]);
    await direct(['volume', 'rm', '-f', vol, `bvol-${process.pid}`]);
    await env?.stop();
  });

  test("alice's container and volume carry her name as their owner label", async () => {
    const c = await ok(direct(['inspect', '-f', '{{index .Config.Labels "dockgate.owner"}}', aliceId]));
    assert.equal(c.stdout.toString().trim(), alice.name);
    const v = await ok(direct(['volume', 'inspect', '-f', '{{index .Labels "dockgate.owner"}}', vol]));
    assert.equal(v.stdout.toString().trim(), alice.name);
  });

  test("bob's docker ps -a never lists it, not even when he filters on alice's owner label", async () => {
    for (const args of [
      ['ps', '-aq', '--no-trunc'],
      ['ps', '-aq', '--no-trunc', '--filter', `label=dockgate.owner=${alice.name}`],
      ['ps', '-aq', '--no-trunc', '--filter', `name=${web}`],
    ]) {
      const r = await ok(asBob(args));
      assert.ok(!r.stdout.toString().includes(aliceId), `${args.join(' ')} listed alice's container`);
    }
    // The old filter spelling (a list per key) is read as dockerd reads it, and narrowed the same way.
    const legacy = encodeURIComponent(JSON.stringify({ label: [`dockgate.owner=${alice.name}`] }));
    const r = await rawAs(bob, 'GET', `/v1.41/containers/json?all=1&filters=${legacy}`);
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes(aliceId));
    const own = await ok(asAlice(['ps', '-q', '--no-trunc']));
    assert.ok(own.stdout.toString().includes(aliceId), 'alice lists her own container');
  });

  test('bob cannot inspect it by name, full id or a 6-character id prefix: it does not exist for him', async () => {
    for (const ref of [web, aliceId, aliceId.slice(0, 6)]) {
      const r = await asBob(['container', 'inspect', ref]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`No such (object|container): ${ref}`));
      const raw = await rawAs(bob, 'GET', `/v1.41/containers/${ref}/json`);
      assert.equal(raw.status, 404);
      assert.equal(JSON.parse(raw.text).message, `No such container: ${ref}`, 'worded as dockerd words a missing one');
    }
  });

  test('bob cannot exec into it, by name or through an exec id alice made', async () => {
    for (const ref of [web, aliceId.slice(0, 12)]) {
      const r = await asBob(['exec', ref, 'id']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /No such container/);
    }
    const made = await rawAs(alice, 'POST', `/v1.41/containers/${web}/exec`, { Cmd: ['touch', '/data/from-exec'] });
    assert.equal(made.status, 201, made.text);
    const execId = JSON.parse(made.text).Id as string;
    for (const [method, target, body] of [
      ['GET', `/v1.41/exec/${execId}/json`, undefined],
      ['POST', `/v1.41/exec/${execId}/start`, { Detach: true }],
      ['POST', `/v1.41/exec/${execId}/resize?h=10&w=10`, undefined],
    ] as const) {
      const r = await rawAs(bob, method, target, body);
      assert.equal(r.status, 404, `${method} ${target}: ${r.text}`);
      assert.equal(JSON.parse(r.text).message, `No such exec instance: ${execId}`);
    }
    // The exec never ran: the file it would have made is not there.
    const ls = await direct(['exec', aliceId, 'ls', '/data']);
    assert.ok(!ls.stdout.toString().includes('from-exec'));
  });

  test('bob cannot read its logs, stop, kill, rm, cp from, export, commit, rename, update, attach, pause or wait on it', async () => {
    const attempts: string[][] = [
      ['logs', web],
      ['stop', '-t', '1', web],
      ['kill', web],
      ['rm', web],
      ['cp', `${web}:/etc/passwd`, path.join(homeOf(bob), 'stolen')],
      ['export', '-o', path.join(homeOf(bob), 'export.tar'), web],
      ['commit', web, `bob-copy-${process.pid}`],
      ['rename', web, `bobs-${process.pid}`],
      ['update', '--memory', '64m', web],
      ['pause', web],
      ['restart', '-t', '1', web],
      ['top', web],
      ['port', web],
      ['diff', web],
    ];
    for (const args of attempts) {
      const r = await asBob(args);
      assert.notEqual(r.code, 0, `${args.join(' ')} succeeded`);
      assert.match(r.stderr, /No such container/, `${args.join(' ')}: ${r.stderr}`);
    }
    const attach = await asBob(['attach', '--no-stdin', web], { timeoutMs: 10_000 });
    assert.notEqual(attach.code, 0);
    // rm -f: the CLI says nothing of a container that does not exist, so the daemon's state speaks.
    await asBob(['rm', '-f', web]);
    assert.ok(!fs.existsSync(path.join(homeOf(bob), 'stolen')));
    assert.equal((await direct(['images', '-q', `bob-copy-${process.pid}`])).stdout.toString().trim(), '');
    await aliceContainerIntact();
  });

  test("bob cannot list, inspect, remove or mount alice's volume", async () => {
    const ls = await ok(asBob(['volume', 'ls', '-q']));
    assert.ok(!ls.stdout.toString().split('\n').includes(vol));
    for (const args of [
      ['volume', 'inspect', vol],
      ['volume', 'rm', vol],
    ]) {
      const r = await asBob(args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no such volume/);
    }
    const mount = await asBob(['run', '--rm', '-v', `${vol}:/d`, image, 'ls', '/d']);
    assert.notEqual(mount.code, 0);
    assert.match(mount.stderr, /in use by another user/);
    const mount2 = await asBob(['run', '--rm', '--mount', `type=volume,source=${vol},target=/d`, image, 'true']);
    assert.notEqual(mount2.code, 0);
    assert.equal((await ok(direct(['volume', 'inspect', '-f', '{{.Name}}', vol]))).stdout.toString().trim(), vol);
  });

  test('bob cannot join it: --volumes-from, --pid container:, --ipc container:, --network container:, --link', async () => {
    for (const flag of [
      ['--volumes-from', web],
      ['--pid', `container:${web}`],
      ['--ipc', `container:${web}`],
      ['--network', `container:${web}`],
      ['--link', `${web}:w`],
    ]) {
      const r = await asBob(['create', '--pull', 'never', ...flag, image, 'true']);
      assert.notEqual(r.code, 0, `${flag.join(' ')} was created`);
      // Answered as a join of a missing container is: the pack's refusal, or dockerd's "no such".
      const missing = `nonesuch-${process.pid}`;
      const m = await asBob(['create', '--pull', 'never', ...flag.map((f) => f.replace(web, missing)), image, 'true']);
      assert.equal(r.stderr.split(web).join(missing), m.stderr, flag.join(' '));
    }
    const made = await ok(direct(['ps', '-aq', '--filter', `label=dockgate.owner=${bob.name}`]));
    assert.equal(made.stdout.toString().trim(), '', 'no container of bob was created');
  });

  test('bob cannot forge an owner label on his own container, volume or network', async () => {
    for (const args of [
      ['run', '--rm', '--label', `dockgate.owner=${alice.name}`, image, 'true'],
      ['volume', 'create', '--label', `dockgate.owner=${alice.name}`, `forged-${process.pid}`],
      ['network', 'create', '--label', `dockgate.owner=${alice.name}`, `forged-${process.pid}`],
    ]) {
      const r = await asBob(args);
      assert.notEqual(r.code, 0, `${args.join(' ')} succeeded`);
      assert.match(r.stderr, /dockgate.owner is set by dockgate/);
    }
    // Labels in a committed image are tenancy-attacks.test.ts's: they are overwritten, not refused.
    const labelled = await ok(direct(['ps', '-aq', '--filter', `label=dockgate.owner=${alice.name}`]));
    assert.deepEqual(labelled.stdout.toString().trim().split('\n'), [aliceId.slice(0, 12)]);
  });

  test("bob does not see alice's events on a live stream; alice sees her own", async () => {
    const bobEvents = asBob(['events', '--format', '{{.Actor.ID}}'], { timeoutMs: 6_000 });
    const aliceEvents = asAlice(['events', '--format', '{{.Actor.ID}}'], { timeoutMs: 6_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    await ok(asAlice(['exec', web, 'true']));
    const [b, a] = await Promise.all([bobEvents, aliceEvents]);
    assert.ok(a.stdout.toString().includes(aliceId), 'alice saw her exec');
    assert.ok(!b.stdout.toString().includes(aliceId), 'bob saw an event of alice');
  });

  test('a name another user holds is refused with a 409 that does not say whose it is', async () => {
    const r = await rawAs(bob, 'POST', `/v1.41/containers/create?name=${web}`, { Image: image });
    assert.equal(r.status, 409);
    const message = JSON.parse(r.text).message as string;
    assert.match(message, /in use by another user/);
    assert.ok(!message.includes(alice.name) && !message.includes(aliceId.slice(0, 12)));
    const v = await asBob(['volume', 'create', vol]);
    assert.notEqual(v.code, 0);
    assert.match(v.stderr, /in use by another user/);
  });

  test('lists show bob his own objects and the shared base images; pruning removes only his', async () => {
    await ok(
      asBob(['run', '-d', '--name', `bweb-${process.pid}`, '-v', `bvol-${process.pid}:/d`, image, 'sleep', '600']),
    );
    await ok(asBob(['create', '--name', `bstopped-${process.pid}`, image, 'true']));
    await ok(asAlice(['create', '--name', `astopped-${process.pid}`, image, 'true']));
    const vols = (await ok(asBob(['volume', 'ls', '-q']))).stdout.toString().trim().split('\n');
    assert.deepEqual(vols, [`bvol-${process.pid}`], 'the volume his run created is his');
    const images = await ok(asBob(['images', '--format', '{{.Repository}}']));
    assert.ok(images.stdout.toString().includes('dockgate-test/busybox'));
    const df = await ok(asBob(['system', 'df', '-v', '--format', '{{json .}}']));
    assert.ok(!df.stdout.toString().includes(aliceId.slice(0, 12)) && !df.stdout.toString().includes(vol));
    await ok(asBob(['container', 'prune', '-f']));
    const left = await ok(direct(['ps', '-a', '--format', '{{.Names}}']));
    assert.ok(
      left.stdout.toString().includes(`astopped-${process.pid}`),
      "bob's prune removed alice's stopped container",
    );
    assert.ok(!left.stdout.toString().includes(`bstopped-${process.pid}`), "bob's prune left his own");
  });

  test('boss, an admin, sees and can exec into both users containers', async () => {
    const ps = (await ok(asBoss(['ps', '-q', '--no-trunc']))).stdout.toString();
    assert.ok(ps.includes(aliceId));
    assert.ok(
      ps.includes((await ok(direct(['inspect', '-f', '{{.Id}}', `bweb-${process.pid}`]))).stdout.toString().trim()),
    );
    assert.equal((await ok(asBoss(['exec', web, 'echo', 'boss-in-alice']))).stdout.toString().trim(), 'boss-in-alice');
    assert.equal(
      (await ok(asBoss(['exec', `bweb-${process.pid}`, 'echo', 'boss-in-bob']))).stdout.toString().trim(),
      'boss-in-bob',
    );
  });

  test("an admin's container (made before dockgate, or by an admin) is out of an ordinary user's reach", async () => {
    const adminWeb = `admin-${process.pid}`;
    await ok(direct(['run', '-d', '--name', adminWeb, '-v', '/etc:/host-etc:ro', image, 'sleep', '600']));
    try {
      const r = await asAlice(['exec', adminWeb, 'cat', '/host-etc/shadow']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /No such container/);
      const cp = await asAlice(['cp', `${adminWeb}:/host-etc/shadow`, path.join(homeOf(alice), 'shadow')]);
      assert.notEqual(cp.code, 0);
      assert.ok(!fs.existsSync(path.join(homeOf(alice), 'shadow')));
    } finally {
      await direct(['rm', '-f', adminWeb]);
    }
  });

  test('alice may join her own container (no host mounts): volumes-from and its namespaces', async () => {
    await ok(asAlice(['exec', web, 'touch', '/data/alice-file']));
    const r = await ok(
      asAlice([
        'run',
        '--rm',
        '--volumes-from',
        web,
        '--pid',
        `container:${web}`,
        '--network',
        `container:${web}`,
        image,
        'sh',
        '-c',
        'ls /data; ps',
      ]),
    );
    assert.match(r.stdout.toString(), /alice-file/, 'the joined volume is there');
    assert.match(r.stdout.toString(), /sleep 600/, "the joined pid namespace shows her container's process");
  });

  test('alice can exec into, stop and remove her own container, after all of that', async () => {
    await aliceContainerIntact();
    assert.equal((await ok(asAlice(['exec', web, 'echo', 'mine']))).stdout.toString().trim(), 'mine');
    await ok(asAlice(['stop', '-t', '1', web]));
    await ok(asAlice(['rm', web]));
    const gone = await direct(['inspect', aliceId]);
    assert.notEqual(gone.code, 0);
  });

  test("docker-compose: each user runs their own project; bob cannot see or stop alice's", {
    skip: !hasCompose && 'docker-compose not installed',
  }, async () => {
    const project = path.join(dir, 'compose');
    fs.mkdirSync(project, { mode: 0o755 });
    fs.writeFileSync(
      path.join(project, 'docker-compose.yml'),
      `version: "2.4"\nservices:\n  app:\n    image: ${image}\n    command: sleep 600\n    network_mode: none\n`,
    );
    const compose = (u: TestUser, name: string, ...args: string[]) =>
      run('docker-compose', ['-p', name, ...args], {
        as: { uid: u.uid, gid: u.gid },
        cwd: project,
        env: { DOCKER_HOST: `unix://${served.socket}`, HOME: homeOf(u) },
        timeoutMs: 60_000,
      });
    const aproj = `ap${process.pid}`;
    const bproj = `bp${process.pid}`;
    await ok(compose(alice, aproj, 'up', '-d'));
    await ok(compose(bob, bproj, 'up', '-d'));
    const bobPs = await ok(compose(bob, aproj, 'ps', '-q'));
    assert.equal(bobPs.stdout.toString().trim(), '', "bob's compose ps lists alice's project");
    await compose(bob, aproj, 'down');
    await compose(bob, aproj, 'stop');
    const running = await ok(direct(['ps', '-q', '--filter', `label=com.docker.compose.project=${aproj}`]));
    assert.notEqual(running.stdout.toString().trim(), '', "alice's project is still running");
    assert.notEqual((await ok(compose(alice, aproj, 'ps', '-q'))).stdout.toString().trim(), '');
    await ok(compose(alice, aproj, 'down'));
    await ok(compose(bob, bproj, 'down'));
  });
});
