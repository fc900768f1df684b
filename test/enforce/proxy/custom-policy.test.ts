// End to end with a custom policy: `--policy` files (0.x and 1.x syntax), `data.dockgate.mutate`
// applied and judged again, and SIGHUP reload keeping the last good policy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  dockerAt,
  ensureTestImage,
  ok,
  startServe,
  testDaemon,
  type Daemon,
  type Served,
} from '../../harness/index.js';

const canRun = process.getuid?.() === 0;

const AUTHZ_V0 = `package docker.authz

default allow = false

allow {
  not input.Body.HostConfig.Privileged
  not deny_label
}

deny_label {
  input.Body.Labels.forbidden
}
`;

const MUTATE = `package dockgate

import rego.v1

mutate := [{"op": "add", "path": "/Labels/dockgate.owner", "value": input.User}] if {
  input.request.action == "container.create"
  not input.Body.Labels.unpatchable == "yes"
}

mutate := [{"op": "add", "path": "/NoSuchField/x", "value": 1}] if {
  input.request.action == "container.create"
  input.Body.Labels.unpatchable == "yes"
}
`;

describe('custom policies through dockgate serve', { skip: !canRun && 'needs root to run dockerd' }, () => {
  let daemon: Daemon;
  let served: Served;
  let docker: ReturnType<typeof dockerAt>;
  let direct: ReturnType<typeof dockerAt>;
  let image: string;
  let dir: string;
  const containers: string[] = [];

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    dir = fs.mkdtempSync('/tmp/dgpol-');
    fs.writeFileSync(path.join(dir, 'authz.rego'), AUTHZ_V0);
    fs.writeFileSync(path.join(dir, 'mutate.rego'), MUTATE);
    served = await startServe({ upstream: daemon.socket, args: ['--policy', dir] });
    docker = dockerAt(served.socket);
    direct = dockerAt(daemon.socket);
  });

  after(async () => {
    if (containers.length) await direct(['rm', '-f', ...containers]);
    await served?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    await daemon?.stop(); // a daemon of its own when run alone; the shared one stays
  });

  test('a 0.x policy loads with a warning naming the file, and decides', async () => {
    assert.match(served.stderr(), /warning: .*authz\.rego: parsed as OPA 0\.x syntax/);
    const r = await docker(['create', '--privileged', image, 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dockgate: request denied by policy/);
  });

  test('data.dockgate.mutate adds the owner label, judged again before forwarding', async () => {
    const id = (await ok(docker(['create', image, 'true']))).stdout.toString().trim();
    containers.push(id);
    const label = (await ok(direct(['inspect', '--format', '{{index .Config.Labels "dockgate.owner"}}', id]))).stdout
      .toString()
      .trim();
    assert.equal(label, 'root');
  });

  test('a mutation that cannot be applied refuses the request', async () => {
    const before = (await ok(direct(['ps', '-aq']))).stdout.toString();
    const r = await docker(['create', '--label', 'unpatchable=yes', image, 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dockgate: data\.dockgate\.mutate could not be applied/);
    assert.equal((await ok(direct(['ps', '-aq']))).stdout.toString(), before);
  });

  test('SIGHUP reloads the policy; a broken reload keeps the last good one', async () => {
    // Reload with a policy that refuses every container create.
    fs.writeFileSync(
      path.join(dir, 'authz.rego'),
      'package docker.authz\n\nimport rego.v1\n\nallow if input.request.action != "container.create"\n',
    );
    served.process.kill('SIGHUP');
    await waitFor(() => served.stderr().includes('dockgate: policy reloaded'));
    const refused = await docker(['create', image, 'true']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /dockgate: request denied by policy/);

    fs.writeFileSync(path.join(dir, 'authz.rego'), 'package docker.authz\n\nallow if {{{ broken\n');
    served.process.kill('SIGHUP');
    await waitFor(() => served.stderr().includes('policy reload failed, keeping the last good policy'));
    assert.match(served.stderr(), /authz\.rego:\d+:\d+: rego_parse_error/);
    const still = await docker(['create', image, 'true']);
    assert.notEqual(still.code, 0, 'the last good policy (no creates) is still in force');
    await ok(docker(['version']));
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
