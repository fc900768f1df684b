// End to end, as an attacker: bob, an ordinary user of a shared daemon behind `dockgate serve`,
// tries every route and spelling he can think of to reach alice's objects, learn about them, or
// make an object that counts as hers. Each case is proven by the daemon's own state (inspect on
// its socket), never by dockgate's message. A case that fails names a hole still open.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { canManageUsers, type dockerAt, ok, type Served, type TestUser } from '../../harness/index.js';
import { requestAs } from '../../harness/raw-as-user.js';
import { usersBehindServe, type UsersBehindServe } from '../../harness/tenants.js';

describe("tenancy under attack: bob cannot reach, learn of, or forge alice's objects", {
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
  let aliceImageId: string;
  let bobId: string;
  const pid = process.pid;
  const web = `atk-aweb-${pid}`;
  const aliceImage = `atk-aimg-${pid}:v1`;
  const aliceNet = `atk-anet-${pid}`;
  const aliceVol = `atk-avol-${pid}`;
  const bobWeb = `atk-bweb-${pid}`;
  const aliceRepo = `atk-aimg-${pid}`;
  /** Another tag of alice's image, for one case. */
  const aliceTag = (t: string) => `${aliceRepo}:${t}`;

  /** As `u`, a raw HTTP request through the proxy: status and body. */
  const rawAs = (u: TestUser, method: string, target: string, body?: unknown, type?: string) =>
    requestAs(served.socket, { uid: u.uid, gid: u.gid }, method, target, body, type);

  /** The daemon's own word: an image's id, or '' when there is none such. */
  async function imageId(ref: string): Promise<string> {
    const r = await direct(['image', 'inspect', '-f', '{{.Id}}', ref]);
    return r.code === 0 ? r.stdout.toString().trim() : '';
  }

  /** The daemon's own word: the owner label of an image ('' when none or no such image). */
  async function imageOwner(ref: string): Promise<string> {
    const r = await direct(['image', 'inspect', '-f', '{{index .Config.Labels "dockgate.owner"}}', ref]);
    return r.code === 0 ? r.stdout.toString().trim().replace('<no value>', '') : '';
  }

  before(async () => {
    env = await usersBehindServe(
      [0, 0],
      () => '[identity]\nadmin_groups = ["dockgate-atk-nobody"]\n',
      'dg-tenancy-atk-',
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
    // alice: a running container, a private image holding a secret, a network.
    await ok(asAlice(['run', '-d', '--name', web, image, 'sh', '-c', 'echo alice-secret > /secret; sleep 600']));
    aliceId = (await ok(direct(['inspect', '-f', '{{.Id}}', web]))).stdout.toString().trim();
    await ok(asAlice(['exec', web, 'sh', '-c', 'test -f /secret || echo alice-secret > /secret']));
    await ok(asAlice(['commit', web, aliceImage]));
    aliceImageId = await imageId(aliceImage);
    assert.notEqual(aliceImageId, '');
    // One tag of her image per case that tries to re-point a tag, so the cases stay apart.
    for (const t of ['tag', 'build', 'import', 'load', 'events', 'commit'])
      await ok(asAlice(['tag', aliceImage, aliceTag(t)]));
    await ok(asAlice(['network', 'create', aliceNet]));
    await ok(asAlice(['volume', 'create', aliceVol]));
    await ok(asAlice(['run', '--rm', '-v', `${aliceVol}:/d`, image, 'sh', '-c', 'echo alice-volume > /d/secret']));
    // bob: a container of his own.
    await ok(asBob(['run', '-d', '--name', bobWeb, image, 'sleep', '600']));
    bobId = (await ok(direct(['inspect', '-f', '{{.Id}}', bobWeb]))).stdout.toString().trim();
  });

  after(async () => {
    // Only this file's containers: the daemon may serve other test files too.
    for (const u of [alice, bob]) {
      if (!u) continue;
      const ids = (await direct(['ps', '-aq', '--filter', `label=dockgate.owner=${u.name}`])).stdout
        .toString()
        .split(/\s+/)
        .filter(Boolean);
      if (ids.length) await direct(['rm', '-f', ...ids]);
    }
    // Every image this file made: its tags, and those that carry one of its users as owner.
    const tags = (await direct(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout
      .toString()
      .split(/\s+/)
      .filter((r) => r.startsWith('atk-'));
    if (tags.length) await direct(['rmi', '-f', ...tags]);
    for (const u of [alice, bob]) {
      if (!u) continue;
      const owned = (await direct(['images', '-aq', '--filter', `label=dockgate.owner=${u.name}`])).stdout
        .toString()
        .split(/\s+/)
        .filter(Boolean);
      if (owned.length) await direct(['rmi', '-f', ...new Set(owned)]);
    }
    await direct(['network', 'rm', aliceNet]);
    await direct(['volume', 'rm', '-f', aliceVol]);
    await env?.stop();
  });

  test("alice's image and container are hers (the premise of every case below)", async () => {
    assert.equal(await imageOwner(aliceImage), alice.name);
    const r = await ok(direct(['inspect', '-f', '{{index .Config.Labels "dockgate.owner"}}', aliceId]));
    assert.equal(r.stdout.toString().trim(), alice.name);
  });

  test("bob cannot run a container from alice's private image (by tag or id)", async () => {
    for (const ref of [aliceImage, aliceImageId, aliceImageId.replace('sha256:', '').slice(0, 12)]) {
      const name = `atk-brun-${pid}-${ref.length}`;
      await asBob(['create', '--name', name, ref, 'cat', '/secret']);
      const r = await direct(['inspect', '-f', '{{.Image}}', name]);
      assert.notEqual(r.code, 0, `bob created a container from alice's image by ${ref}`);
    }
  });

  test("bob cannot build FROM alice's private image", async () => {
    const ctx = path.join(dir, 'ctx-from');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${aliceImage}\nLABEL atk=from\n`);
    fs.chmodSync(ctx, 0o755);
    const tag = `atk-bfrom-${pid}:v1`;
    await asBob(['build', '-t', tag, ctx]);
    const parentLayers = (await ok(direct(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', aliceImage]))).stdout
      .toString()
      .trim();
    const built = await direct(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', tag]);
    assert.ok(
      built.code !== 0 || built.stdout.toString().trim() !== parentLayers,
      "bob's build holds alice's image layers",
    );
  });

  test("bob cannot re-point alice's image tag at his own image (docker tag)", async () => {
    await rawAs(bob, 'POST', `/v1.41/images/${encodeURIComponent(image)}/tag?repo=${aliceRepo}&tag=tag`);
    assert.equal(await imageId(aliceTag('tag')), aliceImageId, "alice's tag now names another image");
  });

  test('bob cannot re-point a shared base image tag that every user runs (docker tag)', async () => {
    const shared = `atk-shared-${pid}:latest`;
    await ok(direct(['tag', image, shared]));
    const sharedId = await imageId(shared);
    await ok(asBob(['commit', bobWeb, `atk-bevil-${pid}:v1`]));
    await asBob(['tag', `atk-bevil-${pid}:v1`, shared]);
    assert.equal(await imageId(shared), sharedId, "the shared tag now names bob's image");
  });

  test("bob cannot overwrite alice's tag by building with -t", async () => {
    const ctx = path.join(dir, 'ctx-tag');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nLABEL atk=tag\n`);
    fs.chmodSync(ctx, 0o755);
    await asBob(['build', '-t', aliceTag('build'), ctx]);
    assert.equal(await imageId(aliceTag('build')), aliceImageId, "alice's tag now names bob's build");
  });

  test("bob cannot overwrite alice's tag by committing his container under it", async () => {
    await asBob(['commit', bobWeb, aliceTag('commit')]);
    assert.equal(await imageId(aliceTag('commit')), aliceImageId, "alice's tag now names bob's commit");
  });

  test("bob cannot make an image that counts as alice's by a commit body Labels", async () => {
    const repo = `atk-bforge-commit-${pid}`;
    await rawAs(bob, 'POST', `/v1.41/commit?container=${bobWeb}&repo=${repo}&tag=v1`, {
      Labels: { 'dockgate.owner': alice.name },
    });
    assert.notEqual(await imageOwner(`${repo}:v1`), alice.name, "the committed image is labelled as alice's");
  });

  test("bob cannot label a commit as alice's by spelling the label differently in changes", async () => {
    const spellings = [
      `LABEL "dockgate.own"er=${alice.name}`,
      `LABEL dockgate.own\\er=${alice.name}`,
      `LABEL 'dockgate.owner'=${alice.name}`,
    ];
    for (const [i, change] of spellings.entries()) {
      const repo = `atk-bchg-${pid}-${i}`;
      await rawAs(
        bob,
        'POST',
        `/v1.41/commit?container=${bobWeb}&repo=${repo}&tag=v1&changes=${encodeURIComponent(change)}`,
      );
      assert.notEqual(await imageOwner(`${repo}:v1`), alice.name, `${change} labelled the image as alice's`);
    }
  });

  test("bob cannot label a commit as alice's with a percent-encoded changes key", async () => {
    const repo = `atk-bchgkey-${pid}`;
    const change = encodeURIComponent(`LABEL dockgate.owner=${alice.name}`);
    await rawAs(bob, 'POST', `/v1.41/commit?container=${bobWeb}&repo=${repo}&tag=v1&ch%61nges=${change}`);
    assert.notEqual(await imageOwner(`${repo}:v1`), alice.name);
  });

  test("bob cannot overwrite alice's tag by importing a tarball under it", async () => {
    const exported = await ok(direct(['export', bobId]));
    await rawAs(
      bob,
      'POST',
      `/v1.41/images/create?fromSrc=-&repo=${aliceRepo}&tag=import`,
      exported.stdout,
      'application/x-tar',
    );
    assert.equal(await imageId(aliceTag('import')), aliceImageId, "alice's tag now names bob's import");
  });

  test("bob cannot overwrite alice's tag with docker load", async () => {
    // A tarball of the base image under alice's repo:tag, made on the daemon's own socket.
    const tar = path.join(dir, 'load.tar');
    const other = `atk-tmp-${pid}:load`;
    await ok(direct(['tag', image, other]));
    const saved = await ok(direct(['save', other]));
    await ok(direct(['rmi', other]));
    fs.writeFileSync(tar, retagged(saved.stdout, other, aliceTag('load')));
    fs.chmodSync(tar, 0o644);
    await asBob(['load', '-i', tar]);
    assert.equal(await imageId(aliceTag('load')), aliceImageId, "bob's load re-pointed alice's tag");
  });

  test("bob cannot load an image that counts as alice's", async () => {
    // An image whose config carries alice's owner label, built and saved on the daemon's socket.
    const ctx = path.join(dir, 'ctx-forge');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nLABEL dockgate.owner=${alice.name}\n`);
    const forged = `atk-bforge-load-${pid}:v1`;
    await ok(direct(['build', '-t', forged, ctx], { env: { DOCKER_BUILDKIT: '0' } }));
    const saved = await ok(direct(['save', forged]));
    await ok(direct(['rmi', forged]));
    const tar = path.join(dir, 'forge.tar');
    fs.writeFileSync(tar, saved.stdout);
    fs.chmodSync(tar, 0o644);
    await asBob(['load', '-i', tar]);
    assert.notEqual(await imageOwner(forged), alice.name, "bob's load made an image labelled as alice's");
  });

  test("bob cannot label his build as alice's (Dockerfile LABEL, labels query in any spelling)", async () => {
    const ctx = path.join(dir, 'ctx-label');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nLABEL dockgate.owner=${alice.name}\n`);
    fs.chmodSync(ctx, 0o755);
    const tag = `atk-blabel-${pid}:v1`;
    await asBob(['build', '-t', tag, ctx]);
    assert.equal(await imageOwner(tag), bob.name);
  });

  test("bob cannot learn whether a container name of alice's exists from a since/before list filter", async () => {
    const probe = async (ref: string) =>
      (
        await rawAs(
          bob,
          'GET',
          `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ since: [ref] }))}`,
        )
      ).status;
    const [mine, hers, none] = [await probe(bobWeb), await probe(web), await probe(`atk-nonesuch-${pid}`)];
    assert.equal(mine, 200);
    assert.equal(hers, none, "the answer tells alice's name exists");
  });

  test("bob cannot see alice's image in docker images or inspect its history", async () => {
    const list = await ok(asBob(['images', '--no-trunc', '-q']));
    assert.ok(!list.stdout.toString().includes(aliceImageId));
    const hist = await rawAs(bob, 'GET', `/v1.41/images/${encodeURIComponent(aliceImage)}/history`);
    assert.equal(hist.status, 404, hist.text);
  });

  test("bob cannot connect his container to alice's network, by name or id prefix", async () => {
    const netId = (await ok(direct(['network', 'inspect', '-f', '{{.Id}}', aliceNet]))).stdout.toString().trim();
    for (const ref of [aliceNet, netId.slice(0, 8)]) {
      await rawAs(bob, 'POST', `/v1.41/networks/${ref}/connect`, { Container: bobWeb });
    }
    await asBob(['run', '-d', '--name', `atk-bnet-${pid}`, '--network', aliceNet, image, 'sleep', '60']);
    const nets = (await ok(direct(['inspect', '-f', '{{json .NetworkSettings.Networks}}', bobWeb]))).stdout.toString();
    assert.ok(!nets.includes(aliceNet), "bob joined alice's network");
    assert.notEqual((await direct(['inspect', `atk-bnet-${pid}`])).code, 0);
  });

  test("bob cannot disconnect alice's container from the default bridge", async () => {
    await rawAs(bob, 'POST', '/v1.41/networks/bridge/disconnect', { Container: aliceId, Force: true });
    await rawAs(bob, 'POST', '/v1.41/networks/bridge/disconnect', { container: web.toUpperCase(), force: true });
    const nets = (await ok(direct(['inspect', '-f', '{{json .NetworkSettings.Networks}}', aliceId]))).stdout.toString();
    assert.ok(nets.includes('"bridge"'));
  });

  test("bob cannot reach alice's container through path spellings (no version, %-escapes, slash name)", async () => {
    for (const target of [
      `/containers/${web}/stop`,
      `/v1.24/containers/${web}/stop`,
      `/v1.41/containers/%2F${web}/stop`,
      `/v1.41/containers/${encodeURIComponent(web).replace('a', '%61')}/stop`,
      `/v1.41/containers/${aliceId.slice(0, 5)}/stop`,
      `/v1.41/containers/${web}/checkpoints`,
    ])
      await rawAs(bob, 'POST', target);
    await rawAs(bob, 'POST', `/v1.23/containers/${web}/copy`, { Resource: '/secret' });
    const r = await ok(direct(['inspect', '-f', '{{.State.Running}}', aliceId]));
    assert.equal(r.stdout.toString().trim(), 'true');
  });

  test("bob cannot start alice's stopped container with an old-API HostConfig body", async () => {
    const stopped = `atk-astop-${pid}`;
    await ok(asAlice(['create', '--name', stopped, image, 'true']));
    await rawAs(bob, 'POST', `/v1.23/containers/${stopped}/start`, { Privileged: true });
    const r = await ok(direct(['inspect', '-f', '{{.State.StartedAt}} {{.HostConfig.Privileged}}', stopped]));
    assert.match(r.stdout.toString(), /^0001-01-01.* false/);
  });

  test("bob cannot mount alice's volume through an old-API start body (Binds)", async () => {
    const c = `atk-bstart-${pid}`;
    const made = await rawAs(bob, 'POST', `/v1.23/containers/create?name=${c}`, {
      Image: image,
      Cmd: ['cat', '/d/secret'],
    });
    assert.equal(made.status, 201, made.text);
    await rawAs(bob, 'POST', `/v1.23/containers/${c}/start`, { Binds: [`${aliceVol}:/d`] });
    const mounts = (await ok(direct(['inspect', '-f', '{{json .Mounts}}', c]))).stdout.toString();
    assert.ok(!mounts.includes(aliceVol), `bob's container mounts alice's volume: ${mounts}`);
  });

  test('bob cannot mount a host path through an old-API start body (Binds)', async () => {
    const c = `atk-bstarthost-${pid}`;
    const made = await rawAs(bob, 'POST', `/v1.23/containers/create?name=${c}`, { Image: image, Cmd: ['true'] });
    assert.equal(made.status, 201, made.text);
    await rawAs(bob, 'POST', `/v1.23/containers/${c}/start`, { Binds: ['/etc:/host-etc:ro'] });
    const mounts = (await ok(direct(['inspect', '-f', '{{json .Mounts}}', c]))).stdout.toString();
    assert.ok(!mounts.includes('/host-etc'), `bob's container mounts the host's /etc: ${mounts}`);
  });

  test("bob cannot learn alice's container names or ids from a predefined network's inspect", async () => {
    const isolated = `atk-anone-${pid}`;
    await ok(asAlice(['run', '-d', '--name', isolated, '--network', 'none', image, 'sleep', '600']));
    const seen = (await ok(direct(['network', 'inspect', '-f', '{{json .Containers}}', 'none']))).stdout.toString();
    assert.ok(seen.includes(isolated), 'the daemon lists the container on network none');
    for (const target of ['/v1.41/networks/none', '/v1.41/networks', '/networks/none?verbose=true']) {
      const r = await rawAs(bob, 'GET', target);
      assert.ok(!r.text.includes(isolated), `${target} shows alice's container name`);
    }
  });

  test("bob cannot learn whether alice's image exists from an image list since filter", async () => {
    const probe = async (ref: string) =>
      (await rawAs(bob, 'GET', `/v1.41/images/json?filters=${encodeURIComponent(JSON.stringify({ since: [ref] }))}`))
        .status;
    assert.equal(
      await probe(aliceImage),
      await probe(`atk-nonesuch-${pid}:v1`),
      "the answer tells alice's image exists",
    );
  });

  test("bob cannot save alice's image, whatever the spelling of the names key", async () => {
    for (const target of [
      `/v1.41/images/get?names=${encodeURIComponent(aliceImage)}`,
      `/v1.41/images/get?n%61mes=${encodeURIComponent(aliceImage)}`,
      `/v1.41/images/get?names=${encodeURIComponent(image)}&names=${encodeURIComponent(aliceImage)}`,
      `/v1.41/images/${encodeURIComponent(aliceImageId.slice(7, 19))}/get`,
    ]) {
      const r = await rawAs(bob, 'GET', target);
      assert.ok(!r.text.includes(aliceImageId.slice(7)), `${target} gave alice's image`);
    }
  });

  test("bob cannot reach alice's volume data by bind-mounting its host directory", async () => {
    const mountpoint = (await ok(direct(['volume', 'inspect', '-f', '{{.Mountpoint}}', aliceVol]))).stdout
      .toString()
      .trim();
    const c = `atk-bbind-${pid}`;
    for (const source of [mountpoint, path.dirname(mountpoint), path.dirname(path.dirname(mountpoint))])
      await asBob(['run', '--name', `${c}-${source.length}`, '-v', `${source}:/d:ro`, image, 'true']);
    const made = (await direct(['ps', '-aq', '--filter', `name=${c}`])).stdout.toString().trim();
    assert.equal(made, '', "bob's container bind-mounts the daemon's volume directory");
  });

  test('bob cannot see or run an image alice imported or loaded', async () => {
    const exported = await ok(direct(['export', aliceId]));
    const imported = `atk-aimport-${pid}:v1`;
    const r = await rawAs(
      alice,
      'POST',
      `/v1.41/images/create?fromSrc=-&repo=${imported.split(':')[0]}&tag=v1`,
      exported.stdout,
      'application/x-tar',
    );
    assert.equal(r.status, 200, r.text);
    const id = await imageId(imported);
    assert.notEqual(id, '');
    const list = await ok(asBob(['images', '--no-trunc', '-q']));
    assert.ok(!list.stdout.toString().includes(id), "bob lists alice's imported image");
    const run = `atk-brunimport-${pid}`;
    await asBob(['create', '--name', run, imported, 'cat', '/secret']);
    assert.notEqual((await direct(['inspect', run])).code, 0, "bob made a container of alice's imported image");
  });

  test("bob cannot mount alice's volume by any Binds or Mounts spelling", async () => {
    const spellings = [
      { Binds: [`${aliceVol}:/d:ro,nocopy`] },
      { Binds: [`${aliceVol}:/d:z`] },
      { Mounts: [{ Type: 'volume', Source: aliceVol, Target: '/d', VolumeOptions: { NoCopy: true } }] },
      { Mounts: [{ type: 'volume', source: aliceVol, target: '/d' }] },
    ];
    for (const [i, hostConfig] of spellings.entries())
      await rawAs(bob, 'POST', `/v1.41/containers/create?name=atk-bvol-${pid}-${i}`, {
        Image: image,
        HostConfig: hostConfig,
      });
    const users = (await ok(direct(['ps', '-aq', '--filter', `volume=${aliceVol}`]))).stdout.toString().trim();
    assert.equal(users, '', "a container of bob's mounts alice's volume");
  });

  test("bob cannot see alice's container or image events", async () => {
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await rawAs(bob, 'GET', `/v1.41/events?since=0&until=${until}`);
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes(aliceId), "alice's container events");
    assert.ok(!r.text.includes(aliceTag('events')), "alice's image events");
  });

  test("bob's system df shows none of alice's containers or images", async () => {
    const r = await rawAs(bob, 'GET', '/v1.41/system/df');
    assert.equal(r.status, 200);
    const df = JSON.parse(r.text) as { Images: { Id: string }[]; Containers: { Id: string }[] };
    assert.ok(!df.Containers.some((c) => c.Id === aliceId), "alice's container in df");
    assert.ok(!df.Images.some((i) => i.Id === aliceImageId), "alice's image in df");
  });

  test('bob cannot widen a prune or name a tag with a form-encoded body (dockerd reads it before the query)', async () => {
    const stopped = `atk-aform-${pid}`;
    await ok(asAlice(['create', '--name', stopped, image, 'true']));
    const form = (text: string) => Buffer.from(text);
    const type = 'application/x-www-form-urlencoded';
    const prune = await rawAs(bob, 'POST', '/v1.41/containers/prune', form('filters=%7B%7D'), type);
    assert.equal(prune.status, 400, prune.text);
    await rawAs(bob, 'POST', `/v1.41/images/${encodeURIComponent(image)}/tag`, form(`repo=${aliceRepo}&tag=tag`), type);
    await rawAs(
      bob,
      'POST',
      `/v1.41/images/${encodeURIComponent(image)}/tag`,
      form(`repo=${aliceRepo}&tag=tag`),
      'Application/X-WWW-Form-URLencoded; charset=utf-8',
    );
    assert.equal(
      (await direct(['inspect', '-f', '{{.Id}}', stopped])).code,
      0,
      "bob's prune removed alice's container",
    );
    assert.equal(await imageId(aliceTag('tag')), aliceImageId, "alice's tag now names another image");
  });

  test("a create naming alice's container answers as one naming a missing container (pid, ipc, volumes-from, links)", async () => {
    const none = `atk-nonesuch-${pid}`;
    const bodies = (ref: string) => [
      { PidMode: `container:${ref}` },
      { IpcMode: `container:${ref}` },
      { VolumesFrom: [`${ref}:ro`] },
      { Links: [`/${ref}:x`] },
    ];
    const hers = bodies(web);
    const missing = bodies(none);
    for (const [i, hostConfig] of hers.entries()) {
      const a = await rawAs(bob, 'POST', '/v1.41/containers/create', { Image: image, HostConfig: hostConfig });
      const b = await rawAs(bob, 'POST', '/v1.41/containers/create', { Image: image, HostConfig: missing[i] });
      assert.equal(a.status, b.status, `${JSON.stringify(hostConfig)}: ${a.text} / ${b.text}`);
      assert.equal(a.text.split(web).join(none), b.text, JSON.stringify(hostConfig));
    }
  });

  test("bob's messages for alice's image read as those for a missing image, route by route", async () => {
    const none = `atk-nonesuch-${pid}:v1`;
    const targets = (ref: string) => [
      ['GET', `/v1.41/images/${ref}/json`],
      ['GET', `/v1.41/images/${ref}/history`],
      ['DELETE', `/v1.41/images/${ref}`],
      ['POST', `/v1.41/images/${ref}/tag?repo=atk-x-${pid}`],
      ['GET', `/v1.41/images/get?names=${encodeURIComponent(ref)}`],
    ];
    const missing = targets(none);
    for (const [i, [method, target]] of targets(aliceImage).entries()) {
      const a = await rawAs(bob, method!, target!);
      const b = await rawAs(bob, missing[i]![0]!, missing[i]![1]!);
      assert.equal(a.status, b.status, `${method} ${target}: ${a.text} / ${b.text}`);
      assert.equal(a.text.split(aliceImage).join(none), b.text, `${method} ${target}`);
    }
    const create = async (ref: string) => rawAs(bob, 'POST', '/v1.41/containers/create', { Image: ref });
    const [a, b] = [await create(aliceImage), await create(none)];
    assert.equal(a.status, b.status);
    assert.equal(a.text.split(aliceImage).join(none), b.text);
  });

  test('bob can rebuild, retag and recommit under his own image names', async () => {
    const ctx = path.join(dir, 'ctx-own');
    fs.mkdirSync(ctx);
    fs.chmodSync(ctx, 0o755);
    const own = `atk-bown-${pid}`;
    for (const n of [1, 2]) {
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nLABEL round=${n}\n`);
      await ok(asBob(['build', '-t', `${own}:v1`, ctx]));
      assert.equal(await imageOwner(`${own}:v1`), bob.name);
    }
    await ok(asBob(['tag', `${own}:v1`, `${own}:v2`]));
    await ok(asBob(['commit', bobWeb, `${own}:v2`]));
    assert.equal(await imageOwner(`${own}:v2`), bob.name);
    const made = await asBob(['create', `${own}:v2`, 'true']);
    assert.equal(made.code, 0, made.stderr);
  });

  test("bob's image prune leaves alice's images", async () => {
    await rawAs(bob, 'POST', `/v1.41/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`);
    assert.equal(await imageId(aliceImage), aliceImageId);
  });
});

/** A `docker save` tarball with its one tag renamed (manifest.json and repositories). */
function retagged(tar: Buffer, from: string, to: string): Buffer {
  const out: Buffer[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = Buffer.from(tar.subarray(off, off + 512));
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = Number.parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    let data = tar.subarray(off + 512, off + 512 + size);
    if (name === 'manifest.json' || name === 'repositories') {
      const [fromRepo, fromTag] = from.split(':') as [string, string];
      const [toRepo, toTag] = to.split(':') as [string, string];
      let text = data.toString().split(from).join(to);
      if (name === 'repositories')
        text = text.split(`"${fromRepo}"`).join(`"${toRepo}"`).split(`"${fromTag}"`).join(`"${toTag}"`);
      data = Buffer.from(text);
      header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
      header.fill(' ', 148, 156);
      let sum = 0;
      for (const b of header) sum += b;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    }
    out.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
    off += 512 + size + ((512 - (size % 512)) % 512);
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}
