// The create request rebuilt from what the daemon says about a container or volume: what the
// daemon filled in by itself is dropped, what a request carried is kept.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  containerCreateRequest,
  daemonDefaultsOf,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  RebuildError,
  volumeCreateRequest,
  type DaemonDefaults,
} from '../../../src/enforce/audit/rebuild.js';
import { diff } from '../../../src/enforce/audit/judge.js';

const V1: DaemonDefaults = daemonDefaultsOf({ CgroupVersion: '1', LoggingDriver: 'json-file', DefaultRuntime: 'runc' });
const V2: DaemonDefaults = daemonDefaultsOf({ CgroupVersion: '2', LoggingDriver: 'json-file', DefaultRuntime: 'runc' });

/** A container as dockerd 20.10 shows one created with `docker create IMAGE true` and nothing else. */
function plainInspect(hostConfig: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  return {
    Id: 'a'.repeat(64),
    Name: '/plain',
    Config: { Hostname: 'aaaaaaaaaaaa', User: '', Cmd: ['true'], Image: 'img', Labels: {}, ...config },
    HostConfig: {
      Binds: null,
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: 'default',
      CgroupnsMode: 'host',
      IpcMode: 'private',
      Privileged: false,
      SecurityOpt: null,
      Runtime: 'runc',
      ShmSize: 67108864,
      MaskedPaths: [...DEFAULT_MASKED_PATHS],
      ReadonlyPaths: [...DEFAULT_READONLY_PATHS],
      ...hostConfig,
    },
    NetworkSettings: {
      Networks: {
        bridge: {
          IPAMConfig: null,
          Links: null,
          Aliases: null,
          NetworkID: 'n1',
          EndpointID: 'e1',
          IPAddress: '172.17.0.2',
          MacAddress: '02:42:ac:11:00:02',
          DriverOpts: null,
        },
      },
    },
  };
}

