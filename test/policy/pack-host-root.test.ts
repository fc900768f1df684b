// The built-in pack against the roads to host root of issue 14, on input documents built the
// way the proxy builds them: host mounts run as the caller, the lifecycle after create, and
// allowlists (drivers, local volume options, create fields and values, ports).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import type { InputIdentity, InputTarget } from '../../src/docker/input.js';
import { PolicyEngine, type PolicyDecision } from '../../src/policy/index.js';
import { toJS } from '../../src/rego/index.js';

const home = realpathSync(mkdtempSync(join(tmpdir(), 'dg-hostroot-home-')));
const alice: InputIdentity = {
  uid: 1000,
  gid: 1001,
  user: 'alice',
  groups: ['alice'],
  admin: false,
  pid: 1,
  home,
  via: 'peercred',
};
const admin: InputIdentity = { ...alice, uid: 0, gid: 0, user: 'root', admin: true, home: '/root' };

let engine: PolicyEngine;
before(async () => {
  engine = await PolicyEngine.load({});
});

interface Judged extends PolicyDecision {
  mutated: unknown;
}

async function judge(
  method: string,
  target: string,
  body?: unknown,
  opts: { identity?: InputIdentity; target?: InputTarget | null } = {},
): Promise<Judged> {
  const routed = routeRequest({ method, target });
  const { input } = await readRequest({
    routed,
    method,
    target,
    headers: {},
    identity: opts.identity ?? alice,
    layer: 'proxy',
    targetObject: opts.target,
    body: body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const d = engine.decide(input);
  const mutated = engine.mutatedBody(input);
  return { ...d, mutated: mutated === undefined ? undefined : toJS(mutated) };
}

const create = (hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}, identity = alice) =>
  judge(
    'POST',
    '/v1.41/containers/create',
    { Image: 'busybox', Cmd: ['true'], ...extra, HostConfig: hostConfig },
    { identity },
  );

function refusedBy(d: PolicyDecision, rule: string): void {
  assert.equal(d.allow, false, `expected a refusal by ${rule}`);
  assert.ok(
    d.reasons.some((r) => r.rule === rule),
    `expected rule ${rule}, got ${JSON.stringify(d.reasons)}`,
  );
}

function allowed(d: PolicyDecision): void {
  assert.deepEqual(d.reasons, []);
  assert.equal(d.allow, true);
}

const bindHome = { Binds: [`${home}/src:/src`] };
const container = (hostMounts: boolean, user = ''): InputTarget => ({
  type: 'container',
  id: 'c'.repeat(64),
  name: 'box',
  owner: null,
  mine: false,
  labels: {},
  user,
  host_mounts: hostMounts,
});

describe('a container that mounts a host path runs as the caller', () => {
  test('a bind in the home is allowed and rewritten to the caller uid:gid with no-new-privileges', async () => {
    const d = await create(bindHome);
    allowed(d);
    const body = d.mutated as { User: string; HostConfig: { SecurityOpt: string[] } };
    assert.equal(body.User, '1000:1001');
    assert.deepEqual(body.HostConfig.SecurityOpt, ['no-new-privileges']);
  });
  test('the caller own uid is completed with the primary gid; existing options are kept', async () => {
    const d = await create({ ...bindHome, SecurityOpt: ['apparmor=docker-default'] }, { User: '1000' });
    const body = d.mutated as { User: string; HostConfig: { SecurityOpt: string[] } };
    assert.equal(body.User, '1000:1001');
    assert.deepEqual(body.HostConfig.SecurityOpt, ['apparmor=docker-default', 'no-new-privileges']);
  });
  test('a body already running as the caller with no-new-privileges and bind mounts needs no rewrite', async () => {
    const d = await create(
      { Mounts: [{ Type: 'bind', Source: `${home}/src`, Target: '/src' }], SecurityOpt: ['no-new-privileges:true'] },
      { User: '1000:1001' },
    );
    allowed(d);
    assert.equal(d.mutated, undefined);
  });
  test('host-path Binds become bind Mounts (dockerd creates a missing Binds source as root at every start)', async () => {
    const d = await create({
      Binds: [`${home}/a:/a:ro,rshared`, 'named:/n', '/anon', `${home}/b:/b`],
      Mounts: [{ Type: 'tmpfs', Target: '/t' }],
    });
    allowed(d);
    const hc = (d.mutated as { HostConfig: { Binds: string[]; Mounts: unknown[] } }).HostConfig;
    assert.deepEqual(hc.Binds, ['named:/n', '/anon']);
    assert.deepEqual(hc.Mounts, [
      { Type: 'tmpfs', Target: '/t' },
      { Type: 'bind', Source: `${home}/a`, Target: '/a', ReadOnly: true, BindOptions: { Propagation: 'rshared' } },
      { Type: 'bind', Source: `${home}/b`, Target: '/b', ReadOnly: false },
    ]);
    refusedBy(await create({ Binds: [`${home}/a:/a:Z`] }), 'run-as-caller');
    refusedBy(
      await create({
        Mounts: [{ Type: 'bind', Source: `${home}/new`, Target: '/n', BindOptions: { CreateMountpoint: true } }],
      }),
      'host-config',
    );
  });
  test('volumes backed by host paths are mounted without copy-up (dockerd would copy the image files in as root)', async () => {
    const routed = routeRequest({ method: 'POST', target: '/v1.41/containers/create' });
    const body = {
      Image: 'b',
      HostConfig: {
        Binds: ['homevol:/h', 'plain:/p', 'homevol2:/h2:ro,nocopy'],
        Mounts: [
          { Type: 'volume', Source: 'homevol', Target: '/m' },
          {
            Type: 'volume',
            Source: '',
            Target: '/i',
            VolumeOptions: {
              DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: `${home}/e` } },
            },
          },
          { Type: 'volume', Source: 'plain', Target: '/q' },
        ],
      },
    };
    const { input } = await readRequest({
      routed,
      method: 'POST',
      target: '/v1.41/containers/create',
      headers: {},
      identity: alice,
      layer: 'proxy',
      body: Buffer.from(JSON.stringify(body)),
      lookupVolume: async (name) =>
        name.startsWith('homevol')
          ? { Driver: 'local', Options: { type: 'none', o: 'bind', device: `${home}/v` } }
          : { Driver: 'local', Options: null },
    });
    const hc = toJS(engine.mutatedBody(input)!) as {
      HostConfig: { Binds: string[]; Mounts: { VolumeOptions?: { NoCopy?: boolean } }[] };
    };
    assert.deepEqual(hc.HostConfig.Binds, ['homevol:/h:nocopy', 'plain:/p', 'homevol2:/h2:ro,nocopy']);
    assert.deepEqual(
      hc.HostConfig.Mounts.map((m) => m.VolumeOptions?.NoCopy ?? false),
      [true, true, false],
    );
  });
  test('nothing is mounted below a host mount: runc would make the mount point as root inside the host path', async () => {
    refusedBy(await create({ Binds: [`${home}/x:/x`], Tmpfs: { '/x/d': '' } }), 'run-as-caller');
    refusedBy(await create({ Binds: [`${home}/x:/x`, `${home}/y:/x/d/`] }), 'run-as-caller');
    refusedBy(await create({ Binds: [`${home}/x:/x`], Mounts: [{ Type: 'tmpfs', Target: '/x/t' }] }), 'run-as-caller');
    refusedBy(await create({ Binds: [`${home}/x:/x`, 'anon:/x/v'] }), 'run-as-caller');
    refusedBy(await create({ Binds: [`${home}/x:/x`] }, { Volumes: { '/x/av': {} } }), 'run-as-caller');
    for (const target of ['/etc', '/dev', '/sys/fs', '/'])
      refusedBy(await create({ Binds: [`${home}/x:${target}`] }), 'run-as-caller');
    refusedBy(await create({ Binds: [`${home}/x:/x`, `${home}/y:/y/../x/d`] }), 'run-as-caller');
    allowed(await create({ Binds: [`${home}/x:/x`, `${home}/y:/xy`, 'named:/n'], Tmpfs: { '/tmp': '' } }));
    allowed(await create({ Binds: [`${home}/x:/etc/myapp`] }));
  });
  test('no-new-privileges=false last is overridden by the rewrite', async () => {
    const d = await create({ ...bindHome, SecurityOpt: ['no-new-privileges', 'no-new-privileges=false'] });
    assert.deepEqual(
      (d.mutated as { HostConfig: { SecurityOpt: string[] } }).HostConfig.SecurityOpt.at(-1),
      'no-new-privileges',
    );
  });
  for (const user of ['0', 'root', '0:0', '1000:0', '1002', 'alice', '1000:1000']) {
    test(`--user ${user} with a host mount is refused`, async () =>
      refusedBy(await create(bindHome, { User: user }), 'run-as-caller'));
  }
  test('a local volume that binds the home counts as a host mount', async () => {
    const d = await create(
      {
        Mounts: [
          {
            Type: 'volume',
            Source: 'v',
            Target: '/v',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: home } } },
          },
        ],
      },
      { User: '0' },
    );
    refusedBy(d, 'run-as-caller');
  });
  test('--group-add with a host mount is refused, except the primary group', async () => {
    refusedBy(await create({ ...bindHome, GroupAdd: ['0'] }), 'run-as-caller');
    refusedBy(await create({ ...bindHome, GroupAdd: ['docker'] }), 'run-as-caller');
    allowed(await create({ ...bindHome, GroupAdd: ['1001'] }));
  });
  test('without a host mount the container keeps its user, and admins are not rewritten', async () => {
    const plain = await create({ Binds: ['named:/n'] }, { User: '0' });
    allowed(plain);
    assert.equal(plain.mutated, undefined);
    const adm = await create({ Binds: ['/srv:/srv'] }, {}, admin);
    allowed(adm);
    assert.equal(adm.mutated, undefined);
  });
  test('exec into a host-mounting container only as the caller', async () => {
    const exec = (user: string, target: InputTarget) =>
      judge('POST', '/v1.41/containers/box/exec', { Cmd: ['id'], User: user }, { target });
    refusedBy(await exec('0', container(true, '1000:1001')), 'run-as-caller');
    refusedBy(await exec('1000', container(true, '1000:1001')), 'run-as-caller');
    allowed(await exec('', container(true, '1000:1001')));
    allowed(await exec('1000:1001', container(true, '1000:1001')));
    refusedBy(await exec('', container(true, '')), 'run-as-caller'); // runs as the image's user: root
    allowed(await exec('0', container(false)));
  });
  test('dockerd-side file access to a host-mounting container is refused, on every archive route', async () => {
    for (const [method, path] of [
      ['PUT', '/v1.41/containers/box/archive?path=/src'],
      ['GET', '/v1.41/containers/box/archive?path=/src'],
      ['HEAD', '/v1.41/containers/box/archive?path=/src'],
      ['POST', '/v1.23/containers/box/copy'],
    ] as const) {
      refusedBy(await judge(method, path, undefined, { target: container(true, '1000:1001') }), 'file-access');
      allowed(await judge(method, path, undefined, { target: container(false) }));
    }
  });
});

