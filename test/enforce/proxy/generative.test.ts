// Generative, end to end (issue 14): random container create, start, update and volume create
// bodies, built from the Engine API's fields and the spellings an attacker would try, sent as an
// ordinary user through `dockgate serve` (built-in pack, default config) to a real daemon of the
// test's own. The invariant: whatever the pack let through, judged at rest by `dockgate audit`
// for that user, is allowed as it is. Each case is judged right after it ran (in process, the
// audit's own code, so a failing case is shrunk to its smallest form), then the whole daemon by
// the real `dockgate audit --as USER` command. An effect is checked too: a running container
// that mounts a host path runs as the caller, with no-new-privileges.
//
// Seeded and printed. Longer runs by hand:
//   DOCKGATE_GEN_RUNS=2000 DOCKGATE_GEN_SEED=42 DOCKGATE_GEN_TIME_LIMIT_S=3600 node --test dist/test/enforce/proxy/generative.test.js
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  canManageUsers,
  createUser,
  dockerAt,
  DOCKGATE_BIN,
  ensureTestImage,
  run,
  startDaemon,
  startServe,
  type Daemon,
  type Served,
  type TestUser,
} from '../../harness/index.js';
import {
  auditDaemon,
  daemonApi,
  OwnerResolver,
  readDaemonFacts,
  type DaemonApi,
  type DaemonFacts,
} from '../../../src/enforce/audit/index.js';
import { formatText } from '../../../src/enforce/audit/report.js';
import { PolicyEngine } from '../../../src/policy/index.js';
import { describeContainer } from '../../../src/docker/target.js';
import { parseAddress } from '../../../src/enforce/proxy/upstream.js';
import { UserSession, type SessionAnswer } from './user-session.js';

const RUNS = Number(process.env.DOCKGATE_GEN_RUNS ?? 300);
const SEED = Number(process.env.DOCKGATE_GEN_SEED ?? crypto.randomInt(2 ** 31 - 1));
/** The whole property (runs and shrinking) stops after this; the suite keeps under 3 minutes. */
const TIME_LIMIT_MS = Number(process.env.DOCKGATE_GEN_TIME_LIMIT_S ?? 130) * 1000;
/** Shrink steps of a failing case (each is a round trip to the daemon). */
const MAX_SHRINKS = Number(process.env.DOCKGATE_GEN_MAX_SHRINKS ?? 80);

/** Where the setuid image holds its setuid-root files: the generated bind and mount targets. */
const SETUID_TARGETS = ['h', 'h2', 'm', 'm2', 'data'] as const;

/** Volume names in generated bodies; each case gets its own real names for them. */
const VOLUME_SLOTS = ['@vol1', '@vol2'] as const;

/** One generated case: what is sent, in order. */
interface Case {
  /**
   * Sent first, or (`race`) on another connection `raceDelayMs` after the create was sent: a
   * create is judged with the volumes that exist when it is judged.
   */
  volume: { body: Record<string, unknown>; prefix: string; race: boolean; raceDelayMs: number } | null;
  create: { body: Record<string, unknown>; prefix: string };
  /** A body for POST /v1.23/containers/{id}/start, sent before the plain start. */
  startBody: unknown;
  update: { body: Record<string, unknown>; prefix: string } | null;
}

/** Everything the value space needs to know about the caller and the host. */
interface World {
  home: string;
  uid: number;
  gid: number;
  name: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Cases run first in every run, before the random ones: attacks found by hand or by earlier runs,
 * in the generator's own terms (a random run may take hours to meet them again).
 */
function knownAttacks(w: World): Case[] {
  const plain = { startBody: undefined, update: null };
  const homeVolume = (race: boolean) => ({
    body: { Name: VOLUME_SLOTS[0], DriverOpts: { type: 'none', o: 'bind', device: `${w.home}/x` } },
    prefix: '',
    race,
    raceDelayMs: 0,
  });
  return [
    // dockerd copies an image's files into an empty volume as root, setuid bits and owner kept:
    // into a volume bound to the home, that is a setuid-root file the user runs on the host.
    {
      ...plain,
      volume: homeVolume(false),
      create: {
        body: { Image: '@suidimage', Cmd: ['sleep', '20'], HostConfig: { Binds: [`${VOLUME_SLOTS[0]}:/h`] } },
        prefix: '',
      },
    },
    {
      ...plain,
      volume: null,
      create: {
        body: {
          Image: '@suidimage',
          Cmd: ['sleep', '20'],
          HostConfig: {
            Mounts: [
              {
                Type: 'volume',
                Source: VOLUME_SLOTS[1],
                Target: '/m',
                VolumeOptions: {
                  DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: `${w.home}/src` } },
                },
              },
            ],
          },
        },
        prefix: '',
      },
    },
    // A create naming a volume that a volume create sent at the same time binds to the home.
    {
      ...plain,
      volume: homeVolume(true),
      create: {
        body: { Image: '@image', Cmd: ['sleep', '20'], HostConfig: { Binds: [`${VOLUME_SLOTS[0]}:/h`] } },
        prefix: '/v1.41',
      },
    },
    // API < 1.24 applies a start body as the container's HostConfig.
    {
      volume: null,
      create: { body: { Image: '@image', Cmd: ['sleep', '20'] }, prefix: '' },
      startBody: { Binds: ['/:/h'], Privileged: true },
      update: null,
    },
    // HostConfig fields at the top level of a create body (dockerd 20.10 reads them).
    {
      ...plain,
      volume: null,
      create: { body: { Image: '@image', Cmd: ['sleep', '20'], Binds: [`${w.home}/x:/h`], User: '0' }, prefix: '' },
    },
  ];
}

