// End to end: `dockgate audit` against a real daemon of its own (nothing else creates objects
// there, so "nothing found" means nothing). Containers and volumes are made directly at the
// daemon, around the proxy, as an operator who changed the policy afterwards would find them.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  canManageUsers,
  createUser,
  dockerAt,
  DOCKGATE_BIN,
  ensureTestImage,
  ok,
  run,
  startDaemon,
  startServe,
  type Daemon,
  type RunResult,
  type TestUser,
} from '../../harness/index.js';

interface JsonReport {
  containers: number;
  volumes: number;
  findings: {
    kind: string;
    id: string;
    name: string;
    owner: { name: string; source: string; note?: string };
    reasons: { rule: string; msg: string; hint: string }[];
    changes: { path: string; before: unknown; after: unknown }[];
  }[];
  errors: { kind: string; message: string }[];
}

describe('dockgate audit', { skip: !canManageUsers() && 'needs root (dockerd, useradd)' }, () => {
  let daemon: Daemon;
  let user: TestUser;
  let home: string;
  let image: string;
  let direct: ReturnType<typeof dockerAt>;
  /** Containers and volumes a test made; removed after it, so each test sees only its own. */
  let made: { containers: string[]; volumes: string[] } = { containers: [], volumes: [] };
  const tmp: string[] = [];

  before(async () => {
    daemon = await startDaemon();
    image = ensureTestImage(daemon.socket);
    user = createUser();
    home = `/home/${user.name}`;
    fs.mkdirSync(path.join(home, 'src'), { recursive: true });
    fs.chownSync(home, user.uid, user.gid);
    fs.chownSync(path.join(home, 'src'), user.uid, user.gid);
    direct = dockerAt(daemon.socket);
  });

  afterEach(async () => {
    if (made.containers.length) await direct(['rm', '-f', ...made.containers]);
    if (made.volumes.length) await direct(['volume', 'rm', '-f', ...made.volumes]);
    made = { containers: [], volumes: [] };
  });

  after(async () => {
    user?.remove();
    if (home) fs.rmSync(home, { recursive: true, force: true });
    for (const t of tmp) fs.rmSync(t, { recursive: true, force: true });
    await daemon?.stop();
  });

  function audit(args: string[] = [], upstream = daemon.socket): Promise<RunResult> {
    return run(DOCKGATE_BIN, ['audit', '--upstream', `unix://${upstream}`, ...args], { timeoutMs: 60_000 });
  }

  async function auditJson(args: string[] = []): Promise<{ code: number | null; report: JsonReport; stderr: string }> {
    const r = await audit(['--json', ...args]);
    return { code: r.code, report: JSON.parse(r.stdout.toString()) as JsonReport, stderr: r.stderr };
  }

  /** `docker create` directly at the daemon; returns the full id. */
  async function create(args: string[]): Promise<string> {
    const id = (await ok(direct(['create', ...args, image, 'sleep', '60']))).stdout.toString().trim();
    made.containers.push(id);
    return id;
  }

  async function volume(args: string[], name: string): Promise<void> {
    await ok(direct(['volume', 'create', ...args, name]));
    made.volumes.push(name);
  }

  test('finds a privileged container made directly at the daemon: exit 1, names the rule and the container', async () => {
    const id = await create(['--name', 'audit-priv', '--privileged']);
    await create(['--name', 'audit-plain']);
    const r = await audit(['--as', user.name]);
    assert.equal(r.code, 1, r.stderr);
    const out = r.stdout.toString();
    assert.match(out, new RegExp(`^container ${id.slice(0, 12)} audit-priv \\(owner ${user.name}, from --as\\)$`, 'm'));
    assert.match(out, /^ {2}privileged: privileged mode is refused/m);
    assert.doesNotMatch(out, /audit-plain/);
    assert.match(out, /^dockgate audit: 1 of 2 containers and 0 volumes would not be allowed as they are$/m);
    // The label=disable dockerd adds to a privileged container is its own doing, not a finding.
    assert.doesNotMatch(out, /label=disable/);
  });

  test('finds a bind of /etc: the mounts rule', async () => {
    await create(['--name', 'audit-etc', '-v', '/etc:/e']);
    const { code, report } = await auditJson(['--as', user.name]);
    assert.equal(code, 1);
    assert.equal(report.findings.length, 1);
    const rules = report.findings[0]!.reasons.map((r) => r.rule);
    assert.ok(rules.includes('mounts'), JSON.stringify(report.findings[0]));
    assert.ok(report.findings[0]!.reasons.some((r) => /\/etc/.test(r.msg)));
  });

  test("finds a container in the host's pid namespace: the host-namespaces rule", async () => {
    await create(['--name', 'audit-pid', '--pid', 'host']);
    const { code, report } = await auditJson(['--as', user.name]);
    assert.equal(code, 1);
    assert.deepEqual(
      report.findings.map((f) => [f.name, f.reasons.map((r) => r.rule)]),
      [['audit-pid', ['host-namespaces']]],
    );
  });

  test('finds nothing in plain containers, running or not, with or without --as: exit 0', async () => {
    await create(['--name', 'audit-p1']);
    await create([
      '--name',
      'audit-p2',
      '--network',
      'none',
      '-v',
      'audit-named:/data',
      '--tmpfs',
      '/run',
      '--memory',
      '64m',
      '-e',
      'A=b',
    ]);
    made.volumes.push('audit-named');
    const running = await create(['--name', 'audit-p3', '--restart', 'on-failure:2', '-p', '8080:80']);
    await ok(direct(['start', running]));
    for (const args of [['--as', user.name], []]) {
      const r = await audit(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout.toString(), /^dockgate audit: nothing found in 3 containers and 1 volume$/m);
    }
  });

  test("plain containers made by the user through dockgate serve: nothing found, the daemon's defaults are not findings", async () => {
    const served = await startServe({ upstream: daemon.socket, args: ['--socket-mode', '0666'] });
    try {
      const asUser = dockerAt(served.socket, { as: { uid: user.uid, gid: user.gid }, env: { HOME: home } });
      for (const args of [
        ['--name', 'audit-u1'],
        [
          '--name',
          'audit-u2',
          '--cgroupns',
          'private',
          '--ipc',
          'shareable',
          '--log-driver',
          'local',
          '--cap-add',
          'CHOWN',
          '--security-opt',
          'no-new-privileges',
        ],
        ['--name', 'audit-u3', '-v', `${home}/src:/src`],
        [
          '--name',
          'audit-u4',
          '--mount',
          'type=volume,source=audit-tmpfs,target=/t,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs',
        ],
      ]) {
        const id = (await ok(asUser(['create', ...args, image, 'sleep', '60']))).stdout.toString().trim();
        made.containers.push(id);
        await ok(asUser(['start', id]));
      }
      made.volumes.push('audit-tmpfs');
      const r = await audit(['--as', user.name]);
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    } finally {
      await served.stop();
    }
  });

  test('a bind in the home made around the proxy, running as root: the change the policy would make is the finding', async () => {
    await create(['--name', 'audit-bind-root', '--mount', `type=bind,source=${home}/src,target=/src`]);
    // Already as the pack makes it: the caller's uid:gid, no-new-privileges, a bind Mount.
    await create([
      '--name',
      'audit-bind-caller',
      '--mount',
      `type=bind,source=${home}/src,target=/src`,
      '--user',
      `${user.uid}:${user.gid}`,
      '--security-opt',
      'no-new-privileges',
    ]);
    const { code, report } = await auditJson(['--as', user.name]);
    assert.equal(code, 1);
    assert.equal(report.findings.length, 1, JSON.stringify(report.findings));
    const f = report.findings[0]!;
    assert.equal(f.name, 'audit-bind-root');
    assert.deepEqual(f.reasons, []);
    assert.deepEqual(
      f.changes.find((c) => c.path === 'User'),
      { path: 'User', before: '', after: `${user.uid}:${user.gid}` },
    );
    assert.deepEqual(
      f.changes.find((c) => c.path === 'HostConfig.SecurityOpt'),
      { path: 'HostConfig.SecurityOpt', before: null, after: ['no-new-privileges'] },
    );
    const text = (await audit(['--as', user.name])).stdout.toString();
    assert.match(
      text,
      /^ {2}mutate: the policy would change this container: (.*; )?HostConfig\.SecurityOpt null -> \["no-new-privileges"\]; (.*; )?User "" -> "\d+:\d+"$/m,
    );
  });

  test('the owner label decides whose rules apply: an admin owner is exempt, a user owner is not, an unknown owner has no home', async () => {
    await create(['--name', 'audit-admin', '--privileged', '--label', 'dockgate.owner=root']);
    await create(['--name', 'audit-users', '--privileged', '--label', `dockgate.owner=${user.name}`]);
    await create(['--name', 'audit-ghost', '--label', 'dockgate.owner=nosuchuser-dg', '-v', `${home}/src:/src`]);
    await create(['--name', 'audit-nolabel', '-v', `${home}/src:/src`]);
    const { code, report } = await auditJson();
    assert.equal(code, 1);
    const byName = new Map(report.findings.map((f) => [f.name, f]));
    assert.ok(!byName.has('audit-admin'), 'root is an admin by the default config');
    assert.deepEqual(byName.get('audit-users')?.owner, { name: user.name, source: 'label' });
    assert.deepEqual(
      byName.get('audit-users')?.reasons.map((r) => r.rule),
      ['privileged'],
    );
    // No uid: the bind in someone's home is refused for a caller without one.
    assert.equal(byName.get('audit-ghost')?.owner.source, 'label');
    assert.match(byName.get('audit-ghost')?.owner.note ?? '', /not a user of this host/);
    assert.ok(byName.get('audit-ghost')?.reasons.some((r) => r.rule === 'run-as-caller'));
    assert.deepEqual(byName.get('audit-nolabel')?.owner, { name: '', source: 'unknown', note: 'owner unknown' });
    assert.ok(
      byName.get('audit-nolabel')?.reasons.some((r) => r.rule === 'mounts'),
      'no home: the bind is outside every allowed root',
    );
    const text = (await audit()).stdout.toString();
    assert.match(text, /^container [0-9a-f]{12} audit-nolabel \(owner unknown\)$/m);
    // --as root: every object without a label is an admin's.
    const asRoot = await auditJson(['--as', 'root']);
    assert.ok(!asRoot.report.findings.some((f) => f.name === 'audit-nolabel'));
  });

  test('volumes: a local volume binding /etc is found by the mounts rule; plain and tmpfs volumes are not', async () => {
    await volume(['--opt', 'type=none', '--opt', 'o=bind', '--opt', 'device=/etc'], 'audit-vol-etc');
    await volume(['--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m'], 'audit-vol-tmpfs');
    await volume([], 'audit-vol-plain');
    await volume(['--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=exec'], 'audit-vol-exec');
    const { code, report } = await auditJson(['--as', user.name]);
    assert.equal(code, 1);
    assert.equal(report.volumes, 4);
    const found = new Map(report.findings.map((f) => [f.name, f.reasons.map((r) => r.rule)]));
    assert.deepEqual([...found.keys()].sort(), ['audit-vol-etc', 'audit-vol-exec']);
    assert.ok(found.get('audit-vol-etc')!.includes('mounts'));
    assert.deepEqual(found.get('audit-vol-exec'), ['volume-options']);
    assert.ok(report.findings.every((f) => f.kind === 'volume'));
    assert.match((await audit(['--as', user.name])).stdout.toString(), /^volume audit-vol-etc \(owner /m);
  });

  test('a daemon that cannot be reached: exit 2 and why, nothing on stdout', async () => {
    const r = await audit([], '/tmp/dg-audit-no-such-daemon.sock');
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^dockgate: audit: cannot reach the daemon at unix:\/\/\/tmp\/dg-audit-no-such-daemon\.sock/m,
    );
    assert.equal(r.stdout.length, 0);
  });

  test('a daemon whose answers cannot be read fails the audit (exit 2), it does not pass it', async () => {
    const dir = fs.mkdtempSync('/tmp/dga-');
    tmp.push(dir);
    const socket = path.join(dir, 'd.sock');
    // /info is fine; the container list is not JSON, then the volume list is not a list.
    for (const broken of ['not json', '{"Volumes": 7}']) {
      const server = http.createServer((req, res) => {
        res.setHeader('Content-Type', 'application/json');
        if (req.url === '/info') res.end(JSON.stringify({ CgroupVersion: '1', DockerRootDir: '/var/lib/docker' }));
        else if (req.url?.startsWith('/containers/json')) res.end(broken === 'not json' ? broken : '[]');
        else res.end(broken);
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        const r = await audit([], socket);
        assert.equal(r.code, 2, `${broken}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /dockgate: audit: /);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });

  test('a policy that does not load, or an --as user that does not exist: exit 2', async () => {
    const dir = fs.mkdtempSync('/tmp/dga-');
    tmp.push(dir);
    fs.writeFileSync(path.join(dir, 'bad.rego'), 'package docker.authz\n\nallow if {\n');
    const bad = await audit(['--policy', path.join(dir, 'bad.rego')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.rego/);
    const ghost = await audit(['--as', 'nosuchuser-dg']);
    assert.equal(ghost.code, 2);
    assert.match(ghost.stderr, /--as nosuchuser-dg: no such user/);
  });

  test('a custom policy is judged the same way: its deny reasons are the findings', async () => {
    const dir = fs.mkdtempSync('/tmp/dga-');
    tmp.push(dir);
    fs.writeFileSync(
      path.join(dir, 'authz.rego'),
      [
        'package docker.authz',
        'import rego.v1',
        'allow if count(deny) == 0',
        'deny contains "containers need team=blue" if {',
        '  input.request.action == "container.create"',
        '  object.get(input.Body, ["Labels", "team"], "") != "blue"',
        '}',
      ].join('\n'),
    );
    await create(['--name', 'audit-blue', '--label', 'team=blue']);
    await create(['--name', 'audit-red', '--label', 'team=red']);
    const { code, report } = await auditJson(['--policy', dir]);
    assert.equal(code, 1);
    assert.deepEqual(
      report.findings.map((f) => [f.name, f.reasons]),
      [['audit-red', [{ rule: '', msg: 'containers need team=blue', hint: '' }]]],
    );
  });
});
