// Caller identity: SO_PEERCRED on the accepted socket, resolved to names through the
// system user database — proven with real throwaway users connecting as themselves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { clearUserCache, resolveUser } from '../../src/tenancy/index.js';
import type { ProxyRequest } from '../../src/enforce/proxy/decision.js';
import {
  canManageUsers,
  createUser,
  dockerAt,
  startInProcessProxy,
  startServe,
  testDaemon,
  type Daemon,
  type InProcessProxy,
  type TestUser,
} from '../harness/index.js';

const skip = (!canManageUsers() && 'needs root and useradd') || false;

describe('caller identity', { skip }, () => {
  let daemon: Daemon;
  let alice: TestUser;
  let bob: TestUser;
  let dir: string;
  let configDir: string;

  before(async () => {
    daemon = await testDaemon();
    alice = createUser(2);
    bob = createUser(0);
    // Throwaway users must reach the socket: a world-traversable directory.
    dir = fs.mkdtempSync('/tmp/dgi-');
    fs.chmodSync(dir, 0o755);
    configDir = fs.mkdtempSync('/tmp/dgcfg-');
    fs.chmodSync(configDir, 0o777);
  });
  after(async () => {
    alice?.remove();
    bob?.remove();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  const dockerAs = (socket: string, user: TestUser) =>
    dockerAt(socket, { as: { uid: user.uid, gid: user.gid }, env: { HOME: configDir, DOCKER_CONFIG: configDir } });

  test('user and groups resolve as `id` sees them', () => {
    clearUserCache();
    const info = resolveUser(alice.uid, alice.gid);
    assert.equal(info.user, alice.name);
    const idGroups = spawnSync('id', ['-nG', alice.name], { encoding: 'utf8' }).stdout.trim().split(/\s+/).sort();
    assert.deepEqual([...info.groups].sort(), idGroups);
    for (const g of alice.groups) assert.ok(info.groups.includes(g));
    assert.equal(info.groups[0], spawnSync('id', ['-gn', alice.name], { encoding: 'utf8' }).stdout.trim());
  });

  test('a request from another user carries that user’s uid, gid, pid, name and groups (SO_PEERCRED)', async () => {
    const seen: ProxyRequest[] = [];
    let proxy: InProcessProxy | undefined;
    try {
      proxy = await startInProcessProxy(
        daemon.socket,
        { decide: (req) => (seen.push(req), { allow: true }) },
        { mode: 0o666, dir },
      );
      const r = await dockerAs(proxy.socket, alice)(['version', '--format', '{{.Server.Version}}']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(seen.length > 0);
      for (const req of seen) {
        const id = req.identity;
        assert.equal(id.via, 'peercred');
        assert.equal(id.uid, alice.uid);
        assert.equal(id.gid, alice.gid);
        assert.equal(id.user, alice.name);
        assert.equal('admin' in id, false, 'nobody is an administrator by connecting');
        assert.ok(typeof id.pid === 'number' && id.pid > 0);
        for (const g of alice.groups) assert.ok(id.groups.includes(g), `group ${g} in ${id.groups}`);
      }
      // And root is root on the same socket.
      seen.length = 0;
      await dockerAt(proxy.socket)(['version']);
      assert.equal(seen[0]!.identity.uid, 0);
      assert.equal(seen[0]!.identity.user, 'root');
    } finally {
      await proxy?.close();
    }
  });

  test('--socket-mode and --socket-group: group members get in, others are refused by the kernel', async () => {
    const served = await startServe({
      upstream: daemon.socket,
      dir,
      socketName: 'grp.sock',
      args: ['--socket-mode', '660', '--socket-group', alice.groups[0]!],
    });
    try {
      const st = fs.statSync(served.socket);
      assert.equal(st.mode & 0o777, 0o660);
      assert.equal(
        st.gid,
        Number(spawnSync('getent', ['group', alice.groups[0]!], { encoding: 'utf8' }).stdout.split(':')[2]),
      );
      const member = await dockerAs(served.socket, alice)(['version', '--format', '{{.Server.Version}}']);
      assert.equal(member.code, 0, member.stderr);
      const outsider = await dockerAs(served.socket, bob)(['version', '--format', '{{.Server.Version}}']);
      assert.notEqual(outsider.code, 0);
      assert.match(outsider.stderr, /permission denied/i);
      await new Promise((r) => setTimeout(r, 300));
      const log = fs
        .readFileSync(served.logFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e) => e.msg === 'request');
      assert.ok(log.some((e) => e.uid === alice.uid && e.user === alice.name));
    } finally {
      await served.stop();
    }
  });
});
