// authz.rego asks every rule package the config switches on: a rule file added under rules/ is
// asked without editing a list, a rule switched off contributes nothing, and admins stay exempt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import type { InputIdentity } from '../../src/docker/input.js';
import { builtinPackDir, PolicyEngine, type Config } from '../../src/policy/index.js';
import { RULES } from '../../src/policy/catalog.js';
import { toJS } from '../../src/rego/index.js';

const alice: InputIdentity = {
  uid: 1000,
  gid: 1000,
  user: 'alice',
  groups: ['alice'],
  admin: false,
  pid: 1,
  home: '/home/alice',
  via: 'peercred',
};
const admin: InputIdentity = { ...alice, uid: 0, user: 'root', admin: true, home: '/root' };

async function input(method: string, target: string, body?: unknown, identity = alice) {
  const { input } = await readRequest({
    routed: routeRequest({ method, target }),
    method,
    target,
    headers: {},
    identity,
    layer: 'proxy',
    body: body === undefined ? null : Buffer.from(JSON.stringify(body)),
  });
  return input;
}

const rules = (c: Config) => c.rules as Record<string, { enabled: boolean }>;

test('a rule file added to the pack is asked, by its id, when its config table switches it on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-pack-added-'));
  cpSync(builtinPackDir(), dir, { recursive: true });
  writeFileSync(
    join(dir, 'rules', 'no-volumes.rego'),
    'package dockgate.rules.no_volumes\n\nimport rego.v1\n\nimport data.dockgate.lib\n\n' +
      'deny contains lib.violation("volumes are refused", "use a bind") if input.request.action == "volume.create"\n\n' +
      'mutations contains {"op": "add", "path": "/X", "value": 1} if input.request.action == "volume.create"\n',
  );
  const withRule = (enabled: boolean) =>
    PolicyEngine.load({ policies: [dir], runtimeConfig: (c) => void (rules(c)['no-volumes'] = { enabled }) });
  const create = await input('POST', '/v1.41/volumes/create', {});
  const on = await withRule(true);
  assert.deepEqual(on.decide(create).reasons, [{ rule: 'no-volumes', msg: 'volumes are refused', hint: 'use a bind' }]);
  assert.deepEqual(toJS(on.mutatedBody(create)!), { X: 1 });
  assert.equal(on.decide(await input('POST', '/v1.41/volumes/create', {}, admin)).allow, true);
  const off = await withRule(false);
  assert.equal(off.decide(create).allow, true);
  assert.equal(off.mutatedBody(create), undefined);
});

test('a rule switched off in the config contributes no reason and no rewrite', async () => {
  const requests = await Promise.all([
    input('POST', '/v1.41/containers/create', {
      Image: 'busybox',
      User: '0',
      HostConfig: {
        Privileged: true,
        Binds: ['/etc:/e', '/home/alice/s:/s'],
        PidMode: 'host',
        IpcMode: 'container:x',
        CapAdd: ['SYS_ADMIN'],
        SecurityOpt: ['seccomp=unconfined'],
        Sysctls: { 'kernel.x': '1' },
        CgroupParent: '/',
        PortBindings: { '80/tcp': [{ HostPort: '80' }] },
        Devices: [{ PathOnHost: '/dev/kmsg' }],
        LogConfig: { Type: 'syslog' },
        Runtime: 'x',
      },
    }),
    input('POST', '/v1.41/swarm/init', {}),
    input('GET', '/v1.41/no/such/endpoint'),
  ]);
  const all = await PolicyEngine.load({});
  const refusing = new Set(requests.flatMap((r) => all.decide(r).reasons.map((x) => x.rule)));
  assert.ok(refusing.size >= 12, [...refusing].join(' '));
  for (const id of refusing) {
    const e = await PolicyEngine.load({ runtimeConfig: (c) => void (rules(c)[id]!.enabled = false) });
    for (const r of requests) {
      const reasons = e.decide(r).reasons;
      assert.ok(!reasons.some((x) => x.rule === id), `${id} switched off still refuses: ${JSON.stringify(reasons)}`);
      assert.deepEqual(
        reasons,
        all.decide(r).reasons.filter((x) => x.rule !== id),
      );
    }
  }
  const none = await PolicyEngine.load({
    runtimeConfig: (c) => {
      for (const r of RULES.list()) rules(c)[r.id]!.enabled = false;
    },
  });
  for (const r of requests) assert.deepEqual(none.decide(r).reasons, []);
  assert.equal(none.mutatedBody(requests[0]!), undefined);
  assert.notEqual(all.mutatedBody(requests[0]!), undefined);
});