describe('the lifecycle after create is judged', () => {
  test('a start body is refused (API < 1.24 applies it as the HostConfig)', async () => {
    refusedBy(
      await judge('POST', '/v1.23/containers/box/start', { Binds: ['/:/host'], Privileged: true }),
      'lifecycle',
    );
    refusedBy(await judge('POST', '/v1.23/containers/box/start', {}), 'lifecycle');
    allowed(await judge('POST', '/v1.41/containers/box/start'));
  });
  test('checkpoints are refused', async () => {
    refusedBy(await judge('POST', '/v1.41/containers/box/start?checkpoint=c1'), 'lifecycle');
    refusedBy(
      await judge('POST', '/v1.41/containers/box/checkpoints', { CheckpointID: 'c', CheckpointDir: '/etc' }),
      'lifecycle',
    );
  });
  test('update changes limits and the restart policy only', async () => {
    allowed(
      await judge('POST', '/v1.41/containers/box/update', {
        Memory: 1 << 26,
        CpuShares: 512,
        Devices: null,
        CgroupParent: '',
        RestartPolicy: { Name: 'always' },
      }),
    );
    refusedBy(
      await judge('POST', '/v1.41/containers/box/update', {
        Devices: [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }],
      }),
      'lifecycle',
    );
    refusedBy(await judge('POST', '/v1.41/containers/box/update', { DeviceCgroupRules: ['a *:* rwm'] }), 'lifecycle');
    refusedBy(await judge('POST', '/v1.41/containers/box/update', { CgroupParent: '/' }), 'lifecycle');
  });
  test('HostConfig fields at the top level of a create are judged where dockerd 20.10 applies them', async () => {
    refusedBy(await judge('POST', '/v1.41/containers/create', { Image: 'b', Privileged: true }), 'privileged');
    refusedBy(await judge('POST', '/v1.41/containers/create', { Image: 'b', Binds: ['/:/host'] }), 'mounts');
    // With a HostConfig, dockerd reads only Memory, MemorySwap, CpuShares and Cpuset from the top.
    allowed(
      await judge('POST', '/v1.41/containers/create', {
        Image: 'b',
        Runtime: 'runc',
        Privileged: true,
        HostConfig: {},
      }),
    );
  });
});