/** Absent seven times in eight: for values that make nearly every request a refusal. */
function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(undefined), weight: 7 },
    { arbitrary: arb, weight: 1 },
  );
}

function arbitraries(w: World) {
  const { home } = w;
  const mode = fc.constantFrom(
    '',
    'host',
    'HOST',
    'Host',
    ' host',
    'container:x',
    'container:',
    'private',
    'shareable',
    'none',
    'default',
    'bridge',
    'PRIVATE',
  );
  const cap = fc.constantFrom(
    'CHOWN',
    'cap_chown',
    'NET_BIND_SERVICE',
    'SYS_ADMIN',
    'sys_admin',
    'CAP_SYS_ADMIN',
    'Cap_Sys_Admin',
    'cap_sys_module',
    'ALL',
    'all',
    'NET_ADMIN',
    'SYS_PTRACE',
    'DAC_READ_SEARCH',
    'CAP_NET_RAW',
    ' SYS_ADMIN',
  );
  const securityOpt = fc.constantFrom(
    'seccomp=unconfined',
    'seccomp:unconfined',
    'seccomp=',
    'seccomp={}',
    'disable',
    'label=disable',
    'label:disable',
    'label=type:spc_t',
    'apparmor=unconfined',
    'apparmor:unconfined',
    'apparmor=docker-default',
    'no-new-privileges',
    'no-new-privileges=false',
    'no-new-privileges:false',
    'no-new-privileges=true',
    'no-new-privileges=0',
    'systempaths=unconfined',
    'NO-NEW-PRIVILEGES=false',
  );
  // Host paths: the home, outside it, through a symlink in the home that points to / or into the home.
  const hostPath = fc.constantFrom(
    `${home}/x`,
    `${home}/src`,
    `${home}/link/etc`,
    `${home}/link`,
    `${home}/inlink`,
    `${home}/x/../../..`,
    `${home}/../..`,
    `${home}`,
    '/etc',
    '/',
    '/tmp',
    '/var/run/docker.sock',
    '/proc',
    '/home',
    `${home}/new-dir`,
  );
  const volumeName = fc.constantFrom(...VOLUME_SLOTS);
  const bindSource = fc.oneof(
    { arbitrary: hostPath, weight: 3 },
    { arbitrary: volumeName, weight: 2 },
    { arbitrary: fc.constant('relative/x'), weight: 1 },
  );
  const bindMode = fc.constantFrom('', ':ro', ':rw', ':z', ':rshared', ':ro,rslave', ':nocopy');
  const bind = fc.tuple(bindSource, fc.constantFrom('/h', '/h2', '/etc'), bindMode).map(([s, d, m]) => `${s}:${d}${m}`);
  // Local volume options: the ones that bind a directory of the home come up most often, they
  // are the ones the pack lets through.
  const localOptions = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { type: 'none', o: 'bind', device: `${home}/x` },
        { type: 'none', o: 'bind', device: `${home}/inlink` },
        { o: 'bind', device: `${home}/src` },
      ),
    },
    {
      weight: 4,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' },
        { type: 'tmpfs', device: 'tmpfs' },
        { type: 'tmpfs', device: 'tmpfs', o: 'uid=0,mode=4777' },
        { type: 'tmpfs', device: 'tmpfs', o: 'exec' },
        { type: 'tmpfs', o: 'bind', device: '/' },
        { type: 'tmpfs', o: 'rbind', device: '/etc' },
        { type: 'none', o: 'bind', device: `${home}/link` },
        { type: 'overlay', o: `lowerdir=/etc,upperdir=${home}/o/u,workdir=${home}/o/w`, device: 'overlay' },
        { type: 'ext4', device: '/dev/sda1' },
        { type: 'tmpfs', device: 'tmpfs', size: '1m' },
        { type: 'tmpfs', device: 'tmpfs', foo: 'bar' },
      ),
    },
  );
  const driverName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('', 'local') },
    { weight: 2, arbitrary: fc.constantFrom('LOCAL', '../../x', `../../..${home}/p`, 'foo', 'local/x') },
  );
  const mount = fc.record(
    {
      Type: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('bind', 'volume', 'tmpfs') },
        { weight: 1, arbitrary: fc.constantFrom('npipe', 'BIND', 'image', 'cluster') },
      ),
      Source: fc.oneof(hostPath, volumeName, fc.constant('')),
      Target: fc.constantFrom('/m', '/m2', '/proc/x'),
      ReadOnly: fc.boolean(),
      BindOptions: rarely(
        fc.record(
          {
            Propagation: fc.constantFrom('rshared', 'private', 'rslave'),
            NonRecursive: fc.boolean(),
            CreateMountpoint: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
      ),
      VolumeOptions: fc.record(
        {
          NoCopy: fc.boolean(),
          Labels: fc.constant({ a: 'b' }),
          DriverConfig: fc.record({ Name: driverName, Options: localOptions }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      TmpfsOptions: fc.record(
        { SizeBytes: fc.constantFrom(0, 1 << 20), Mode: fc.constantFrom(0o1777, 0o4755) },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['Type', 'Target'] },
  );
  const portKey = fc.constantFrom('80/tcp', '80', '53/udp');
  const hostPort = fc.constantFrom('80', '8080', '1000-1100', '1023', '1024', '0', '', '65535', '22', ' 80');
  const portBindings = fc.dictionary(
    portKey,
    fc.array(fc.record({ HostIp: fc.constantFrom('', '127.0.0.1'), HostPort: hostPort }), {
      minLength: 1,
      maxLength: 2,
    }),
    { maxKeys: 2 },
  );
  // Users: the ones a container that mounts a host path may run as come up half the time.
  const user = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom('', `${w.uid}`, `${w.uid}:${w.gid}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '0',
        'root',
        '0:0',
        'nobody',
        '65534:0',
        `${w.uid}:0`,
        `${w.name}:${w.name}`,
        `${w.name}`,
        'root:root',
      ),
    },
  );
  const groupAdd = fc.array(fc.constantFrom('0', 'root', 'disk', `${w.gid}`, 'docker', '65534'), { maxLength: 2 });

  // HostConfig fields, each a [name, value] pair; a case takes a few of them.
  // Host mounts (Binds, Mounts) are what the pack rewrites, so they come up most often.
  const hostMountField = fc.oneof(
    fc.tuple(fc.constant('Binds'), fc.array(bind, { minLength: 1, maxLength: 2 })),
    fc.tuple(fc.constant('Mounts'), fc.array(mount, { minLength: 1, maxLength: 2 })),
  );
  // Host mounts the pack lets through (the home, volumes bound into it), for the cases that focus
  // on what happens to what it allows.
  const homeSource = fc.oneof(
    { weight: 3, arbitrary: fc.constant(VOLUME_SLOTS[0]) },
    { weight: 3, arbitrary: fc.constantFrom(`${home}/x`, `${home}/src`, `${home}/inlink`, VOLUME_SLOTS[1]) },
  );
  const homeBindOptions = fc.constantFrom<Record<string, string>>(
    { type: 'none', o: 'bind', device: `${home}/x` },
    { o: 'bind', device: `${home}/src` },
    { type: 'none', o: 'bind', device: `${home}/inlink` },
  );
  const allowedMountField = fc.oneof(
    fc.tuple(
      fc.constant('Binds'),
      fc.array(
        fc
          .tuple(homeSource, fc.constantFrom('/h', '/h2', '/data'), fc.constantFrom('', ':ro', ':rw', ':nocopy'))
          .map(([s, d, m]) => `${s}:${d}${m}`),
        { minLength: 1, maxLength: 2 },
      ),
    ),
    fc.tuple(
      fc.constant('Mounts'),
      fc.array(
        fc.record(
          {
            Type: fc.constantFrom('bind', 'volume'),
            Source: homeSource,
            Target: fc.constantFrom('/m', '/m2', '/data'),
            VolumeOptions: fc.record(
              {
                NoCopy: fc.boolean(),
                DriverConfig: fc.record({ Name: fc.constantFrom('', 'local'), Options: homeBindOptions }),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: ['Type', 'Source', 'Target'] },
        ),
        { minLength: 1, maxLength: 2 },
      ),
    ),
  );
  const otherField = fc.oneof(
    fc.tuple(fc.constant('Privileged'), fc.boolean()),
    fc.tuple(fc.constantFrom('NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'), mode),
    fc.tuple(fc.constantFrom('CapAdd', 'CapDrop'), fc.array(cap, { minLength: 1, maxLength: 2 })),
    fc.tuple(fc.constant('SecurityOpt'), fc.array(securityOpt, { minLength: 1, maxLength: 3 })),
    fc.tuple(fc.constant('PortBindings'), portBindings),
    fc.tuple(fc.constant('PublishAllPorts'), fc.boolean()),
    fc.tuple(
      fc.constant('Devices'),
      fc.array(
        fc.record({
          PathOnHost: fc.constantFrom('/dev/null', '/dev/sda', '/dev/mem', '/dev/fuse'),
          PathInContainer: fc.constant('/dev/x'),
          CgroupPermissions: fc.constantFrom('rwm', 'r'),
        }),
        { minLength: 1, maxLength: 1 },
      ),
    ),
    fc.tuple(
      fc.constant('DeviceCgroupRules'),
      fc.array(fc.constantFrom('a *:* rwm', 'c 1:3 r', 'b 8:* rw'), { minLength: 1, maxLength: 1 }),
    ),
    fc.tuple(fc.constant('DeviceRequests'), fc.constant([{ Driver: '', Count: -1, Capabilities: [['gpu']] }])),
    fc.tuple(
      fc.constant('Sysctls'),
      fc.dictionary(
        fc.constantFrom(
          'net.ipv4.ip_unprivileged_port_start',
          'net.core.somaxconn',
          'kernel.shm_rmid_forced',
          'kernel.core_pattern',
          'net.ipv4.ping_group_range',
        ),
        fc.constantFrom('0', '1', '0 2147483647'),
        { minKeys: 1, maxKeys: 1 },
      ),
    ),
    fc.tuple(
      fc.constant('CgroupParent'),
      fc.constantFrom('', '/', 'docker', '/docker', '../..', 'system.slice', '/sys/fs/cgroup'),
    ),
    fc.tuple(
      fc.constant('Runtime'),
      fc.constantFrom(
        '',
        'runc',
        'RUNC',
        'io.containerd.runc.v2',
        'io.containerd.runtime.v1.linux',
        'nvidia',
        '../runc',
      ),
    ),
    fc.tuple(
      fc.constant('LogConfig'),
      fc.record({
        Type: fc.constantFrom('', 'json-file', 'local', 'none', 'journald', 'syslog', 'fluentd', '../../x', 'foo'),
        Config: fc.constantFrom({}, { 'max-size': '1m' }, { 'syslog-address': 'unix:///dev/log' }),
      }),
    ),
    fc.tuple(fc.constant('GroupAdd'), groupAdd),
    fc.tuple(fc.constant('VolumeDriver'), driverName),
    fc.tuple(fc.constant('VolumesFrom'), fc.constant(['x'])),
    fc.tuple(fc.constant('MaskedPaths'), fc.constantFrom([], ['/proc/kcore'])),
    fc.tuple(fc.constant('ReadonlyPaths'), fc.constantFrom([], ['/proc/sys'])),
    fc.tuple(fc.constant('Isolation'), fc.constantFrom('', 'default', 'hyperv', 'process')),
    fc.tuple(fc.constant('Cgroup'), fc.constantFrom('', 'host', 'container:x')),
    fc.tuple(fc.constant('OomScoreAdj'), fc.constantFrom(-1000, -1, 0, 500)),
    fc.tuple(fc.constant('Annotations'), fc.constant({ 'io.kubernetes.cri.sandbox-id': 'x' })),
    fc.tuple(fc.constant('Tmpfs'), fc.constantFrom({ '/run': 'rw,exec' }, { '/t': 'size=1m' })),
    fc.tuple(fc.constant('Ulimits'), fc.constant([{ Name: 'nofile', Soft: 1024, Hard: 2048 }])),
    fc.tuple(fc.constantFrom('Memory', 'ShmSize', 'PidsLimit', 'CpuShares'), fc.constantFrom(0, 64 * 1024 * 1024, -1)),
    fc.tuple(fc.constantFrom('ReadonlyRootfs', 'Init', 'OomKillDisable', 'AutoRemove'), fc.boolean()),
    fc.tuple(
      fc.constant('RestartPolicy'),
      fc.constantFrom({ Name: 'no' }, { Name: 'on-failure', MaximumRetryCount: 1 }),
    ),
    fc.tuple(fc.constantFrom('ExtraHosts', 'Dns'), fc.constantFrom(['h:127.0.0.1'], ['127.0.0.1'])),
    fc.tuple(fc.constant('StorageOpt'), fc.constant({ size: '1G' })),
    fc.tuple(fc.constant('Links'), fc.constant(['x:y'])),
    fc.tuple(fc.constantFrom('BogusField', 'HostConfigX'), fc.constantFrom(true, 'host', 1)),
  );
  const hostConfigField = fc.oneof({ weight: 1, arbitrary: hostMountField }, { weight: 2, arbitrary: otherField });
  // Settings the pack lets through, to go with host mounts in the cases that focus on them.
  const benignField = fc.oneof(
    fc.tuple(fc.constantFrom('Memory', 'PidsLimit'), fc.constantFrom(64 * 1024 * 1024, 100)),
    fc.tuple(fc.constant('NetworkMode'), fc.constantFrom('none', 'bridge', 'default', '')),
    fc.tuple(
      fc.constant('SecurityOpt'),
      fc.constantFrom(['no-new-privileges'], ['no-new-privileges=false'], ['no-new-privileges:true']),
    ),
    fc.tuple(fc.constantFrom('ReadonlyRootfs', 'Init'), fc.boolean()),
    fc.tuple(fc.constant('CapDrop'), fc.constant(['ALL'])),
    fc.tuple(fc.constant('GroupAdd'), fc.constant([`${w.gid}`])),
    fc.tuple(fc.constant('Tmpfs'), fc.constant({ '/t': 'size=1m' })),
  );
  // Key spellings dockerd's Go decoder folds onto the same field.
  const spelling = fc.constantFrom<(k: string) => string>(
    (k) => k,
    (k) => k,
    (k) => k,
    (k) => k.toLowerCase(),
    (k) => k.toUpperCase(),
  );
  const fields = (arb: fc.Arbitrary<[string, unknown]>, max: number) =>
    fc
      .uniqueArray(fc.tuple(arb, spelling), { maxLength: max, selector: ([[k]]) => k.toLowerCase() })
      .map((pairs) => Object.fromEntries(pairs.map(([[k, v], spell]) => [spell(k), v])));

  // Config fields, each present a third of the time (absent fields are dropped).
  const sometimes = <T>(arb: fc.Arbitrary<T>) =>
    fc.oneof(
      { withCrossShrink: true },
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: arb },
    );
  const configFields = fc
    .record({
      User: sometimes(user),
      Labels: sometimes(fc.constantFrom({ a: 'b' }, { 'com.example.x': '' })),
      Env: sometimes(fc.constant(['A=b'])),
      WorkingDir: sometimes(fc.constantFrom('/', '/tmp')),
      Volumes: sometimes(fc.constantFrom({ '/anon': {} }, { '/h': {} })),
      ExposedPorts: sometimes(fc.constant({ '80/tcp': {} })),
      Hostname: sometimes(fc.constant('h')),
      NetworkDisabled: sometimes(fc.boolean()),
      StopSignal: sometimes(fc.constant('SIGTERM')),
      Healthcheck: sometimes(fc.constant({ Test: ['NONE'] })),
    })
    .map((fields) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
  // HostConfig fields dockerd 20.10 also reads from the top level of a create body.
  const topLevelHostConfig = fc.oneof(
    fc.tuple(fc.constant('Binds'), fc.array(bind, { minLength: 1, maxLength: 1 })),
    fc.tuple(fc.constant('Privileged'), fc.boolean()),
    fc.tuple(fc.constant('Runtime'), fc.constantFrom('runc', 'io.containerd.runc.v2')),
    fc.tuple(fc.constant('CapAdd'), fc.constant(['SYS_ADMIN'])),
    fc.tuple(fc.constant('PidMode'), mode),
    fc.tuple(fc.constant('Memory'), fc.constant(64 * 1024 * 1024)),
  );
  const endpoints = rarely(
    fc.constantFrom(
      { EndpointsConfig: { none: {} } },
      { EndpointsConfig: { bridge: { Aliases: ['a'] } } },
      {
        EndpointsConfig: {
          bridge: { DriverOpts: { 'com.docker.network.endpoint.sysctls': 'net.ipv4.conf.IFNAME.forwarding=1' } },
        },
      },
    ),
  );
  // The busybox test image, or one the user imported through the proxy holding setuid-root files
  // where volumes are mounted (dockerd copies an image's files into an empty volume, as root).
  const image = fc.oneof(
    { weight: 1, arbitrary: fc.constant('@image') },
    { weight: 2, arbitrary: fc.constant('@suidimage') },
  );
  const createBody = fc
    .record({
      image,
      config: configFields,
      hostConfig: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant(undefined), weight: 1 },
        { arbitrary: fields(hostConfigField, 3), weight: 3 },
        {
          arbitrary: fc
            .tuple(fields(fc.oneof(hostMountField, allowedMountField, allowedMountField), 2), fields(benignField, 2))
            .map(([mounts, benign]) => ({ ...benign, ...mounts })),
          weight: 3,
        },
      ),
      hostConfigKey: fc.constantFrom('HostConfig', 'HostConfig', 'HostConfig', 'hostconfig', 'HOSTCONFIG'),
      topLevel: fc.oneof(
        { withCrossShrink: true },
        { arbitrary: fc.constant({}), weight: 3 },
        { arbitrary: fields(topLevelHostConfig, 2), weight: 1 },
      ),
      networking: endpoints,
      unknown: rarely(fc.constantFrom({ Foo: 1 }, { Image2: 'x' }, { Privileged2: true })),
    })
    .map(({ image, config, hostConfig, hostConfigKey, topLevel, networking, unknown }) => ({
      ...config,
      ...(unknown ?? {}),
      ...topLevel,
      Image: image,
      Cmd: ['sleep', '20'],
      ...(hostConfig === undefined ? {} : { [hostConfigKey]: hostConfig }),
      ...(networking === undefined ? {} : { NetworkingConfig: networking }),
    }));
  const apiPrefix = fc.constantFrom('', '/v1.41', '/v1.24', '/v1.23', '/v1.12');

  const startBody = fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(undefined), weight: 4 },
    { arbitrary: fields(hostConfigField, 3), weight: 3 },
    { arbitrary: fields(hostConfigField, 2).map((hc) => ({ HostConfig: hc })), weight: 1 },
    { arbitrary: fc.constantFrom({}, null, 'null', '{"Binds":["/:/h"]} '), weight: 1 },
  );

  const updateField = fc.oneof(
    fc.tuple(
      fc.constantFrom('Memory', 'MemorySwap', 'CpuShares', 'PidsLimit', 'BlkioWeight', 'KernelMemory', 'CpuQuota'),
      fc.constantFrom(0, -1, 64 * 1024 * 1024, 500),
    ),
    fc.tuple(fc.constant('CpusetCpus'), fc.constantFrom('0', '0-1', '')),
    fc.tuple(
      fc.constant('RestartPolicy'),
      fc.constantFrom({ Name: 'always' }, { Name: 'no' }, { Name: 'on-failure', MaximumRetryCount: 3 }),
    ),
    fc.tuple(fc.constant('CgroupParent'), fc.constantFrom('/', '../..', 'docker')),
    fc.tuple(
      fc.constant('Devices'),
      fc.constant([{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }]),
    ),
    fc.tuple(fc.constant('DeviceCgroupRules'), fc.constant(['a *:* rwm'])),
    fc.tuple(fc.constant('Ulimits'), fc.constant([{ Name: 'nofile', Soft: 1, Hard: 2 }])),
    fc.tuple(fc.constantFrom('Privileged', 'Binds', 'CapAdd'), fc.constantFrom(true, ['/:/h'], ['SYS_ADMIN'])),
  );

  const volumeBody = fc.record(
    {
      Name: fc.oneof(
        { weight: 4, arbitrary: fc.constant(VOLUME_SLOTS[0]) },
        { weight: 1, arbitrary: fc.constant(VOLUME_SLOTS[1]) },
      ),
      Driver: driverName,
      DriverOpts: localOptions,
      Labels: fc.constant({ a: 'b' }),
    },
    { requiredKeys: ['Name'] },
  );

  return fc.record({
    volume: fc.option(
      fc.record({
        body: volumeBody,
        prefix: apiPrefix,
        race: fc.boolean(),
        raceDelayMs: fc.integer({ min: 0, max: 8 }),
      }),
      { nil: null, freq: 3 },
    ),
    create: fc.record({ body: createBody, prefix: apiPrefix }),
    startBody,
    update: fc.option(fc.record({ body: fields(updateField, 3), prefix: apiPrefix }), { nil: null, freq: 2 }),
  });
}

describe('generative: what the pack lets an ordinary user create is allowed at rest (dockgate audit)', {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let daemon: Daemon;
  let served: Served;
  let user: TestUser;
  let home: string;
  let image: string;
  /** An image the user imported through the proxy, with setuid-root files at the mount targets. */
  let suidImage: string;
  let session: UserSession;
  /** A second connection of the same user, for requests sent at the same time as the first's. */
  let raceSession: UserSession;
  let api: DaemonApi;
  let facts: DaemonFacts;
  let engine: PolicyEngine;
  const tag = crypto.randomBytes(3).toString('hex');

  before(async () => {
    daemon = await startDaemon();
    image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666'] });
    user = createUser();
    home = `/home/${user.name}`;
    // x and src stay empty (dockerd copies an image's files only into an empty volume).
    for (const d of ['x', 'src', 'o/u', 'o/w']) fs.mkdirSync(path.join(home, d), { recursive: true });
    fs.symlinkSync('/', path.join(home, 'link'));
    fs.symlinkSync(path.join(home, 'x'), path.join(home, 'inlink'));
    for (const p of [home, ...['x', 'src', 'o', 'o/u', 'o/w', 'link', 'inlink'].map((d) => path.join(home, d))])
      fs.lchownSync(p, user.uid, user.gid);
    suidImage = await importSetuidImage(`gen-suid-${tag}:1`);
    session = UserSession.start(served.socket, { uid: user.uid, gid: user.gid });
    raceSession = UserSession.start(served.socket, { uid: user.uid, gid: user.gid });
    api = daemonApi(parseAddress(`unix://${daemon.socket}`, 'daemon'), 30_000);
    facts = await readDaemonFacts(api);
    engine = await PolicyEngine.load({ runtimeConfig: facts.runtimeConfig });
  });

  after(async () => {
    await session?.close();
    await raceSession?.close();
    if (daemon) {
      const direct = dockerAt(daemon.socket);
      const left = (await direct(['ps', '-aq'])).stdout.toString().split('\n').filter(Boolean);
      if (left.length) await direct(['rm', '-f', '-v', ...left], { timeoutMs: 300_000 });
      await direct(['volume', 'prune', '-f']);
    }
    await served?.stop();
    user?.remove();
    if (home) fs.rmSync(home, { recursive: true, force: true });
    await daemon?.stop();
  });

  test(`random create, start, update and volume bodies (${RUNS} cases, seed ${SEED})`, {
    timeout: TIME_LIMIT_MS + 600_000,
  }, async (t) => {
    process.stderr.write(
      `generative: seed ${SEED}, ${RUNS} cases (DOCKGATE_GEN_SEED=${SEED} DOCKGATE_GEN_RUNS=${RUNS} to replay)\n`,
    );
    let caseNo = 0;
    const stats = { created: 0, started: 0, updated: 0, volumes: 0, refusedCreates: 0 };
    /** Why creates were not made, by status and first rule: shows what the generator reaches. */
    const refusals = new Map<string, number>();
    const owners = new OwnerResolver(user.name);
    await owners.init();

    const property = fc.asyncProperty(
      fc.limitShrink(arbitraries({ home, uid: user.uid, gid: user.gid, name: user.name }), MAX_SHRINKS),
      async (c) => {
        const n = caseNo++;
        const names = new Map<string, string>(VOLUME_SLOTS.map((slot, i) => [slot, `g${tag}-${n}-v${i + 1}`]));
        const concrete = (v: unknown): string => {
          let text = JSON.stringify(v);
          for (const [slot, real] of names) text = text.split(slot).join(real);
          return text.split('@image').join(image).split('@suidimage').join(suidImage);
        };
        const log: string[] = [];
        const send = async (method: string, p: string, body?: unknown, on = session): Promise<SessionAnswer> => {
          const text = body === undefined ? undefined : typeof body === 'string' ? body : concrete(body);
          const a = await on.request({ method, path: p, body: text });
          log.push(
            `${method} ${p}${text === undefined ? '' : ` ${text}`} -> ${a.status} ${a.body.trim().slice(0, 300)}`,
          );
          return a;
        };

        const createContainer = () =>
          send('POST', `${c.create.prefix}/containers/create?name=g${tag}-${n}`, c.create.body);
        let created: SessionAnswer;
        if (c.volume) {
          const { prefix, body, race, raceDelayMs } = c.volume;
          const createVolume = () => send('POST', `${prefix}/volumes/create`, body, raceSession);
          let volume: SessionAnswer;
          if (race) [created, volume] = await Promise.all([createContainer(), sleep(raceDelayMs).then(createVolume)]);
          else [volume, created] = [await createVolume(), await createContainer()];
          if (volume.status === 201) stats.volumes++;
        } else {
          created = await createContainer();
        }
        let id: string | undefined;
        if (created.status === 201) {
          id = (JSON.parse(created.body) as { Id: string }).Id;
          stats.created++;
          if (c.startBody !== undefined)
            await send('POST', `/v1.23/containers/${id}/start`, c.startBody === null ? 'null' : c.startBody);
          const started = await send('POST', `/containers/${id}/start`);
          if (started.status === 204) stats.started++;
          if (c.update) {
            const u = await send('POST', `${c.update.prefix}/containers/${id}/update`, c.update.body);
            if (u.status === 200) stats.updated++;
          }
        } else {
          stats.refusedCreates++;
          const why =
            /dockgate: ([a-z-]+):/.exec(created.body)?.[1] ??
            created.body.replace(/[0-9a-f]{12,}|g[0-9a-f]{6}-[0-9]+/g, '*').slice(0, 80);
          const key = `${created.status} ${why}`;
          refusals.set(key, (refusals.get(key) ?? 0) + 1);
        }
        if (process.env.DOCKGATE_GEN_VERBOSE) process.stderr.write(`case ${n}:\n  ${log.join('\n  ')}\n`);

        // At rest: this case's container and volumes, judged by the audit's own code.
        const mine = new Set<string>([...(id ? [id] : []), ...names.values()]);
        const report = await auditDaemon({
          api,
          engine,
          owners,
          defaults: facts.defaults,
          select: (_kind, key) => mine.has(key),
        });
        const effect = [id ? await runsAsCaller(id) : undefined, foreignSetuidFiles()].filter(Boolean).join('\n');
        if (report.findings.length > 0 || report.errors.length > 0 || effect) {
          throw new Error(
            `${effect ? `${effect}\n` : ''}${report.findings.length || report.errors.length ? `at rest:\n${formatText(report)}${report.errors.map((e) => `error: ${e.message}\n`).join('')}` : ''}` +
              `requests:\n  ${log.join('\n  ')}`,
          );
        }
      },
    );

    const details = await fc.check(property, {
      seed: SEED,
      numRuns: RUNS,
      interruptAfterTimeLimit: TIME_LIMIT_MS,
      markInterruptAsFailure: false,
      includeErrorInReport: true,
      examples: knownAttacks({ home, uid: user.uid, gid: user.gid, name: user.name }).map((c) => [c] as [Case]),
    });
    const summary = `generative: ${details.numRuns} cases run (seed ${SEED}), ${details.numShrinks} shrinks; ${stats.created} containers created (${stats.started} started, ${stats.updated} updated), ${stats.refusedCreates} creates refused or failed, ${stats.volumes} volumes created${details.interrupted ? '; stopped at the time limit' : ''}`;
    process.stderr.write(`${summary}\n`);
    const reasons = [...refusals].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`);
    if (reasons.length)
      process.stderr.write(`generative: creates not made, by status and first reason:\n  ${reasons.join('\n  ')}\n`);
    t.diagnostic(summary);
    if (details.failed) assert.fail(fc.defaultReportMessage(details) ?? 'the property failed');
    assert.ok(details.numRuns >= Math.min(RUNS, 50), `only ${details.numRuns} cases ran before the time limit`);
    assert.ok(stats.created > 0 && stats.started > 0, 'some generated containers were allowed, created and started');

    // The whole daemon, by the real command, as the user who made everything there.
    const audit = await run(DOCKGATE_BIN, ['audit', '--upstream', `unix://${daemon.socket}`, '--as', user.name], {
      timeoutMs: 300_000,
    });
    assert.equal(audit.code, 0, `dockgate audit --as ${user.name} found something:\n${audit.stdout}${audit.stderr}`);
  });

  /**
   * Imports, as the user and through the proxy (as anyone may), an image whose mount targets
   * hold setuid-root files: busybox for the shell and sleep, and small setuid files beside.
   */
  async function importSetuidImage(name: string): Promise<string> {
    const dir = fs.mkdtempSync('/tmp/dgg-');
    try {
      const root = path.join(dir, 'root');
      fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
      fs.copyFileSync(
        fs.existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox',
        path.join(root, 'bin/busybox'),
      );
      fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
      for (const applet of ['sh', 'sleep', 'id']) fs.symlinkSync('busybox', path.join(root, 'bin', applet));
      for (const target of SETUID_TARGETS) {
        fs.mkdirSync(path.join(root, target), { recursive: true });
        fs.writeFileSync(path.join(root, target, 'suid'), '#!/bin/sh\n');
        fs.chmodSync(path.join(root, target, 'suid'), 0o4755); // owned by root: the test runs as root
      }
      const tarFile = path.join(dir, 'image.tar');
      const packed = await run('tar', ['-C', root, '-cf', tarFile, '.']);
      assert.equal(packed.code, 0, packed.stderr);
      fs.chmodSync(dir, 0o755);
      fs.chmodSync(tarFile, 0o644);
      const asUser = dockerAt(served.socket, { as: { uid: user.uid, gid: user.gid }, env: { HOME: home } });
      const imported = await asUser(['import', tarFile, name]);
      assert.equal(imported.code, 0, `the user imports an image through the proxy: ${imported.stderr}`);
      return name;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Setuid or setgid files in the home that the user does not own: what an ordinary user must
   * never get (run one, and they are its owner). Listed and removed, so that the next case
   * starts from a clean home; undefined when there are none.
   */
  function foreignSetuidFiles(): string | undefined {
    const found: string[] = [];
    const walk = (dir: string, depth: number) => {
      if (depth > 6 || found.length > 20) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        const st = fs.lstatSync(p, { throwIfNoEntry: false });
        if (!st) continue;
        if ((st.mode & 0o6000) !== 0 && st.uid !== user.uid && !st.isDirectory())
          found.push(`${p} (uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)})`);
        if (e.isDirectory()) walk(p, depth + 1);
      }
    };
    walk(home, 0);
    for (const f of found) fs.rmSync(f.replace(/ \(uid .*$/, ''), { force: true });
    return found.length ? `setuid files the user does not own appeared in the home: ${found.join(', ')}` : undefined;
  }

  /**
   * The effect the pack promises, checked on the kernel's view: a running container that mounts a
   * host path runs as the caller's uid and gid with no-new-privileges. Undefined when it holds
   * (or the container is not running), else what is wrong.
   */
  async function runsAsCaller(id: string): Promise<string | undefined> {
    const answer = await api.get(`/containers/${id}/json`);
    if (answer.status !== 200) return undefined;
    const inspect = answer.body as { State?: { Running?: boolean; Pid?: number } };
    if (!inspect.State?.Running || !inspect.State.Pid) return undefined;
    const target = await describeContainer(inspect, async (name) => {
      const v = await api.get(`/volumes/${encodeURIComponent(name)}`);
      if (v.status !== 200) return undefined;
      const body = v.body as { Driver?: string; Options?: Record<string, string> | null };
      return { Driver: body.Driver ?? '', Options: body.Options ?? null };
    });
    if (!target.host_mounts) return undefined;
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${inspect.State.Pid}/status`, 'utf8');
    } catch {
      return undefined; // exited since
    }
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.split(/\s+/) ?? [];
    const uids = field('Uid');
    const gids = field('Gid');
    const nnp = field('NoNewPrivs')[0];
    const groups = field('Groups').filter(Boolean);
    const wrong: string[] = [];
    if (uids.some((u) => u !== String(user.uid))) wrong.push(`uids ${uids.join(' ')}`);
    if (gids.some((g) => g !== String(user.gid))) wrong.push(`gids ${gids.join(' ')}`);
    if (groups.some((g) => g !== String(user.gid))) wrong.push(`supplementary groups ${groups.join(' ')}`);
    if (nnp !== '1') wrong.push(`NoNewPrivs ${nnp}`);
    return wrong.length
      ? `a running container that mounts a host path runs with ${wrong.join(', ')} (the caller is ${user.uid}:${user.gid})`
      : undefined;
  }
});
