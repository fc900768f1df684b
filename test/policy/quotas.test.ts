// The pack's quotas rule on input documents built the way the proxy builds them: defaults added
// to a create that sets none (and the rewritten create allowed), limits per container on
// create, update and old-style start bodies, GPUs by group, and per-user totals from
// `input.usage` when a container starts. Per-user and per-group tables override the defaults.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputIdentity } from '../../src/docker/input.js';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import { PolicyEngine, type PolicyDecision } from '../../src/policy/index.js';
import { toJSON } from '../../src/rego/index.js';

const alice: InputIdentity = {
  uid: 1000,
  gid: 1000,
  user: 'alice',
  groups: ['alice', 'gpu'],
  admin: false,
  pid: 1,
  home: '/nonexistent',
  via: 'peercred',
};
const bob: InputIdentity = { ...alice, uid: 1001, user: 'bob', groups: ['bob'] };

const CONFIG = `
[tenancy]
cgroup_parent = "dockgate-{user}"
[quotas]
memory = "256MiB"
max_memory = "1GiB"
cpus = 0.5
max_cpus = 2
pids = 100
max_pids = 500
max_running = 2
max_gpus = 1
gpu_groups = ["gpu"]
[quotas.users.bob]
max_memory = "4GiB"
max_running = 1
[quotas.groups.gpu]
max_gpus = 2
`;

let engine: PolicyEngine;
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-quotas-'));
  writeFileSync(join(dir, 'dockgate.toml'), CONFIG);
  engine = await PolicyEngine.load({ config: join(dir, 'dockgate.toml') });
});

async function inputOf(method: string, target: string, body: unknown, identity: InputIdentity, extra = {}) {
  const routed = routeRequest({ method, target });
  const { input } = await readRequest({
    routed,
    method,
    target,
    headers: {},
    identity,
    layer: 'proxy',
    body: body === undefined ? null : Buffer.from(JSON.stringify(body)),
  });
  return { ...input, ...extra };
}

async function judge(
  method: string,
  target: string,
  body: unknown,
  identity = alice,
  extra = {},
): Promise<PolicyDecision> {
  return engine.decide(await inputOf(method, target, body, identity, extra));
}

/** The create as the core forwards it: the policy's rewrite applied, and the rewrite judged again. */
async function created(hostConfig: Record<string, unknown>, identity = alice) {
  const body = { Image: 'busybox', HostConfig: hostConfig };
  const first = await inputOf('POST', '/v1.41/containers/create', body, identity);
  const decision = engine.decide(first);
  const mutated = engine.mutatedBody(first);
  if (!decision.allow || mutated === undefined) return { decision, body };
  const rewritten = JSON.parse(toJSON(mutated)) as { HostConfig: Record<string, unknown> };
  return { decision: await judge('POST', '/v1.41/containers/create', rewritten, identity), body: rewritten };
}

function refusedBy(d: PolicyDecision, pattern: RegExp): void {
  assert.equal(d.allow, false, 'expected a refusal');
  assert.ok(
    d.reasons.some((r) => r.rule === 'quotas' && pattern.test(String(r.msg))),
    `expected a quotas reason matching ${pattern}, got ${JSON.stringify(d.reasons)}`,
  );
}

