// The plugin socket as dockerd talks to it, and as nobody should: activation, calls that are not
// JSON, too large, of the wrong shape or to unknown paths are answered (never a crash, never an
// allow); AuthZRes is allowed unless the policy has a response rule, which then judges it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { LookupSecret, PluginLookups } from '../../../src/enforce/plugin/lookups.js';
import { PluginDecisionPoint } from '../../../src/enforce/plugin/plugin-point.js';
import { listenPlugin } from '../../../src/enforce/plugin/protocol.js';
import { PolicyEngine } from '../../../src/policy/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dgproto-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function serve(policy?: string) {
  const secret = new LookupSecret();
  const point = new PluginDecisionPoint({
    lookups: new PluginLookups(null, secret),
    secret,
    verifier: null,
    requireProxy: false,
    query: 'data.docker.authz.allow',
  });
  let policies: string[] | undefined;
  if (policy) {
    const file = path.join(tmp, `p${Math.random().toString(16).slice(2)}.rego`);
    fs.writeFileSync(file, policy);
    policies = [file];
  }
  point.setEngine(await PolicyEngine.load({ policies }));
  const socket = path.join(tmp, `s${Math.random().toString(16).slice(2)}.sock`);
  const decisions: unknown[] = [];
  const server = await listenPlugin(
    socket,
    () => point,
    (r) => decisions.push(r),
  );
  return { socket, server, decisions };
}

function post(socket: string, url: string, body: string | Buffer, method = 'POST') {
  return new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const req = http.request(
      { socketPath: socket, path: url, method, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('activation answers that the plugin implements authz; the socket is for root only', async () => {
  const { socket, server } = await serve();
  try {
    const r = await post(socket, '/Plugin.Activate', '');
    assert.deepEqual(r, { status: 200, json: { Implements: ['authz'] } });
    assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
  } finally {
    await server.close();
  }
  assert.equal(fs.existsSync(socket), false);
});

test('calls that are not JSON, not objects, too large or of the wrong shape are refused, and the plugin keeps serving', async () => {
  const { socket, server } = await serve();
  try {
    for (const body of ['not json', '[]', '{"RequestMethod":"GET"}', '{"RequestMethod":1,"RequestUri":"/x"}']) {
      const r = await post(socket, '/AuthZPlugin.AuthZReq', body);
      assert.equal(r.status, 200);
      assert.equal(r.json.Allow, false, body);
      assert.match(String(r.json.Msg), /unreadable plugin call/);
    }
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const big = await post(socket, '/AuthZPlugin.AuthZReq', huge);
    assert.equal(big.json.Allow, false);
    assert.match(String(big.json.Msg), /larger than/);
    assert.equal((await post(socket, '/AuthZPlugin.Other', '{}')).status, 404);
    assert.equal((await post(socket, '/AuthZPlugin.AuthZReq', '', 'GET')).status, 405);
    const ok = await post(
      socket,
      '/AuthZPlugin.AuthZReq',
      JSON.stringify({ RequestMethod: 'GET', RequestUri: '/v1.41/containers/json' }),
    );
    assert.equal(ok.json.Allow, true, String(ok.json.Msg));
  } finally {
    await server.close();
  }
});

test('AuthZRes is allowed without reading it when the policy has no response rule', async () => {
  const { socket, server } = await serve();
  try {
    const r = await post(socket, '/AuthZPlugin.AuthZRes', 'anything at all');
    assert.deepEqual(r.json, { Allow: true });
  } finally {
    await server.close();
  }
});

test('a response rule (allow_response beside allow) judges the daemon answer', async () => {
  const policy = `package docker.authz

import rego.v1

default allow := true

default allow_response := false

allow_response if input.Response.StatusCode < 400
`;
  const { socket, server } = await serve(policy);
  try {
    const call = (status: number) =>
      JSON.stringify({
        RequestMethod: 'GET',
        RequestUri: '/v1.41/containers/json',
        ResponseStatusCode: status,
        ResponseHeaders: { 'Content-Type': 'application/json' },
        ResponseBody: Buffer.from('[]').toString('base64'),
      });
    assert.equal((await post(socket, '/AuthZPlugin.AuthZRes', call(200))).json.Allow, true);
    const refused = await post(socket, '/AuthZPlugin.AuthZRes', call(404));
    assert.equal(refused.json.Allow, false);
    assert.match(String(refused.json.Msg), /allow_response refused/);
  } finally {
    await server.close();
  }
});
