// End to end, as an attacker, a second round: bob, an ordinary user of a shared daemon behind
// `dockgate serve`, goes where the first round did not: names that change meaning between the
// judging and dockerd's reading (a container name that is also a prefix of alice's id), one
// connection carrying several requests, upgraded connections, and the build cache. Each case
// is proven by the daemon's own state (inspect on its socket). A failing case names a hole.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { canManageUsers, type dockerAt, ok, type Served, type TestUser } from '../../harness/index.js';
import { rawExchangeAs, requestAs } from '../../harness/raw-as-user.js';
import { usersBehindServe, type UsersBehindServe } from '../../harness/tenants.js';

/** What these cases read of a container's inspect. */
interface ContainerJson {
  Config: { Labels: Record<string, string> };
  State: { Running: boolean; Paused: boolean };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: { Name?: string }[];
}

describe("tenancy under attack, round two: bob cannot reach or change alice's objects", {
  skip: !canManageUsers() && 'needs root (dockerd, useradd)',
}, () => {
  let env: UsersBehindServe<readonly [TestUser, TestUser]>;
  let served: Served;
  let dir: string;
  let image: string;
  let alice: TestUser;
  let bob: TestUser;
  let asAlice: ReturnType<typeof dockerAt>;
  let asBob: ReturnType<typeof dockerAt>;
  let direct: ReturnType<typeof dockerAt>;
  let aliceId: string;
  let bobId: string;
  const pid = process.pid;
  const web = `atk2-aweb-${pid}`;
  const aliceVol = `atk2-avol-${pid}`;
  const bobWeb = `atk2-bweb-${pid}`;
  const bobNet = `atk2-bnet-${pid}`;

  const rawAs = (u: TestUser, method: string, target: string, body?: unknown) =>
    requestAs(served.socket, { uid: u.uid, gid: u.gid }, method, target, body);

  /** One raw HTTP/1.1 request (keep-alive unless `close`), as bytes. */
  function http(method: string, target: string, body?: unknown, extra = ''): Buffer {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    const head =
      `${method} ${target} HTTP/1.1\r\nHost: docker\r\n${extra}` +
      (body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`) +
      '\r\n';
    return Buffer.concat([Buffer.from(head), payload]);
  }

  /** The daemon's own word on a container: inspect JSON, or null when none such. */
  async function inspect(ref: string): Promise<ContainerJson | null> {
    const r = await direct(['inspect', '--type', 'container', ref]);
    return r.code === 0 ? (JSON.parse(r.stdout.toString()) as ContainerJson[])[0]! : null;
  }

  /** Whether alice's container is untouched: running, not paused, on no network of bob's. */
  async function aliceUntouched(): Promise<void> {
    const c = await inspect(aliceId);
    assert.ok(c, "alice's container still exists");
    assert.equal(c.State.Running, true, "alice's container still runs");
    assert.equal(c.State.Paused, false, "alice's container is not paused");
    assert.deepEqual(
      Object.keys(c.NetworkSettings.Networks),
      ['bridge'],
      "alice's container is on no network of bob's",
    );
  }

  /**
   * A name of bob's that is also a prefix of alice's container id: dockerd resolves a name
   * before an id prefix, so while bob's container holds it the name is his, and once it is
   * renamed away the same text means alice's container.
   */
  const prefix = () => aliceId.slice(0, 12);

  before(async () => {
    env = await usersBehindServe(
      [0, 0],
      () => '[identity]\nadmin_groups = ["dockgate-atk-nobody"]\n',
      'dg-tenancy-atk2-',
    );
    ({
      served,
      dir,
      image,
      direct,
      users: [alice, bob],
    } = env);
    asAlice = env.docker(alice, { DOCKER_BUILDKIT: '0' });
    asBob = env.docker(bob, { DOCKER_BUILDKIT: '0' });
    await ok(asAlice(['volume', 'create', aliceVol]));
    await ok(
      asAlice([
        'run',
        '-d',
        '--name',
        web,
        '-v',
        `${aliceVol}:/data`,
        image,
        'sh',
        '-c',
        'echo alice-secret > /data/secret; echo alice-root > /secret; sleep 600',
      ]),
    );
    aliceId = (await ok(direct(['inspect', '-f', '{{.Id}}', web]))).stdout.toString().trim();
    await ok(asBob(['run', '-d', '--name', bobWeb, image, 'sleep', '600']));
    bobId = (await ok(direct(['inspect', '-f', '{{.Id}}', bobWeb]))).stdout.toString().trim();
    await ok(asBob(['network', 'create', bobNet]));
  });

  after(async () => {
    for (const u of [alice, bob]) {
      if (!u) continue;
      const ids = (await direct(['ps', '-aq', '--filter', `label=dockgate.owner=${u.name}`])).stdout
        .toString()
        .split(/\s+/)
        .filter(Boolean);
      if (ids.length) await direct(['rm', '-f', ...ids]);
    }
    const tags = (await direct(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout
      .toString()
      .split(/\s+/)
      .filter((r) => r.startsWith('atk2-'));
    if (tags.length) await direct(['rmi', '-f', ...tags]);
    await direct(['network', 'rm', bobNet]);
    const vols = (await direct(['volume', 'ls', '-q'])).stdout
      .toString()
      .split(/\s+/)
      .filter((v) => v.startsWith('atk2-'));
    if (vols.length) await direct(['volume', 'rm', '-f', ...vols]);
    await env?.stop();
  });

  test("alice's container is hers and mounts her volume (the premise of every case below)", async () => {
    const c = await inspect(aliceId);
    assert.equal(c?.Config.Labels['dockgate.owner'], alice.name);
    assert.ok(c?.Mounts.some((m) => m.Name === aliceVol));
  });

  // A name of bob's that is also a prefix of alice's id changes meaning when bob renames or
  // removes it between dockgate's look-up and dockerd's (a race an earlier version lost):
  // such names, made only of hex digits, are refused to ordinary users.
  test("bob cannot hold a container name that is also alice's container id prefix", async () => {
    const made = await rawAs(bob, 'POST', `/v1.41/containers/create?name=${prefix()}`, { Image: image });
    assert.equal(made.status, 403, made.text);
    const renamed = await rawAs(bob, 'POST', `/v1.41/containers/${bobWeb}/rename?name=${prefix()}`);
    assert.equal(renamed.status, 403, renamed.text);
    const held = (await direct(['ps', '-aq', '--filter', `name=^/${prefix()}$`])).stdout.toString().trim();
    assert.equal(held, '', 'a container holds the name');
  });

  test("bob cannot name an image after alice's image id prefix, so docker save never reads it as hers", async () => {
    const aliceImage = `atk2-aimg-${pid}:v1`;
    await ok(asAlice(['commit', web, aliceImage]));
    const aliceImageId = (await ok(direct(['image', 'inspect', '-f', '{{.Id}}', aliceImage]))).stdout
      .toString()
      .trim()
      .replace(/^sha256:/, '');
    const tag = aliceImageId.slice(0, 12);
    assert.notEqual((await asBob(['commit', bobWeb, `${tag}:latest`])).code, 0, 'bob committed under the name');
    assert.notEqual((await asBob(['tag', image, tag])).code, 0, 'bob tagged under the name');
    assert.equal((await direct(['image', 'inspect', `${tag}:latest`])).code, 1, 'the name exists');
    const saved = await rawAs(bob, 'GET', `/v1.41/images/get?names=${tag}`);
    assert.ok(!saved.text.includes(aliceImageId), "bob's docker save answer holds alice's image");
  });

  test('a second request pipelined on one keep-alive connection is judged on its own', async () => {
    const raw = (
      await rawExchangeAs(
        served.socket,
        Buffer.concat([
          http('GET', `/v1.41/containers/${bobWeb}/json`),
          http('POST', `/v1.41/containers/${aliceId}/pause`, undefined, 'Connection: close\r\n'),
        ]),
        { uid: bob.uid, gid: bob.gid },
      )
    ).toString();
    assert.match(raw, /^HTTP\/1\.1 200/);
    await aliceUntouched();
  });

  test('a refused upgrade does not leave the connection piped to dockerd', async () => {
    // An upgrade dockerd answers without switching (no such exec): the same connection must
    // still be judged request by request afterwards.
    const upgrade = 'Connection: Upgrade\r\nUpgrade: tcp\r\n';
    const raw = (
      await rawExchangeAs(
        served.socket,
        Buffer.concat([
          http('POST', `/v1.41/exec/${'0'.repeat(64)}/start`, { Detach: false, Tty: false }, upgrade),
          http('POST', `/v1.41/containers/${aliceId}/pause`, undefined, 'Connection: close\r\n'),
        ]),
        { uid: bob.uid, gid: bob.gid },
      )
    ).toString();
    assert.doesNotMatch(raw, /HTTP\/1\.1 204/, raw);
    await aliceUntouched();
  });

  test("an attach upgrade on bob's own stopped container does not leave the connection piped", async () => {
    const stopped = `atk2-bstopped-${pid}`;
    await ok(asBob(['create', '--name', stopped, image, 'true']));
    const upgrade = 'Connection: Upgrade\r\nUpgrade: tcp\r\n';
    const raw = (
      await rawExchangeAs(
        served.socket,
        Buffer.concat([
          http('POST', `/v1.41/containers/${stopped}/attach?stream=0&logs=1&stdout=1`, undefined, upgrade),
          http('POST', `/v1.41/containers/${aliceId}/pause`, undefined, 'Connection: close\r\n'),
        ]),
        { uid: bob.uid, gid: bob.gid },
        4_000,
      )
    ).toString();
    assert.doesNotMatch(raw, /HTTP\/1\.1 204/, raw);
    await aliceUntouched();
  });

  test("bob cannot reach alice's container with HEAD or through attach/ws", async () => {
    for (const [method, target] of [
      ['HEAD', `/v1.41/containers/${aliceId}/json`],
      ['HEAD', `/v1.41/containers/${web}/archive?path=/secret`],
      ['GET', `/v1.41/containers/${aliceId}/attach/ws?stream=1&stdout=1`],
      ['GET', `/v1.41/containers/${web}/archive?path=/secret`],
    ] as const) {
      const r = await rawAs(bob, method, target);
      assert.notEqual(r.status, 200, `${method} ${target}: ${r.text}`);
      assert.doesNotMatch(r.text, /alice-root|alice-secret/);
    }
  });

  test("bob cannot put a file into alice's container by archive PUT, by name or id prefix", async () => {
    // A tar of one file, "pwned", written by the daemon's own client for bob's container first.
    await ok(asBob(['exec', bobWeb, 'sh', '-c', 'echo bob-was-here > /pwned']));
    const tar = (await ok(direct(['exec', bobWeb, 'tar', '-cf', '-', '-C', '/', 'pwned']))).stdout;
    for (const ref of [web, aliceId.slice(0, 6), `/${web}`]) {
      const r = await requestAs(
        served.socket,
        { uid: bob.uid, gid: bob.gid },
        'PUT',
        `/v1.41/containers/${encodeURIComponent(ref)}/archive?path=/`,
        tar,
        'application/x-tar',
      );
      assert.notEqual(r.status, 200, `${ref}: ${r.text}`);
    }
    const r = await direct(['exec', aliceId, 'cat', '/pwned']);
    assert.notEqual(r.code, 0, "no /pwned in alice's container");
  });

  test("bob's event stream filtered by alice's container name or image shows none of her events", async () => {
    await ok(asAlice(['exec', web, 'true']));
    const now = Math.floor(Date.now() / 1000) + 1;
    for (const filters of [{ container: [web] }, { container: [aliceId] }, { image: [image] }]) {
      const r = await rawAs(
        bob,
        'GET',
        `/v1.41/events?since=0&until=${now}&filters=${encodeURIComponent(JSON.stringify(filters))}`,
      );
      assert.equal(r.status, 200);
      assert.doesNotMatch(r.text, new RegExp(aliceId), JSON.stringify(filters));
    }
  });

  test("bob cannot create a volume under the name alice's volume holds, with or without driver options", async () => {
    for (const body of [
      { Name: aliceVol },
      { Name: aliceVol, Driver: 'local', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } },
    ]) {
      const r = await rawAs(bob, 'POST', '/v1.41/volumes/create', body);
      assert.notEqual(r.status, 201, r.text);
    }
    const v = (await ok(direct(['volume', 'inspect', '-f', '{{json .}}', aliceVol]))).stdout.toString();
    assert.match(v, new RegExp(`"dockgate.owner":"${alice.name}"`));
    assert.doesNotMatch(v, /tmpfs/);
  });

  test("bob cannot build with --add-host or --network, whose layers alice's identical build would reuse", async () => {
    const ctx = path.join(dir, 'ctx-cache');
    fs.mkdirSync(ctx, { recursive: true });
    fs.chmodSync(ctx, 0o755);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nRUN cat /etc/hosts > /hosts-${pid}\n`);
    const tag = `atk2-bcache-${pid}:v1`;
    for (const extra of [
      ['--add-host', `mirror.atk2.test:10.0.0.1`],
      ['--network', 'none'],
    ]) {
      const r = await asBob(['build', ...extra, '-t', tag, ctx]);
      assert.notEqual(r.code, 0, `${extra.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /build cache/);
    }
    assert.notEqual((await direct(['image', 'inspect', tag])).code, 0, "bob's build ran");
  });

  test('after all that, bob reaches his own container and alice hers', async () => {
    assert.equal((await rawAs(bob, 'GET', `/v1.41/containers/${bobId}/json`)).status, 200);
    await ok(asAlice(['exec', web, 'cat', '/data/secret']));
    await aliceUntouched();
  });
});
