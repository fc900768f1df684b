// `dockgate eval`, `dockgate test` and `dockgate bench` as users run them: opa-docker-authz
// policies in 0.x and 1.x syntax, OPA's output shapes, and one-line errors with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './conformance-lib.js';

const bin = join(repoRoot(), 'bin', 'dockgate');
const dir = mkdtempSync(join(tmpdir(), 'dockgate-rego-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function run(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

// The policy from opa-docker-authz's README (OPA 0.x syntax).
const AUTHZ_V0 = file(
  'authz_v0.rego',
  `package docker.authz

default allow = false

allow {
    not deny
}

deny {
    seccomp_unconfined
}

seccomp_unconfined {
    # This expression asserts that the string on the right-hand side is equal
    # to an element in the array SecurityOpt referenced on the left-hand side.
    input.Body.HostConfig.SecurityOpt[_] == "seccomp:unconfined"
}
`,
);

const AUTHZ_V1 = file(
  'authz_v1.rego',
  `package docker.authz

import rego.v1

default allow := false

allow if count(deny) == 0

deny contains msg if {
	some i
	input.Body.HostConfig.CapAdd[i] == "SYS_ADMIN"
	msg := sprintf("capability %s is not allowed", [input.Body.HostConfig.CapAdd[i]])
}

deny contains "bind mount of / is not allowed" if {
	some m in input.BindMounts
	startswith(m.Resolved, "/")
	m.Resolved == "/"
}

deny contains "unsigned images" if {
	not regex.match("^registry\\\\.example\\\\.com/", input.Body.Image)
}

ok_owner(req) if every k, v in req.Labels { k != "owner"; v != "" } with input as {}
`,
);

const OK = file(
  'ok.json',
  JSON.stringify({
    Body: { Image: 'registry.example.com/a:1', HostConfig: { SecurityOpt: [], CapAdd: [] } },
    BindMounts: [],
  }),
);
const BAD = file(
  'bad.json',
  JSON.stringify({
    Body: { Image: 'evil/x', HostConfig: { SecurityOpt: ['seccomp:unconfined'], CapAdd: ['SYS_ADMIN'] } },
    BindMounts: [{ Resolved: '/' }],
  }),
);

test('eval: opa-docker-authz 0.x policy with --v0-compatible gives OPA result shape', () => {
  const r = run('eval', '--v0-compatible', '-d', AUTHZ_V0, '-i', OK, 'data.docker.authz.allow');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), {
    result: [{ expressions: [{ value: true, text: 'data.docker.authz.allow', location: { row: 1, col: 1 } }] }],
  });
  const d = run('eval', '--v0-compatible', '-d', AUTHZ_V0, '-i', BAD, 'data.docker.authz.allow');
  assert.equal(JSON.parse(d.out).result[0].expressions[0].value, false);
});

test('eval: a 0.x policy without --v0-compatible loads with a warning naming the file', () => {
  const r = run('eval', '-d', AUTHZ_V0, '-i', BAD, 'data.docker.authz.allow');
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    new RegExp(`warning: ${AUTHZ_V0.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: parsed as OPA 0\\.x syntax`),
  );
  assert.equal(JSON.parse(r.out).result[0].expressions[0].value, false);
});

test('eval: 1.x policy, deny set, bindings, pretty format, undefined as {}', () => {
  const r = run('eval', '-d', AUTHZ_V1, '-i', BAD, 'data.docker.authz.deny');
  assert.deepEqual(JSON.parse(r.out).result[0].expressions[0].value, [
    'bind mount of / is not allowed',
    'capability SYS_ADMIN is not allowed',
    'unsigned images',
  ]);
  const b = run('eval', '-d', AUTHZ_V1, '-i', BAD, 'data.docker.authz.deny[msg]; startswith(msg, "cap")');
  const out = JSON.parse(b.out);
  assert.equal(out.result.length, 1);
  assert.deepEqual(out.result[0].bindings, { msg: 'capability SYS_ADMIN is not allowed' });
  assert.equal(out.result[0].expressions[1].text, 'startswith(msg, "cap")');
  assert.deepEqual(out.result[0].expressions[1].location, { row: 1, col: 30 });
  assert.equal(run('eval', '--format', 'pretty', '-d', AUTHZ_V1, '-i', OK, 'data.docker.authz.allow').out, 'true\n');
  assert.equal(run('eval', '-d', AUTHZ_V1, '-i', OK, 'data.docker.authz.nothing').out, '{}\n');
});

test('eval: bad policy, data or input is one line with file:line:col and exit 2', () => {
  const broken = file('broken.rego', 'package x\n\nallow if {\n  input.a ==\n}\n');
  const r = run('eval', '-d', broken, 'data.x.allow');
  assert.equal(r.code, 2);
  assert.equal(r.err.trim().split('\n').length, 1);
  assert.match(r.err, /broken\.rego:5:1: rego_parse_error: /);
  const badJSON = file('input-bad.json', '{"a": [1, 2,\n  }');
  const i = run('eval', '-d', AUTHZ_V1, '-i', badJSON, 'data.docker.authz.allow');
  assert.equal(i.code, 2);
  assert.match(i.err, /input-bad\.json:2:3: /);
  assert.doesNotMatch(i.err, /\n\s+at /);
  const badYAML = file('data.yaml', 'a: [1\nb: 2\n');
  const y = run('eval', '-d', badYAML, 'data');
  assert.equal(y.code, 2);
  assert.match(y.err, /data\.yaml:2:1: /);
  assert.equal(run('eval', '-d', join(dir, 'missing.rego'), 'data').code, 2);
});

test('test: opa test report and exit codes', () => {
  const t = file(
    'authz_test.rego',
    `package docker.authz_test
import rego.v1
import data.docker.authz

test_ok if authz.allow with input as {"Body": {"Image": "registry.example.com/a", "HostConfig": {}}, "BindMounts": []}
test_denied if not authz.allow with input as {"Body": {"Image": "x", "HostConfig": {}}, "BindMounts": []}
test_wrong if authz.allow with input as {"Body": {"Image": "x", "HostConfig": {}}, "BindMounts": []}
`,
  );
  const r = run('test', AUTHZ_V1, t);
  // opa test: exit 2 when a test fails; each reported line follows its file:row.
  assert.equal(r.code, 2);
  assert.match(r.out, /authz_test\.rego:7:\ndata\.docker\.authz_test\.test_wrong: FAIL \(/);
  assert.match(r.out, /PASS: 2\/3\nFAIL: 1\/3\n$/);
  const v = run('test', '-v', AUTHZ_V1, t);
  assert.match(v.out, /data\.docker\.authz_test\.test_ok: PASS/);
});

test('bench: --format json prints the figures object', () => {
  const r = run('bench', '--count', '200', '--format', 'json', '-d', AUTHZ_V1, '-i', BAD, 'data.docker.authz.allow');
  assert.equal(r.code, 0, r.err);
  const fig = JSON.parse(r.out);
  assert.deepEqual(Object.keys(fig).sort(), ['count', 'ns_per_op', 'p50_ns', 'p90_ns', 'p99_ns']);
  assert.equal(fig.count, 200);
  assert.ok(fig.p50_ns > 0 && fig.p50_ns <= fig.p90_ns && fig.p90_ns <= fig.p99_ns);
});
