// A caller named by its TLS client certificate, end to end: a private dockerd listening on
// loopback TCP with --tlsverify and a CA made here by openssl, the plugin behind it, and the
// real docker CLI with alice's or bob's certificate. dockerd passes the certificate's common
// name to the plugin as User, so tenancy applies to every request without the proxy: alice
// cannot exec into or remove bob's container (proven by the daemon's state), and her lists are
// refused unless narrowed to her own objects.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dockerAt, ensureTestImage, freeLoopbackPort, makeTestCertificates, ok, run } from '../../harness/index.js';
import { type GuardedDaemon, startGuardedDaemon } from './plugin-harness.js';

describe('plugin mode: a caller named by a TLS client certificate', {
  skip: process.getuid?.() !== 0 && 'needs root (dockerd)',
}, () => {
  let dir: string;
  let g: GuardedDaemon;
  let port: number;
  let asRoot: ReturnType<typeof dockerAt>;
  let image: string;
  let bobId: string;
  const bweb = `tls-bweb-${process.pid}`;
  const aweb = `tls-aweb-${process.pid}`;

  /** The docker CLI over TLS with `user`'s client certificate. */
  const tlsDocker = (user: string) => (args: string[]) =>
    run(
      'docker',
      [
        '--tlsverify',
        '--tlscacert',
        path.join(dir, 'ca.pem'),
        '--tlscert',
        path.join(dir, `${user}.pem`),
        '--tlskey',
        path.join(dir, `${user}-key.pem`),
        '-H',
        `tcp://127.0.0.1:${port}`,
        ...args,
      ],
      { env: { DOCKER_CLI_HINTS: 'false', DOCKER_HOST: '', DOCKER_CONFIG: dir } },
    );

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-plugin-tls-'));
    makeTestCertificates(dir, { alice: 'alice', bob: 'bob' });
    port = await freeLoopbackPort();
    g = await startGuardedDaemon(
      [],
      [
        '--host',
        `tcp://127.0.0.1:${port}`,
        '--tlsverify',
        '--tlscacert',
        path.join(dir, 'ca.pem'),
        '--tlscert',
        path.join(dir, 'server.pem'),
        '--tlskey',
        path.join(dir, 'server-key.pem'),
      ],
    );
    // Root on dockerd's own socket is a caller the plugin cannot name: judged without tenancy.
    asRoot = dockerAt(g.daemon.socket);
    image = ensureTestImage(g.daemon.socket);
    await ok(tlsDocker('bob')(['run', '-d', '--label', 'dockgate.owner=bob', '--name', bweb, image, 'sleep', '600']));
    await ok(
      tlsDocker('alice')(['run', '-d', '--label', 'dockgate.owner=alice', '--name', aweb, image, 'sleep', '600']),
    );
    bobId = (await ok(asRoot(['inspect', '-f', '{{.Id}}', bweb]))).stdout.toString().trim();
  });

  after(async () => {
    if (g) await asRoot(['rm', '-f', bweb, aweb]);
    await g?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** bob's container is there, running, and nothing alice sent ran in it. */
  async function bobIntact(): Promise<void> {
    const r = await ok(asRoot(['inspect', '-f', '{{.State.Running}} {{.Name}}', bobId]));
    assert.equal(r.stdout.toString().trim(), `true /${bweb}`);
    const probe = await ok(asRoot(['exec', bobId, 'ls', '/tmp']));
    assert.ok(!probe.stdout.toString().includes('pwned'), `a command ran in bob's container: ${probe.stdout}`);
  }

  test('alice, by her certificate, cannot exec into bob’s container: the command never runs', async () => {
    for (const ref of [bweb, bobId, bobId.slice(0, 12)]) {
      const r = await tlsDocker('alice')(['exec', ref, 'touch', '/tmp/pwned']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`authorization denied by plugin ${g.plugin.name}: No such container: ${ref}`));
    }
    await bobIntact();
  });

  test('alice, by her certificate, cannot remove, stop or read bob’s container', async () => {
    for (const args of [
      ['rm', '-f', bweb],
      ['stop', bweb],
      ['logs', bweb],
      ['inspect', bweb],
    ]) {
      const r = await tlsDocker('alice')(args);
      assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /No such container/);
    }
    await bobIntact();
  });

  test('alice, by her certificate, execs into her own container, and bob into his', async () => {
    const own = await ok(tlsDocker('alice')(['exec', aweb, 'echo', 'mine']));
    assert.equal(own.stdout.toString().trim(), 'mine');
    const his = await ok(tlsDocker('bob')(['exec', bweb, 'echo', 'his']));
    assert.equal(his.stdout.toString().trim(), 'his');
  });

  test('alice’s docker ps is refused unless narrowed to her own, and never shows bob’s container', async () => {
    const all = await tlsDocker('alice')(['ps', '-a']);
    assert.notEqual(all.code, 0);
    assert.match(all.stderr, /--filter label=dockgate\.owner=alice/);
    assert.ok(!all.stdout.toString().includes(bweb));
    const mine = await ok(
      tlsDocker('alice')(['ps', '-a', '--filter', 'label=dockgate.owner=alice', '--format', '{{.Names}}']),
    );
    assert.equal(mine.stdout.toString().trim(), aweb);
  });

  test('a create without the owner label, or claiming bob’s, is refused for alice', async () => {
    const unlabelled = await tlsDocker('alice')(['create', image, 'true']);
    assert.notEqual(unlabelled.code, 0);
    assert.match(unlabelled.stderr, /--label dockgate\.owner=alice/);
    const claimed = await tlsDocker('alice')(['create', '--label', 'dockgate.owner=bob', image, 'true']);
    assert.notEqual(claimed.code, 0);
    const count = await ok(asRoot(['ps', '-aq', '--filter', 'label=dockgate.owner=bob']));
    assert.equal(count.stdout.toString().trim().split('\n').length, 1, 'only bob’s own container bears his label');
  });
});
