// The built-in pack's decisions on input documents built the way the proxy builds them.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import type { InputIdentity } from '../../src/docker/input.js';
import { parseConfig, PolicyEngine, type PolicyDecision } from '../../src/policy/index.js';

const home = realpathSync(mkdtempSync(join(tmpdir(), 'dg-pack-home-')));
symlinkSync('/etc', join(home, 'etc-link'));
const alice: InputIdentity = {
  uid: 1000,
  gid: 1000,
  user: 'alice',
  groups: ['alice'],
  admin: false,
  pid: 1,
  home,
  via: 'peercred',
};
const admin: InputIdentity = { ...alice, uid: 0, user: 'root', admin: true, home: '/root' };

let engine: PolicyEngine;
before(async () => {
  engine = await PolicyEngine.load({});
});

async function judge(
  method: string,
  target: string,
  body?: unknown,
  identity = alice,
  e = engine,
): Promise<PolicyDecision> {
  const routed = routeRequest({ method, target });
  const { input } = await readRequest({
    routed,
    method,
    target,
    headers: {},
    identity,
    layer: 'proxy',
    body: body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  });
  return e.decide(input);
}

const create = (hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  judge('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], ...extra, HostConfig: hostConfig });

function refusedBy(d: PolicyDecision, rule: string): void {
  assert.equal(d.allow, false, `expected a refusal by ${rule}`);
  assert.ok(
    d.reasons.some((r) => r.rule === rule),
    `expected rule ${rule}, got ${JSON.stringify(d.reasons)}`,
  );
  assert.match(d.message, new RegExp(`^dockgate: .*${rule}: `));
}

describe('escapes to the host are refused', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['privileged', { Privileged: true }, 'privileged'],
    ['bind of /', { Binds: ['/:/host'] }, 'mounts'],
    ['read-only bind of /etc', { Binds: ['/etc:/e:ro'] }, 'mounts'],
    ['docker socket', { Binds: ['/var/run/docker.sock:/s'] }, 'mounts'],
    ['dot-dot out of home', { Binds: [`${home}/../../etc:/e`] }, 'mounts'],
    ['symlink in home to /etc', { Binds: [`${home}/etc-link:/e`] }, 'mounts'],
    ['bind mount of /etc', { Mounts: [{ Type: 'bind', Source: '/etc', Target: '/e' }] }, 'mounts'],
    [
      'inline local volume over /etc',
      {
        Mounts: [
          {
            Type: 'volume',
            Source: 'v',
            Target: '/e',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/etc' } } },
          },
        ],
      },
      'mounts',
    ],
    ['pid host', { PidMode: 'host' }, 'host-namespaces'],
    ['network host', { NetworkMode: 'host' }, 'host-namespaces'],
    ['ipc host', { IpcMode: 'host' }, 'host-namespaces'],
    ['uts host', { UTSMode: 'host' }, 'host-namespaces'],
    ['userns host', { UsernsMode: 'host' }, 'host-namespaces'],
    ['cap SYS_ADMIN', { CapAdd: ['SYS_ADMIN'] }, 'capabilities'],
    ['cap ALL', { CapAdd: ['ALL'] }, 'capabilities'],
    ['cap with prefix, lower case', { CapAdd: ['cap_sys_module'] }, 'capabilities'],
    [
      'device /dev/kmsg',
      { Devices: [{ PathOnHost: '/dev/kmsg', PathInContainer: '/dev/kmsg', CgroupPermissions: 'rwm' }] },
      'devices',
    ],
    ['device cgroup rule', { DeviceCgroupRules: ['a *:* rwm'] }, 'devices'],
    ['seccomp unconfined', { SecurityOpt: ['seccomp=unconfined'] }, 'security-opts'],
    ['apparmor unconfined (old separator)', { SecurityOpt: ['apparmor:unconfined'] }, 'security-opts'],
    ['label disable', { SecurityOpt: ['label=disable'] }, 'security-opts'],
    ['custom seccomp profile', { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] }, 'security-opts'],
    ['unmasked system paths', { MaskedPaths: [], ReadonlyPaths: [] }, 'security-opts'],
    ['kernel sysctl', { Sysctls: { 'kernel.shmmax': '1' } }, 'sysctls'],
    ['cgroup parent', { CgroupParent: '/' }, 'cgroup-parent'],
    ["another container's network namespace", { NetworkMode: 'container:admin-box' }, 'container-joins'],
    ["another container's pid namespace", { PidMode: 'container:abc123' }, 'container-joins'],
    ["another container's ipc namespace", { IpcMode: 'container:abc123' }, 'container-joins'],
    ["another container's volumes", { VolumesFrom: ['admin-box:ro'] }, 'container-joins'],
  ];
  for (const [name, hostConfig, rule] of cases) {
    test(`${name} is refused by ${rule}`, async () => refusedBy(await create(hostConfig), rule));
  }

  test('privileged exec is refused', async () => {
    refusedBy(await judge('POST', '/v1.41/containers/abc/exec', { Cmd: ['sh'], Privileged: true }), 'privileged');
  });
  test('a local volume created over /etc is refused as a bind', async () => {
    refusedBy(
      await judge('POST', '/v1.41/volumes/create', {
        Name: 'v',
        Driver: 'local',
        DriverOpts: { type: 'none', o: 'bind', device: '/etc' },
      }),
      'mounts',
    );
  });
  test('builds whose Dockerfile cannot be seen are refused: BuildKit, remote contexts, host network', async () => {
    refusedBy(await judge('POST', '/v1.41/build?version=2&t=x'), 'build');
    refusedBy(await judge('POST', '/v1.41/build?remote=https%3A%2F%2Fexample.invalid%2Fr.git'), 'build');
    refusedBy(await judge('POST', '/v1.41/build?networkmode=host'), 'build');
  });
  test('plugin install, swarm init and unknown endpoints are refused', async () => {
    refusedBy(await judge('POST', '/v1.41/plugins/pull?remote=x', []), 'plugins');
    refusedBy(await judge('POST', '/v1.41/swarm/init', {}), 'swarm');
    refusedBy(await judge('GET', '/v1.41/no/such/endpoint'), 'unknown-endpoint');
  });
});

