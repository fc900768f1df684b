// Proxy and plugin together: dockgate serve signs each caller's identity into what it forwards,
// dockgate plugin behind dockerd believes only valid, fresh, unseen signatures, and with
// [plugin] require_proxy a request that did not come through the proxy is refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { signIdentity } from '../../../src/tenancy/index.js';
import { dockerAt } from '../../harness/docker.js';
import { ensureTestImage } from '../../harness/image.js';
import { rawExchange, splitResponses } from '../../harness/raw.js';
import { type Served, startServe } from '../../harness/serve.js';
import { type GuardedDaemon, startGuardedDaemon } from './plugin-harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dgboth-'));
const keyFile = path.join(tmp, 'proxy.key');
const key = randomBytes(32);
let g: GuardedDaemon;
let served: Served;
let image: string;

before(async () => {
  fs.writeFileSync(keyFile, key, { mode: 0o600 });
  const config = path.join(tmp, 'dockgate.toml');
  fs.writeFileSync(config, `[plugin]\nrequire_proxy = true\nkey_file = "${keyFile}"\n`);
  g = await startGuardedDaemon(['--config', config]);
  served = await startServe({ upstream: g.daemon.socket, args: ['--identity-key', keyFile] });
  // The image goes in through the proxy: a direct request would be refused.
  image = ensureTestImage(served.socket);
});

after(async () => {
  await served?.stop();
  await g?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function raw(head: string): Promise<{ status: number; text: string }> {
  const reply = await rawExchange(g.daemon.socket, `${head}\r\nHost: d\r\nConnection: close\r\n\r\n`, {
    timeoutMs: 15_000,
    until: (d) => splitResponses(d).length > 0,
  });
  const [res] = splitResponses(reply.data);
  assert.ok(res, reply.data.toString());
  return { status: res.status, text: res.body.toString() };
}

test('with require_proxy, direct docker ps is refused and the same through dockgate serve works', async () => {
  const direct = await dockerAt(g.daemon.socket)(['ps']);
  assert.notEqual(direct.code, 0);
  assert.match(direct.stderr, /takes requests only through dockgate serve/);
  const proxied = await dockerAt(served.socket)(['ps']);
  assert.equal(proxied.code, 0, proxied.stderr);
});

test('with require_proxy, _ping and version still answer directly', async () => {
  const v = await dockerAt(g.daemon.socket)(['version', '--format', '{{.Server.Version}}']);
  assert.equal(v.code, 0, v.stderr);
});

test('a run through the proxy is judged by the plugin as the proxy caller and works', async () => {
  const r = await dockerAt(served.socket)(['run', '--rm', image, 'echo', 'both']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.toString().trim(), 'both');
});

test('a forged identity header sent directly is refused', async () => {
  const who = Buffer.from(JSON.stringify({ uid: 0, gid: 0, user: 'root', groups: ['root'] })).toString('base64url');
  const forged = `v1 ${Math.floor(Date.now() / 1000)} ${'a'.repeat(32)} - ${who} ${'0'.repeat(64)}`;
  const r = await raw(`GET /v1.41/containers/json HTTP/1.1\r\nX-Dockgate-Identity: ${forged}`);
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /signature does not match/);
});

test('a valid signature is accepted once and refused when replayed', async () => {
  const identity = { uid: 0, gid: 0, user: 'root', groups: ['root'], pid: null, via: 'peercred' as const };
  const value = signIdentity(key, identity, { method: 'GET', target: '/v1.41/containers/json', body: null });
  const first = await raw(`GET /v1.41/containers/json HTTP/1.1\r\nX-Dockgate-Identity: ${value}`);
  assert.equal(first.status, 200, first.text);
  const again = await raw(`GET /v1.41/containers/json HTTP/1.1\r\nX-Dockgate-Identity: ${value}`);
  assert.equal(again.status, 403, again.text);
  assert.match(again.text, /used before \(replay\)/);
});

test('a signature made for another request is refused', async () => {
  const identity = { uid: 0, gid: 0, user: 'root', groups: ['root'], pid: null, via: 'peercred' as const };
  const value = signIdentity(key, identity, { method: 'GET', target: '/v1.41/images/json', body: null });
  const r = await raw(`GET /v1.41/containers/json HTTP/1.1\r\nX-Dockgate-Identity: ${value}`);
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /does not match this request/);
});

test('an expired signature is refused', async () => {
  const identity = { uid: 0, gid: 0, user: 'root', groups: ['root'], pid: null, via: 'peercred' as const };
  const value = signIdentity(key, identity, { method: 'GET', target: '/v1.41/containers/json', body: null }, 0);
  const r = await raw(`GET /v1.41/containers/json HTTP/1.1\r\nX-Dockgate-Identity: ${value}`);
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /expired/);
});