describe('audit: the create request of a container, from inspect', () => {
  test('the daemon defaults are dropped: network "default", the cgroup namespace of cgroup v1, the default masked paths, runtime and log driver', () => {
    const r = containerCreateRequest(plainInspect(), V1);
    assert.equal(r.method, 'POST');
    assert.equal(r.target, '/containers/create?name=plain');
    const hc = r.body.HostConfig as Record<string, unknown>;
    for (const gone of ['NetworkMode', 'CgroupnsMode', 'MaskedPaths', 'ReadonlyPaths', 'Runtime'])
      assert.ok(!(gone in hc), `${gone} is dropped`);
    assert.deepEqual(hc.LogConfig, { Config: {} });
    assert.equal(r.body.Image, 'img', 'Config is the top level of the body');
  });

  test('what a request carried stays: cgroupns host on cgroup v2, an EMPTY masked-paths list, another runtime or log driver, network none', () => {
    const hc = containerCreateRequest(
      plainInspect({
        CgroupnsMode: 'host',
        MaskedPaths: [],
        ReadonlyPaths: [],
        Runtime: 'io.containerd.runc.v2',
        LogConfig: { Type: 'syslog', Config: {} },
        NetworkMode: 'none',
      }),
      V2,
    ).body.HostConfig as Record<string, unknown>;
    assert.equal(hc.CgroupnsMode, 'host');
    assert.deepEqual(hc.MaskedPaths, []);
    assert.deepEqual(hc.ReadonlyPaths, []);
    assert.equal(hc.Runtime, 'io.containerd.runc.v2');
    assert.deepEqual(hc.LogConfig, { Type: 'syslog', Config: {} });
    assert.equal(hc.NetworkMode, 'none');
    // cgroup v2's default is private: dropped there, kept on v1 where it was asked for.
    assert.ok(
      !(
        'CgroupnsMode' in
        (containerCreateRequest(plainInspect({ CgroupnsMode: 'private' }), V2).body.HostConfig as object)
      ),
    );
    assert.equal(
      (containerCreateRequest(plainInspect({ CgroupnsMode: 'private' }), V1).body.HostConfig as Record<string, unknown>)
        .CgroupnsMode,
      'private',
    );
  });

  test('a masked-paths list that differs from the default in one entry is kept', () => {
    const hc = containerCreateRequest(plainInspect({ MaskedPaths: DEFAULT_MASKED_PATHS.slice(1) }), V1).body
      .HostConfig as Record<string, unknown>;
    assert.deepEqual(hc.MaskedPaths, DEFAULT_MASKED_PATHS.slice(1));
  });

  test('the "label=disable" dockerd adds to a privileged or host-pid/ipc container is dropped; one asked for beside another label option is kept', () => {
    const priv = containerCreateRequest(
      plainInspect({ Privileged: true, SecurityOpt: ['label=disable'], MaskedPaths: null }),
      V1,
    ).body.HostConfig as Record<string, unknown>;
    assert.deepEqual(priv.SecurityOpt, []);
    assert.equal(priv.Privileged, true);
    const pid = containerCreateRequest(
      plainInspect({ PidMode: 'host', SecurityOpt: ['no-new-privileges', 'label=disable'] }),
      V1,
    ).body.HostConfig as Record<string, unknown>;
    assert.deepEqual(pid.SecurityOpt, ['no-new-privileges']);
    // dockerd adds nothing when a label option was given: both stay to be judged.
    const given = containerCreateRequest(
      plainInspect({ Privileged: true, SecurityOpt: ['label=user:u', 'label=disable'] }),
      V1,
    ).body.HostConfig as Record<string, unknown>;
    assert.deepEqual(given.SecurityOpt, ['label=user:u', 'label=disable']);
    // An unprivileged container's label=disable was asked for.
    const plain = containerCreateRequest(plainInspect({ SecurityOpt: ['label=disable'] }), V1).body
      .HostConfig as Record<string, unknown>;
    assert.deepEqual(plain.SecurityOpt, ['label=disable']);
  });

  test('endpoints keep what a request carries (aliases, IPAM, links, driver options), not the addresses the daemon assigned', () => {
    const r = containerCreateRequest(plainInspect(), V1);
    assert.deepEqual(r.body.NetworkingConfig, {
      EndpointsConfig: { bridge: { IPAMConfig: null, Links: null, Aliases: null, DriverOpts: null } },
    });
  });

  test('hostile shapes are refused, not judged as something else', () => {
    assert.throws(() => containerCreateRequest(null, V1), RebuildError);
    assert.throws(() => containerCreateRequest({ Config: 'x' }, V1), RebuildError);
    assert.throws(() => containerCreateRequest({ Config: {}, HostConfig: [] }, V1), RebuildError);
    assert.throws(() => volumeCreateRequest({ Driver: 'local' }), RebuildError);
  });

  test('an unknown cgroup version keeps whatever the container has', () => {
    const d = daemonDefaultsOf({ CgroupVersion: '3' });
    assert.equal(d.cgroupnsMode, undefined);
    assert.equal(
      (containerCreateRequest(plainInspect(), d).body.HostConfig as Record<string, unknown>).CgroupnsMode,
      'host',
    );
  });
});

describe('audit: the create request of a volume', () => {
  test('Name, Driver, its Options as DriverOpts, Labels', () => {
    const r = volumeCreateRequest({
      Name: 'v',
      Driver: 'local',
      Options: { o: 'bind', device: '/etc' },
      Labels: { a: 'b' },
      Mountpoint: '/x',
      Scope: 'local',
    });
    assert.equal(r.target, '/volumes/create');
    assert.deepEqual(r.body, {
      Name: 'v',
      Driver: 'local',
      DriverOpts: { o: 'bind', device: '/etc' },
      Labels: { a: 'b' },
    });
    assert.deepEqual(volumeCreateRequest({ Name: 'w', Driver: 'local', Options: null, Labels: null }).body, {
      Name: 'w',
      Driver: 'local',
    });
  });
});

describe('audit: the changes a mutation makes', () => {
  test('paths of changed fields, with before and after', () => {
    assert.deepEqual(
      diff(
        { User: '', HostConfig: { SecurityOpt: null, Binds: ['/h:/h'] } },
        { User: '1:1', HostConfig: { SecurityOpt: ['no-new-privileges'], Binds: ['/h:/h'] } },
      ),
      [
        { path: 'User', before: '', after: '1:1' },
        { path: 'HostConfig.SecurityOpt', before: null, after: ['no-new-privileges'] },
      ],
    );
    assert.deepEqual(diff({ a: 1 }, { a: 1, b: 2 }), [{ path: 'b', before: undefined, after: 2 }]);
    assert.deepEqual(diff({ a: 1 }, { a: 1 }), []);
  });
});
