// `dockgate policy list | explain | export`: the text people read, kept word for word
// (test/policy/fixtures/policy-text.json holds it), and an exported pack that judges as the
// built-in one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKGATE_BIN, REPO_ROOT } from '../harness/index.js';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import type { InputIdentity } from '../../src/docker/input.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { toJS } from '../../src/rego/index.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface PolicyText {
  list: Run;
  explain: Record<string, Run>;
  errors: Record<string, Run>;
}

const fixtures = join(REPO_ROOT, 'test', 'policy', 'fixtures');
const expected = JSON.parse(readFileSync(join(fixtures, 'policy-text.json'), 'utf8')) as PolicyText;

function policy(args: string[]): Run {
  const r = spawnSync(process.execPath, [DOCKGATE_BIN, 'policy', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('policy list prints the same text as before, rule for rule', () => {
  assert.deepEqual(policy(['list']), expected.list);
});

test('policy explain prints the same text as before for every rule', () => {
  const ids = expected.list.stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(' ')[0]);
  assert.deepEqual(ids.sort(), Object.keys(expected.explain).sort());
  for (const [id, run] of Object.entries(expected.explain)) assert.deepEqual(policy(['explain', id]), run, id);
});

test('policy explain and unknown subcommands fail with the same messages as before', () => {
  for (const [args, run] of Object.entries(expected.errors))
    assert.deepEqual(policy(args === '' ? [] : args.split(' ')), run, `policy ${args}`);
});

const home = '/home/alice';
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

/** Requests that each rule of the pack refuses or rewrites, and some it lets through. */
const requests: [string, string, unknown][] = [
  ['GET', '/v1.41/containers/json', undefined],
  ['POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: {} }],
  ['POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { Binds: [`${home}/src:/src`] } }],
  ['POST', '/v1.41/containers/create', { Image: 'busybox', User: '0', HostConfig: { Binds: [`${home}/s:/s`] } }],
  ['POST', '/v1.41/containers/create', { Image: 'quay.io/x/y', HostConfig: { Privileged: true, Binds: ['/:/h'] } }],
  [
    'POST',
    '/v1.41/containers/create',
    {
      Image: 'busybox',
      HostConfig: {
        PidMode: 'host',
        IpcMode: 'container:x',
        CapAdd: ['SYS_ADMIN'],
        Devices: [{ PathOnHost: '/dev/kmsg' }],
        SecurityOpt: ['seccomp=unconfined'],
        Sysctls: { 'kernel.x': '1' },
        CgroupParent: '/',
        PortBindings: { '80/tcp': [{ HostPort: '80' }] },
        Runtime: 'x',
        LogConfig: { Type: 'syslog' },
      },
      Frob: 1,
    },
  ],
  ['POST', '/v1.41/containers/abc/exec', { Cmd: ['sh'], Privileged: true }],
  ['POST', '/v1.23/containers/abc/start', { Binds: ['/:/h'] }],
  ['POST', '/v1.41/containers/abc/update', { Devices: [{ PathOnHost: '/dev/sda' }], PidsLimit: -1 }],
  ['POST', '/v1.41/volumes/create', { Name: 'v', DriverOpts: { type: 'nfs', o: 'addr=x' } }],
  ['POST', '/v1.41/networks/create', { Name: 'n', Driver: '../x', Options: { a: 'b' } }],
  ['POST', '/v1.41/build?version=2&networkmode=host&pull=1', undefined],
  ['POST', '/v1.41/plugins/pull?remote=x', []],
  ['POST', '/v1.41/swarm/init', {}],
  ['GET', '/v1.41/no/such/endpoint', undefined],
  ['POST', '/v1.41/images/create?fromImage=quay.io%2Fx%2Fy&tag=1', undefined],
];

test('an exported pack loaded with its dockgate.toml judges as the built-in one', async () => {
  const out = mkdtempSync(join(tmpdir(), 'dg-export-'));
  const r = spawnSync(process.execPath, [DOCKGATE_BIN, 'policy', 'export', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    readFileSync(join(out, 'dockgate.toml'), 'utf8'),
    readFileSync(join(fixtures, 'export-dockgate.toml'), 'utf8'),
  );
  assert.ok(readdirSync(out).includes('authz.rego'));
  const builtin = await PolicyEngine.load({});
  const exported = await PolicyEngine.load({ policies: [out], config: join(out, 'dockgate.toml') });
  for (const optional of [false, true]) {
    const turnOn = (c: typeof builtin.config) => {
      if (!optional) return;
      for (const rule of Object.values(c.rules as Record<string, { enabled: boolean }>)) rule.enabled = true;
    };
    const a = optional ? await PolicyEngine.load({ runtimeConfig: turnOn }) : builtin;
    const b = optional
      ? await PolicyEngine.load({ policies: [out], config: join(out, 'dockgate.toml'), runtimeConfig: turnOn })
      : exported;
    let refused = 0;
    for (const [method, target, body] of requests) {
      const { input } = await readRequest({
        routed: routeRequest({ method, target }),
        method,
        target,
        headers: {},
        identity: alice,
        layer: 'proxy',
        body: body === undefined ? null : Buffer.from(JSON.stringify(body)),
      });
      const da = a.decide(input);
      assert.deepEqual(b.decide(input), da, `${method} ${target}`);
      const mutated = (e: PolicyEngine) => {
        const m = e.mutatedBody(input);
        return m === undefined ? undefined : toJS(m);
      };
      assert.deepEqual(mutated(b), mutated(a), `${method} ${target}`);
      if (!da.allow) refused++;
    }
    assert.ok(refused >= requests.length - 4, `only ${refused} requests refused`);
  }
});
