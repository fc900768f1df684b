// The plugin's decision point on calls shaped as dockerd sends them, in process: bodies dockerd
// did not pass on, requests the pack would rewrite, opa-docker-authz policies (0.x syntax) run
// unchanged, its own look-ups, and calls that are not what dockerd sends.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readAuthzCall } from '../../../src/enforce/plugin/authz-request.js';
import { LookupSecret, PluginLookups } from '../../../src/enforce/plugin/lookups.js';
import { PluginDecisionPoint } from '../../../src/enforce/plugin/plugin-point.js';
import { PolicyEngine } from '../../../src/policy/index.js';
import { IdentityVerifier, signIdentity } from '../../../src/tenancy/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dgpoint-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const key = randomBytes(32);

async function point(
  opts: { policy?: string; v0?: boolean; query?: string; config?: string } = {},
): Promise<PluginDecisionPoint> {
  const secret = new LookupSecret();
  const p = new PluginDecisionPoint({
    lookups: new PluginLookups(null, secret),
    secret,
    verifier: new IdentityVerifier(key, 30),
    requireProxy: false,
    query: opts.query ?? 'data.docker.authz.allow',
  });
  let policies: string[] | undefined;
  if (opts.policy !== undefined) {
    const file = path.join(tmp, `${randomBytes(4).toString('hex')}.rego`);
    fs.writeFileSync(file, opts.policy);
    policies = [file];
  }
  let config: string | undefined;
  if (opts.config !== undefined) {
    config = path.join(tmp, `${randomBytes(4).toString('hex')}.toml`);
    fs.writeFileSync(config, opts.config);
  }
  p.setEngine(await PolicyEngine.load({ policies, v0: opts.v0, query: opts.query, config }));
  return p;
}

/** An AuthZReq as dockerd encodes it (Go: []byte as base64, headers one value each). */
function call(method: string, uri: string, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const h: Record<string, string> = { 'User-Agent': 'Docker-Client/28.2.2 (linux)', ...headers };
  if (text !== undefined) {
    h['Content-Type'] ??= 'application/json';
    h['Content-Length'] ??= String(Buffer.byteLength(text));
  }
  return readAuthzCall(
    JSON.stringify({
      RequestMethod: method,
      RequestUri: uri,
      RequestHeaders: h,
      ...(text === undefined ? {} : { RequestBody: Buffer.from(text).toString('base64') }),
    }),
  );
}

test('a judged body that dockerd did not pass on is refused, saying so', async () => {
  const p = await point();
  const c = call('POST', '/v1.41/containers/create', undefined, {
    'Content-Type': 'application/json',
    'Content-Length': '250',
  });
  const { answer } = await p.request(c);
  assert.equal(answer.Allow, false);
  assert.match(answer.Msg ?? '', /did not pass this request's body to the plugin/);
});

test('a create with Content-Length 0 is judged as bodiless (the body is known to be empty)', async () => {
  const p = await point();
  const { answer } = await p.request(
    call('POST', '/v1.41/containers/create', undefined, { 'Content-Length': '0', 'Content-Type': 'application/json' }),
  );
  assert.equal(answer.Allow, true, answer.Msg);
});

test('where the pack would rewrite a create, the plugin refuses and names the flags that make it acceptable', async () => {
  const shared = path.join(tmp, 'shared');
  fs.mkdirSync(shared, { recursive: true });
  // Tenancy off: without --upstream it could not look the image up (tenancy.test.ts has it on).
  const p = await point({ config: `[tenancy]\nenabled = false\n[rules.mounts]\nallow = ["${shared}"]\n` });
  const body = { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: [`${shared}:/x`] } };
  const identity = { uid: 1000, gid: 1000, user: 'u', groups: ['u'], pid: null, via: 'peercred' as const };
  const sig = signIdentity(key, identity, {
    method: 'POST',
    target: '/v1.41/containers/create',
    body: Buffer.from(JSON.stringify(body)),
  });
  const { answer } = await p.request(call('POST', '/v1.41/containers/create', body, { 'X-Dockgate-Identity': sig }));
  assert.equal(answer.Allow, false);
  assert.match(answer.Msg ?? '', /^mutation: the policy would change this request/);
  assert.match(answer.Msg ?? '', /--user 1000:1000/);
  assert.match(answer.Msg ?? '', /--security-opt no-new-privileges/);
  assert.ok((answer.Msg ?? '').includes(`--mount type=bind,source=${shared},target=/x`), answer.Msg);
});

