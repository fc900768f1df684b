// End to end: per-user quotas and defaults through `dockgate serve` against the real daemon,
// as real Unix users with the docker CLI. Each promise is read back from the daemon's state:
// the limits a container got, its cgroup parent, how many of a user's containers run.
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

describe('quotas: per-user defaults and limits', {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let daemon: Daemon;
  let served: Served;
  let dir: string;
  let image: string;
  let alice: TestUser;
  let bob: TestUser;
  let asAlice: ReturnType<typeof dockerAt>;
  let asBob: ReturnType<typeof dockerAt>;
  let direct: ReturnType<typeof dockerAt>;
  const MiB = 1024 * 1024;

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    dir = fs.mkdtempSync('/tmp/dg-quotas-');
    fs.chmodSync(dir, 0o755);
    alice = createUser(1); // her extra group may use GPUs
    bob = createUser();
    const config = path.join(dir, 'dockgate.toml');
    fs.writeFileSync(
      config,
      [
        '[tenancy]',
        'cgroup_parent = "dockgate-{user}"',
        '[quotas]',
        'memory = "64MiB"',
        'max_memory = "256MiB"',
        'max_running = 1',
        `gpu_groups = ["${alice.groups[0]}"]`,
        'max_gpus = 1',
        '',
      ].join('\n'),
    );
    served = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666', '--config', config] });
    const as = (u: TestUser) => {
      const home = path.join(dir, u.name);
      fs.mkdirSync(home);
      fs.chownSync(home, u.uid, u.gid);
      return dockerAt(served.socket, { as: { uid: u.uid, gid: u.gid }, env: { HOME: home } });
    };
    asAlice = as(alice);
    asBob = as(bob);
    direct = dockerAt(daemon.socket);
  });

  after(async () => {
    for (const u of [alice, bob]) {
      const ids = (await direct(['ps', '-aq', '--filter', `label=dockgate.owner=${u?.name}`])).stdout
        .toString()
        .split(/\s+/);
      if (ids.some(Boolean)) await direct(['rm', '-f', ...ids.filter(Boolean)]);
    }
    await served?.stop();
    alice?.remove();
    bob?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
    await daemon?.stop();
  });

  async function running(u: TestUser): Promise<string[]> {
    const r = await ok(direct(['ps', '-q', '--filter', `label=dockgate.owner=${u.name}`]));
    return r.stdout.toString().split('\n').filter(Boolean);
  }

  test('a container that sets no limits gets the default memory and the user cgroup parent, and runs', async () => {
    await ok(asAlice(['run', '-d', '--name', `aq1-${process.pid}`, image, 'sleep', '600']));
    const r = await ok(
      direct([
        'inspect',
        '-f',
        '{{.HostConfig.Memory}} {{.HostConfig.CgroupParent}} {{.State.Running}}',
        `aq1-${process.pid}`,
      ]),
    );
    assert.equal(r.stdout.toString().trim(), `${64 * MiB} dockgate-${alice.name} true`);
  });

  test('a second running container is refused, saying how many run; another user is not held back', async () => {
    const r = await asAlice(['run', '-d', image, 'sleep', '600']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /quotas: you have 1 running containers; the most per user here is 1/);
    assert.equal((await running(alice)).length, 1, "alice's second container does not run");
    await ok(asBob(['run', '-d', '--name', `bq1-${process.pid}`, image, 'sleep', '600']));
    assert.equal((await running(bob)).length, 1);
  });

  test('memory over the most is refused at create and at docker update; the container keeps its limit', async () => {
    const create = await asBob(['create', '--memory', '1g', image, 'true']);
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, /quotas: memory .* is over the most a container may have here/);
    const update = await asBob(['update', '--memory', '1g', '--memory-swap', '2g', `bq1-${process.pid}`]);
    assert.notEqual(update.code, 0);
    assert.match(update.stderr, /over the most/);
    const r = await ok(direct(['inspect', '-f', '{{.HostConfig.Memory}}', `bq1-${process.pid}`]));
    assert.equal(r.stdout.toString().trim(), String(64 * MiB));
  });

  test('GPUs: only members of gpu_groups may ask, and no more than the per-user most', async () => {
    const bobGpu = await asBob(['create', '--gpus', '1', image, 'true']);
    assert.notEqual(bobGpu.code, 0);
    assert.match(bobGpu.stderr, new RegExp(`GPUs are for members of ${alice.groups[0]}`));
    const tooMany = await asAlice(['create', '--gpus', '2', image, 'true']);
    assert.notEqual(tooMany.code, 0);
    assert.match(tooMany.stderr, /2 GPUs is over the most one user may hold here \(1\)/);
    const all = await asAlice(['create', '--gpus', 'all', image, 'true']);
    assert.notEqual(all.code, 0);
    // A member's request within the most is created (this host has no GPU to start it on).
    await ok(asAlice(['create', '--name', `agpu-${process.pid}`, '--gpus', '1', image, 'true']));
    const r = await ok(direct(['inspect', '-f', '{{json .HostConfig.DeviceRequests}}', `agpu-${process.pid}`]));
    assert.match(r.stdout.toString(), /"Count":1/);
  });
});