describe('allowlists instead of denylists', () => {
  test('volume drivers: only local; names with / or .. never', async () => {
    refusedBy(await judge('POST', '/v1.41/volumes/create', { Name: 'v', Driver: '../../../home/alice/p' }), 'drivers');
    refusedBy(await judge('POST', '/v1.41/volumes/create', { Name: 'v', Driver: 'rexray' }), 'drivers');
    refusedBy(await create({ VolumeDriver: '../../x', Binds: ['v:/v'] }), 'drivers');
    refusedBy(
      await create({
        Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { DriverConfig: { Name: '../p' } } }],
      }),
      'drivers',
    );
    allowed(await judge('POST', '/v1.41/volumes/create', { Name: 'v', Driver: 'local' }));
  });
  test('log, network and IPAM drivers from their lists', async () => {
    refusedBy(
      await create({ LogConfig: { Type: 'syslog', Config: { 'syslog-address': 'unix:///var/run/docker.sock' } } }),
      'drivers',
    );
    allowed(await create({ LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } } }));
    refusedBy(
      await judge('POST', '/v1.41/networks/create', { Name: 'n', Driver: 'macvlan', Options: { parent: 'eth0' } }),
      'drivers',
    );
    refusedBy(await judge('POST', '/v1.41/networks/create', { Name: 'n', IPAM: { Driver: '../x' } }), 'drivers');
    refusedBy(
      await judge('POST', '/v1.41/networks/create', {
        Name: 'n',
        Options: { 'com.docker.network.bridge.name': 'eth0' },
      }),
      'drivers',
    );
    allowed(
      await judge('POST', '/v1.41/networks/create', {
        Name: 'n',
        Driver: 'bridge',
        IPAM: { Driver: 'default', Config: [] },
      }),
    );
    refusedBy(
      await judge('POST', '/v1.41/networks/create', { Name: 'n', IPAM: { Config: [{ Subnet: '10.9.0.0/24' }] } }),
      'drivers',
    );
    refusedBy(
      await judge('POST', '/v1.41/networks/create', { Name: 'n', IPAM: { Config: [{ IPRange: '192.0.2.128/25' }] } }),
      'drivers',
    );
    refusedBy(
      await judge('POST', '/v1.41/networks/n/connect', {
        Container: 'box',
        EndpointConfig: { DriverOpts: { 'com.docker.network.endpoint.ifname': 'eth9' } },
      }),
      'drivers',
    );
    allowed(
      await judge('POST', '/v1.41/networks/n/connect', {
        Container: 'box',
        EndpointConfig: { Aliases: ['web'], DriverOpts: null },
      }),
    );
  });
  test('local volume options by their meaning', async () => {
    const vol = (opts: Record<string, string>) =>
      judge('POST', '/v1.41/volumes/create', { Name: 'v', DriverOpts: opts });
    refusedBy(await vol({ type: 'tmpfs', o: 'bind', device: '/' }), 'mounts');
    refusedBy(await vol({ type: 'tmpfs', o: 'size=1m,rbind', device: '/etc' }), 'mounts');
    refusedBy(await vol({ type: 'none', o: 'bind', device: 'relative/path' }), 'mounts');
    refusedBy(
      await vol({ type: 'overlay', o: `lowerdir=/etc,upperdir=${home}/u,workdir=${home}/w`, device: 'overlay' }),
      'volume-options',
    );
    refusedBy(await vol({ type: 'nfs', o: 'addr=127.0.0.1', device: ':/x' }), 'volume-options');
    refusedBy(await vol({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m,context=x' }), 'volume-options');
    refusedBy(await vol({ type: 'tmpfs', device: 'tmpfs', mountpoint: '/x' }), 'volume-options');
    allowed(await vol({ type: 'tmpfs', device: 'tmpfs', o: 'size=64m,mode=1777,uid=1000' }));
    allowed(await vol({ type: 'none', o: 'bind', device: `${home}/data` }));
  });
  test('create fields the pack does not know are refused; zero values pass', async () => {
    refusedBy(await create({ FutureField: 'x' }), 'host-config');
    refusedBy(await create({}, { FutureTop: true }), 'host-config');
    allowed(await create({ FutureField: null, Other: '' }));
    refusedBy(
      await create(
        { NetworkMode: 'bridge' },
        {
          NetworkingConfig: {
            EndpointsConfig: { bridge: { DriverOpts: { 'com.docker.network.endpoint.sysctls': 'x' } } },
          },
        },
      ),
      'host-config',
    );
  });
  test('known fields take only judged values', async () => {
    refusedBy(await create({ CgroupnsMode: 'host' }), 'host-namespaces');
    refusedBy(await create({ CgroupnsMode: 'HOST' }), 'host-namespaces');
    refusedBy(await create({ IpcMode: 'weird' }), 'host-namespaces');
    allowed(await create({ CgroupnsMode: 'private', IpcMode: 'shareable' }));
    refusedBy(await create({ Runtime: 'nvidia' }), 'host-config');
    refusedBy(await create({ Isolation: 'hyperv' }), 'host-config');
    refusedBy(await create({ Cgroup: 'container:x' }), 'host-config');
    refusedBy(await create({ OomScoreAdj: -1000 }), 'host-config');
    refusedBy(await create({ Mounts: [{ Type: 'npipe', Source: '/x', Target: '/x' }] }), 'host-config');
    allowed(await create({ Runtime: 'runc', OomScoreAdj: 500 }));
  });
  test('security options in every spelling dockerd accepts', async () => {
    for (const opt of [
      'disable',
      'label=disable',
      'label:disable',
      'label=type:spc_t',
      'seccomp=unconfined',
      'seccomp:unconfined',
      'apparmor=unconfined',
      'apparmor:unconfined',
      'apparmor=my-loose-profile',
      'systempaths=unconfined',
      'no-new-privileges=maybe',
    ]) {
      refusedBy(await create({ SecurityOpt: [opt] }), 'security-opts');
    }
    allowed(
      await create({
        SecurityOpt: [
          'no-new-privileges',
          'no-new-privileges:true',
          'no-new-privileges=false',
          'apparmor=docker-default',
        ],
      }),
    );
  });
  test('host ports below 1024 are an admin right', async () => {
    const ports = (hostPort: string) => create({ PortBindings: { '80/tcp': [{ HostIp: '', HostPort: hostPort }] } });
    for (const p of ['80', '1023', '1000-1100', '0080x']) refusedBy(await ports(p), 'privileged-ports');
    for (const p of ['8080', '', '0', '1024-1100']) allowed(await ports(p));
    allowed(await create({ PortBindings: { '80/tcp': [{ HostPort: '80' }] } }, {}, admin));
  });
  test('import from a URL is refused, from the body allowed', async () => {
    refusedBy(
      await judge('POST', '/v1.41/images/create?fromSrc=http%3A%2F%2F127.0.0.1%2Fx.tar&repo=x'),
      'unknown-endpoint',
    );
    allowed(await judge('POST', '/v1.41/images/create?fromSrc=-&repo=x'));
  });
});