describe('quotas: defaults and limits per container', () => {
  test('a create that sets no limits gets the defaults and the user cgroup parent, and is allowed', async () => {
    const { decision, body } = await created({});
    assert.equal(decision.allow, true, JSON.stringify(decision.reasons));
    assert.equal(body.HostConfig.Memory, 256 * 1024 * 1024);
    assert.equal(body.HostConfig.NanoCpus, 500_000_000);
    assert.equal(body.HostConfig.PidsLimit, 100);
    assert.equal(body.HostConfig.CgroupParent, 'dockgate-alice');
  });

  test('limits over the most are refused, naming the limit', async () => {
    refusedBy((await created({ Memory: 2 * 1024 ** 3 })).decision, /memory .* over the most/);
    refusedBy((await created({ NanoCpus: 4_000_000_000 })).decision, /4 CPUs is over/);
    refusedBy((await created({ PidsLimit: 10_000 })).decision, /process limit of 10000/);
    refusedBy((await created({ PidsLimit: -1 })).decision, /process limit of unlimited/);
    refusedBy((await created({ CpuQuota: 800_000, CpuPeriod: 100_000 })).decision, /CpuQuota is refused/);
    refusedBy((await created({ CgroupParent: 'elsewhere' })).decision, /your containers go in dockgate-alice/);
  });

  test("a user's own table overrides the defaults", async () => {
    assert.equal((await created({ Memory: 2 * 1024 ** 3 }, bob)).decision.allow, true);
    refusedBy((await created({ Memory: 8 * 1024 ** 3 }, bob)).decision, /over the most/);
  });

  test('docker update and an old-style start body cannot lift a limit past the most', async () => {
    refusedBy(await judge('POST', '/v1.41/containers/c/update', { Memory: 2 * 1024 ** 3 }), /over the most/);
    refusedBy(await judge('POST', '/v1.41/containers/c/update', { PidsLimit: 0 }), /unlimited/);
    refusedBy(await judge('POST', '/v1.41/containers/c/update', { CpuQuota: 1_000_000 }), /CpuQuota is refused/);
    assert.equal((await judge('POST', '/v1.41/containers/c/update', { Memory: 512 * 1024 ** 2 })).allow, true);
    refusedBy(await judge('POST', '/v1.23/containers/c/start', { Memory: 2 * 1024 ** 3 }), /over the most/);
  });
});

describe('quotas: GPUs', () => {
  const gpus = (count: number, ids?: string[]) => ({
    DeviceRequests: [{ Driver: '', Count: count, ...(ids ? { DeviceIDs: ids } : {}), Capabilities: [['gpu']] }],
  });

  test('GPUs are for members of the configured groups', async () => {
    assert.equal((await created(gpus(1))).decision.allow, true);
    refusedBy((await created(gpus(1), bob)).decision, /GPUs are for members of gpu/);
  });

  test('a container asking for more GPUs than the user may hold, or for all, is refused at create', async () => {
    refusedBy((await created(gpus(3))).decision, /3 GPUs is over the most one user may hold here \(2\)/);
    refusedBy((await created(gpus(-1))).decision, /all GPUs is over/);
    refusedBy((await created(gpus(0, ['0', '1', '2']))).decision, /3 GPUs is over/);
  });

  test('a start that would take the user past their GPUs is refused with the current usage', async () => {
    const usage = (held: number, starting: number) => ({
      usage: {
        running: 1,
        device_requests: [gpus(held).DeviceRequests],
        target_device_requests: gpus(starting).DeviceRequests,
      },
    });
    refusedBy(
      await judge('POST', '/v1.41/containers/c/start', undefined, alice, usage(2, 1)),
      /hold 2 GPUs and this one asks for 1/,
    );
    assert.equal((await judge('POST', '/v1.41/containers/c/start', undefined, alice, usage(1, 1))).allow, true);
  });
});

describe('quotas: running containers per user', () => {
  const running = (n: number) => ({ usage: { running: n, device_requests: [], target_device_requests: [] } });

  test('a start past the most running containers is refused, saying how many run', async () => {
    refusedBy(
      await judge('POST', '/v1.41/containers/c/start', undefined, alice, running(2)),
      /you have 2 running containers; the most per user here is 2/,
    );
    assert.equal((await judge('POST', '/v1.41/containers/c/start', undefined, alice, running(1))).allow, true);
    refusedBy(await judge('POST', '/v1.41/containers/c/restart', undefined, bob, running(1)), /you have 1 running/);
  });

  test('without usage from the proxy (tenancy off) a start under a configured total is refused', async () => {
    refusedBy(await judge('POST', '/v1.41/containers/c/start', undefined), /need \[tenancy\] enabled/);
  });
});

describe('quotas: the config is checked when it loads', () => {
  test('an unknown key in a user table and a size that is not one are refused, naming the key', async () => {
    const { parseConfig } = await import('../../src/policy/index.js');
    assert.throws(
      () => parseConfig('[quotas.users.alice]\nmax_runing = 2\n'),
      /unknown setting quotas\.users\.alice\.max_runing/,
    );
    assert.throws(() => parseConfig('[quotas]\nmemory = "lots"\n'), /quotas\.memory must be a size/);
    assert.throws(
      () => parseConfig('[quotas.groups.gpu]\nmax_memory = "2 gigs"\n'),
      /quotas\.groups\.gpu\.max_memory must be a size/,
    );
    assert.throws(() => parseConfig('[quotas.users]\nalice = 3\n'), /quotas\.users\.alice must be a table/);
  });
});