test("the plugin's own look-ups are let through only with its secret, only as GETs of look-up paths", async () => {
  const secret = new LookupSecret();
  const [name, value] = Object.entries(secret.header)[0]!;
  assert.equal(secret.isOwnLookup('GET', '/containers/abc/json', { [name]: value }), true);
  assert.equal(secret.isOwnLookup('GET', '/containers/abc/json', { [name]: `${value.slice(1)}0` }), false);
  assert.equal(secret.isOwnLookup('POST', '/containers/abc/json', { [name]: value }), false);
  assert.equal(secret.isOwnLookup('GET', '/containers/abc/exec', { [name]: value }), false);
  assert.equal(secret.isOwnLookup('GET', '/containers/json', {}), false);
});

test('a request that needs a look-up is refused when the plugin has no daemon to ask', async () => {
  const p = await point();
  const { answer } = await p.request(call('POST', '/v1.41/containers/abc/exec', { Cmd: ['sh'], User: '0' }));
  assert.equal(answer.Allow, false);
  assert.match(answer.Msg ?? '', /no --upstream/);
});

test('calls that are not what dockerd sends are refused while reading them', () => {
  assert.throws(() => readAuthzCall('[]'), /not an object/);
  assert.throws(() => readAuthzCall('{"RequestMethod":"GET","RequestUri":5}'), /RequestUri is not a string/);
  assert.throws(
    () => readAuthzCall('{"RequestMethod":"GET","RequestUri":"/x","RequestBody":"***"}'),
    /RequestBody is not base64/,
  );
  assert.throws(
    () => readAuthzCall('{"RequestMethod":"GET","RequestUri":"/x","RequestHeaders":{"A":"1","a":"2"}}'),
    /names a twice/,
  );
});

// Policies written the way opa-docker-authz's README and its users write them (OPA 0.x syntax).
const README_POLICY = `package docker.authz

allow = true {
    not deny
}

deny {
    seccomp_unconfined
}

seccomp_unconfined {
    input.Body.HostConfig.SecurityOpt[_] == "seccomp:unconfined"
}
`;

const USERS_POLICY = `package docker.authz

default allow = false

allow {
    input.Method == "GET"
}

allow {
    input.Method == "POST"
    input.PathArr[2] == "containers"
    not input.Body.HostConfig.Privileged
    not host_bind
}

host_bind {
    input.BindMounts[_].Resolved == "/etc"
}
`;

test('the opa-docker-authz README policy (0.x) decides as it did: seccomp unconfined refused, the rest allowed', async () => {
  const p = await point({ policy: README_POLICY, v0: true });
  const bad = { Image: 'bb', HostConfig: { SecurityOpt: ['seccomp:unconfined'] } };
  assert.equal((await p.request(call('POST', '/v1.41/containers/create', bad))).answer.Allow, false);
  const good = { Image: 'bb', HostConfig: {} };
  assert.equal((await p.request(call('POST', '/v1.41/containers/create', good))).answer.Allow, true);
  assert.equal((await p.request(call('GET', '/v1.41/containers/json'))).answer.Allow, true);
});

test("a user's opa-docker-authz policy (0.x) reading Method, PathArr, Body and BindMounts decides as it did", async () => {
  const p = await point({ policy: USERS_POLICY, v0: true });
  assert.equal((await p.request(call('GET', '/v1.41/images/json'))).answer.Allow, true);
  const priv = { Image: 'bb', HostConfig: { Privileged: true } };
  assert.equal((await p.request(call('POST', '/v1.41/containers/create', priv))).answer.Allow, false);
  const etc = { Image: 'bb', HostConfig: { Binds: ['/etc:/e'] } };
  assert.equal((await p.request(call('POST', '/v1.41/containers/create', etc))).answer.Allow, false);
  const plain = { Image: 'bb', HostConfig: {} };
  assert.equal((await p.request(call('POST', '/v1.41/containers/create', plain))).answer.Allow, true);
  assert.equal((await p.request(call('DELETE', '/v1.41/images/bb'))).answer.Allow, false);
});

test('--query names another allow rule, as opa-docker-authz users point it at their own package', async () => {
  const policy = 'package my.rules\n\ndefault ok = false\n\nok {\n    input.Method == "GET"\n}\n';
  const p = await point({ policy, v0: true, query: 'data.my.rules.ok' });
  assert.equal((await p.request(call('GET', '/v1.41/images/json'))).answer.Allow, true);
  assert.equal((await p.request(call('DELETE', '/v1.41/images/bb'))).answer.Allow, false);
});

test('a policy that reads the Content-Type sees it as dockerd passed it, and a charset does not hide the body', async () => {
  const policy = `package docker.authz

default allow = false

allow {
    input.Method == "GET"
}

allow {
    input.Method == "POST"
    not input.Body.HostConfig.Privileged
}
`;
  const p = await point({ policy, v0: true });
  const priv = { Image: 'bb', HostConfig: { Privileged: true } };
  const c = call('POST', '/v1.41/containers/create', priv, { 'Content-Type': 'application/json; charset=utf-8' });
  assert.equal((await p.request(c)).answer.Allow, false);
});