describe('ordinary work is allowed', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['plain run', {}],
    ['named volume', { Binds: ['data:/data'] }],
    ['bind under home', { Binds: [`${home}/project:/src`] }],
    ['default capability added', { CapAdd: ['NET_BIND_SERVICE'] }],
    ['hardened', { CapDrop: ['ALL'], ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges'], Memory: 67108864 }],
    ['network sysctl', { Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } }],
    ['gpu request', { DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }],
    [
      'tmpfs volume',
      {
        Mounts: [
          {
            Type: 'volume',
            Target: '/t',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } },
          },
        ],
      },
    ],
  ];
  for (const [name, hostConfig] of cases) {
    test(`${name} is allowed`, async () => {
      const d = await create(hostConfig);
      assert.deepEqual(d.reasons, []);
      assert.equal(d.allow, true);
    });
  }
  test('reads and exec without privileges are allowed', async () => {
    assert.equal((await judge('GET', '/v1.41/containers/json')).allow, true);
    assert.equal((await judge('POST', '/v1.41/containers/abc/exec', { Cmd: ['sh'] })).allow, true);
    assert.equal((await judge('GET', '/_ping')).allow, true);
  });
});

describe('config tunes the pack', () => {
  test('admins are exempt by default, and bound when admins_exempt is false', async () => {
    assert.equal((await create({ Privileged: true }, {})).allow, false);
    assert.equal(
      (await judge('POST', '/v1.41/containers/create', { Image: 'b', HostConfig: { Privileged: true } }, admin)).allow,
      true,
    );
    const strict = await engineWith('admins_exempt = false\n');
    assert.equal(
      (await judge('POST', '/v1.41/containers/create', { Image: 'b', HostConfig: { Privileged: true } }, admin, strict))
        .allow,
      false,
    );
  });
  test('a rule can be switched off, a capability allowed, optional rules switched on', async () => {
    const e = await engineWith(
      '[rules.privileged]\nenabled = false\n[rules.capabilities]\nallow = ["NET_ADMIN"]\n[rules.no-root-user]\nenabled = true\n',
    );
    const judgeE = (hc: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      judge('POST', '/v1.41/containers/create', { Image: 'b', ...extra, HostConfig: hc }, alice, e);
    assert.equal((await judgeE({ Privileged: true }, { User: '1000' })).allow, true);
    assert.equal((await judgeE({ CapAdd: ['net_admin'] }, { User: '1000' })).allow, true);
    refusedBy(await judgeE({}), 'no-root-user');
  });
  test('joins of other containers: admins may, and an admin can switch the rule off', async () => {
    const join = { NetworkMode: 'container:x', VolumesFrom: ['x'] };
    assert.equal(
      (await judge('POST', '/v1.41/containers/create', { Image: 'b', HostConfig: join }, admin)).allow,
      true,
    );
    const e = await engineWith('[rules.container-joins]\nenabled = false\n');
    assert.equal(
      (await judge('POST', '/v1.41/containers/create', { Image: 'b', HostConfig: join }, alice, e)).allow,
      true,
    );
    assert.equal(
      (await create({ NetworkMode: 'bridge', PidMode: '', IpcMode: 'private', VolumesFrom: [] })).allow,
      true,
      'own namespaces and no joins pass',
    );
  });
  test('allowed roots extend where binds may point', async () => {
    const e = await engineWith('[rules.mounts]\nallow = ["/srv/shared"]\n');
    assert.equal(
      (
        await judge(
          'POST',
          '/v1.41/containers/create',
          { Image: 'b', HostConfig: { Binds: ['/srv/shared/x:/x'] } },
          alice,
          e,
        )
      ).allow,
      true,
    );
    refusedBy(
      await judge(
        'POST',
        '/v1.41/containers/create',
        { Image: 'b', HostConfig: { Binds: ['/srv/sharedother:/x'] } },
        alice,
        e,
      ),
      'mounts',
    );
  });
  test('roots match whole path segments, with or without a trailing slash', async () => {
    const e = await engineWith('[rules.mounts]\nallow = ["/srv/shared/", "/data"]\n');
    const bind = (src: string) =>
      judge('POST', '/v1.41/containers/create', { Image: 'b', HostConfig: { Binds: [`${src}:/x`] } }, alice, e);
    assert.equal((await bind('/srv/shared/a/b')).allow, true);
    assert.equal((await bind('/data')).allow, true);
    refusedBy(await bind('/datax'), 'mounts');
    refusedBy(await bind('/srv'), 'mounts');
  });
  test('a forbidden path is refused below, at and above it, even under an allowed "/"', async () => {
    const e = await engineWith('[rules.mounts]\nallow = ["/"]\n');
    const bind = (src: string) =>
      judge('POST', '/v1.41/containers/create', { Image: 'b', HostConfig: { Binds: [`${src}:/x`] } }, alice, e);
    assert.equal((await bind('/srv/x')).allow, true);
    assert.equal((await bind('/etcx')).allow, true);
    for (const src of ['/etc', '/etc/ssl', '/var/lib', '/', '/proc/1']) refusedBy(await bind(src), 'mounts');
    const d = await bind('/var');
    refusedBy(d, 'mounts');
    assert.match(d.message, /reaches \/var\/lib\/docker/);
    assert.match(d.message, /reaches \/var\/run\/docker.sock/);
  });
  test('require-limits refuses a create that leaves the limits out (an absent field is no limit, not an undefined rule)', async () => {
    const e = await engineWith('[rules.require-limits]\nenabled = true\n');
    const d = await judge('POST', '/v1.41/containers/create', { Image: 'b', HostConfig: {} }, alice, e);
    assert.deepEqual(d.reasons.map((r) => r.rule).sort(), ['require-limits', 'require-limits']);
    assert.equal(
      (
        await judge(
          'POST',
          '/v1.41/containers/create',
          { Image: 'b', HostConfig: { Memory: 1 << 26, PidsLimit: 64 } },
          alice,
          e,
        )
      ).allow,
      true,
    );
  });
  test('an unknown config key is an error naming it', () => {
    assert.throws(
      () => parseConfig('[rules.privilegd]\nenabled = false\n', 'dg.toml'),
      /dg.toml: unknown setting rules.privilegd/,
    );
    assert.throws(
      () => parseConfig('[rules.privileged]\nenabled = "no"\n', 'dg.toml'),
      /rules.privileged.enabled must be a boolean/,
    );
  });
});

async function engineWith(toml: string): Promise<PolicyEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-pack-cfg-'));
  const file = join(dir, 'dockgate.toml');
  (await import('node:fs')).writeFileSync(file, toml);
  return PolicyEngine.load({ config: file });
}

test('data files load as OPA loads them: a list below a folder is mounted at the folder path', async () => {
  const fs = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'dg-data-'));
  fs.mkdirSync(join(dir, 'fixtures'));
  fs.writeFileSync(join(dir, 'fixtures', 'data.json'), '[1, 2]');
  fs.writeFileSync(join(dir, 'p.rego'), 'package docker.authz\nimport rego.v1\nallow if data.fixtures[1] == 2\n');
  const e = await PolicyEngine.load({ policies: [join(dir, 'p.rego')], data: [dir] });
  assert.equal(e.decide({}).allow, true);
});
