// Head-only requests (no body) are judged once per distinct head on a connection when the policy
// is deterministic; anything that could make a second evaluation differ is evaluated again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicyEngine } from '../../../src/policy/index.js';
import { PolicyDecisionPoint } from '../../../src/enforce/proxy/policy-point.js';
import { ProxyRequest, type Decision } from '../../../src/enforce/proxy/decision.js';
import type { Identity } from '../../../src/tenancy/index.js';

async function engineFor(rego: string): Promise<PolicyEngine> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dgm-'));
  try {
    fs.writeFileSync(path.join(dir, 'p.rego'), rego);
    return await PolicyEngine.load({ policies: [dir] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts the evaluations an engine makes. */
function counted(engine: PolicyEngine): { engine: PolicyEngine; calls: () => number } {
  let n = 0;
  const decide = engine.decide.bind(engine);
  engine.decide = (input) => {
    n++;
    return decide(input);
  };
  return { engine, calls: () => n };
}

const alice = (): Identity => ({
  uid: 1000,
  gid: 1000,
  user: 'alice',
  groups: ['alice'],
  pid: 42,
  via: 'peercred',
});
const get = (id: Identity, target = '/v1.41/containers/json', headers = ['Host', 'docker', 'User-Agent', 'cli']) =>
  new ProxyRequest('GET', target, headers, id, false);
/** No request here needs the daemon (no volume look-ups). */
const NO_UPSTREAM = { upstream: { kind: 'unix' as const, path: '/nonexistent', text: 'unix:///nonexistent' } };
const decide = (pp: PolicyDecisionPoint, req: ProxyRequest) => pp.decide(req) as Decision;

const ALLOW_UNLESS_HEADER = `package docker.authz
import rego.v1
default allow := false
allow if not input.Headers["X-Deny"]
`;

test('the same head on one connection is judged once; another head, connection or engine is judged again', async () => {
  const { engine, calls } = counted(await engineFor(ALLOW_UNLESS_HEADER));
  assert.equal(engine.deterministic, true);
  const pp = new PolicyDecisionPoint(engine, NO_UPSTREAM);
  const conn = alice();
  assert.equal(decide(pp, get(conn)).allow, true);
  assert.equal(decide(pp, get(conn)).allow, true);
  assert.equal(calls(), 1);
  // A header the policy reads changes the head: judged, and refused.
  assert.equal(decide(pp, get(conn, '/v1.41/containers/json', ['Host', 'docker', 'X-Deny', '1'])).allow, false);
  assert.equal(decide(pp, get(conn, '/v1.41/containers/json', ['Host', 'docker', 'X-Deny', '1'])).allow, false);
  assert.equal(calls(), 2);
  // Another target, another connection of the same user: judged.
  decide(pp, get(conn, '/v1.41/containers/json?all=1'));
  decide(pp, get(alice()));
  assert.equal(calls(), 4);
  // A reloaded engine forgets what the old one decided.
  const second = counted(await engineFor(ALLOW_UNLESS_HEADER.replace('allow if not', 'allow if')));
  pp.engine = second.engine;
  assert.equal(decide(pp, get(conn)).allow, false);
  assert.equal(second.calls(), 1);
});

test('requests with a body are judged every time', async () => {
  const { engine, calls } = counted(await engineFor(ALLOW_UNLESS_HEADER));
  const pp = new PolicyDecisionPoint(engine, NO_UPSTREAM);
  const conn = alice();
  for (let i = 0; i < 2; i++) {
    const req = new ProxyRequest(
      'POST',
      '/v1.41/plugins/abc/set',
      ['Host', 'docker', 'Content-Length', '2'],
      conn,
      true,
    );
    req.body = Buffer.from('[]');
    decide(pp, req);
  }
  assert.equal(calls(), 2);
});

test('a policy that reads the clock is judged on every request', async () => {
  const { engine, calls } = counted(
    await engineFor(`package docker.authz
import rego.v1
default allow := false
allow if time.now_ns() > 0
`),
  );
  assert.equal(engine.deterministic, false);
  const pp = new PolicyDecisionPoint(engine, NO_UPSTREAM);
  const conn = alice();
  decide(pp, get(conn));
  decide(pp, get(conn));
  assert.equal(calls(), 2);
});

test('a failed evaluation is not remembered', async () => {
  const { engine, calls } = counted(
    await engineFor(`package docker.authz
import rego.v1
default allow := false
allow := true if input.Method == "GET"
allow := false if input.Method == "GET"
`),
  );
  const pp = new PolicyDecisionPoint(engine, NO_UPSTREAM);
  const conn = alice();
  const first = decide(pp, get(conn));
  assert.equal(first.allow, false);
  assert.equal(first.error, true);
  decide(pp, get(conn));
  assert.equal(calls(), 2);
});

test('large heads are not remembered: a client cannot grow the proxy by sending many of them', async () => {
  const { engine, calls } = counted(await engineFor(ALLOW_UNLESS_HEADER));
  const pp = new PolicyDecisionPoint(engine, NO_UPSTREAM);
  const conn = alice();
  const big = ['Host', 'docker', 'X-Padding', 'p'.repeat(2000)];
  decide(pp, get(conn, '/v1.41/containers/json', big));
  decide(pp, get(conn, '/v1.41/containers/json', big));
  assert.equal(calls(), 2);
});
