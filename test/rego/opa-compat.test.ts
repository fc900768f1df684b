// OPA behaviours that real policy repositories depend on and that OPA's conformance cases do
// not exercise (each case there is one module with refs already resolved): packages split
// across files, the loader's document tree, parser positions, evaluation corners and
// `dockgate test` as `opa test`. Issue 16; each test is a reproduction from it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compile, parseJSON, toJSON, type ModuleSource } from '../../src/rego/index.js';
import { loadPaths, type LoadOptions } from '../../src/rego/cli/load.js';
import { jsonReport, prettyReport, runTests, type TestResult, type TestRunOptions } from '../../src/rego/cli/test.js';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './conformance-lib.js';
import { checkModules } from '../../src/rego/strict.js';

function evalRef(mods: ModuleSource[] | string, ref: string, input?: string, opaNegation = true): string {
  const sources = typeof mods === 'string' ? [{ name: 'p.rego', text: mods }] : mods;
  const v = compile(sources, { opaNegation }).evalRef(ref, input === undefined ? undefined : parseJSON(input));
  return v === undefined ? 'undefined' : toJSON(v);
}

function _query(text: string, q: string, input?: string): string {
  const rs = compile([{ name: 'p.rego', text }]).eval(q, { input: input === undefined ? undefined : parseJSON(input) });
  return JSON.stringify(rs.map((r) => Object.fromEntries([...r.bindings].map(([k, v]) => [k, JSON.parse(toJSON(v))]))));
}

// ---- 1. A package spread over several files -------------------------------------------------

test('a rule defined in another file of the same package is visible by its bare name', () => {
  const mods = [
    { name: 'policy.rego', text: 'package authz\n\nallow if input.user == "admin"\n' },
    { name: 'policy_test.rego', text: 'package authz\n\ntest_allow if allow with input as {"user": "admin"}\n' },
  ];
  assert.equal(evalRef(mods, 'data.authz.test_allow'), 'true');
});

test('a function defined in another file of the same package is callable by its bare name', () => {
  const mods = [
    { name: 'lib.rego', text: 'package k8s\n\nis_root(c) if c.securityContext.runAsUser == 0\n' },
    {
      name: 'lib_test.rego',
      text: 'package k8s\n\ntest_root if is_root({"securityContext": {"runAsUser": 0}})\ntest_not_root if not is_root({"securityContext": {"runAsUser": 1}})\n',
    },
  ];
  assert.equal(evalRef(mods, 'data.k8s.test_root'), 'true');
  assert.equal(evalRef(mods, 'data.k8s.test_not_root'), 'true');
});

test('partial set rules of one package in two files merge, and each file sees the union', () => {
  const mods = [
    { name: 'a.rego', text: 'package p\n\ndeny contains "a"\n' },
    { name: 'b.rego', text: 'package p\n\ndeny contains "b"\n' },
    { name: 'c.rego', text: 'package p\n\nn := count(deny)\n' },
  ];
  assert.equal(evalRef(mods, 'data.p.n'), '2');
});

test('another package does not see the rules of a package by bare name', () => {
  const mods = [
    { name: 'a.rego', text: 'package a\n\nallow := true\n' },
    { name: 'b.rego', text: 'package b\n\nx if allow\n' },
  ];
  assert.throws(() => compile(mods), /var allow is unsafe/);
});

// ---- 2. The loader's document tree --------------------------------------------------------------

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'dockgate-loader-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

function loadedData(paths: string[], opts?: LoadOptions): unknown {
  return JSON.parse(toJSON(loadPaths(paths, opts).data));
}

test('a non-object document in a subdirectory mounts at its directory path', () => {
  const root = tree({ 'fixtures/data.json': '[1, 2]', 'other/deep/x.yaml': '"s"\n', 'top.json': '{"a": 1}' });
  assert.deepEqual(loadedData([root]), { a: 1, fixtures: [1, 2], other: { deep: 's' } });
});

test('a document that lands at the root must be an object (OPA: bad document type)', () => {
  const root = tree({ 'list.json': '[1]' });
  assert.throws(() => loadPaths([root]), /list\.json: bad document type/);
  assert.throws(() => loadPaths([join(root, 'list.json')]), /bad document type/);
});

test('two documents with the same non-object key are a merge error; objects merge', () => {
  const root = tree({ 'a/x.json': '{"k": {"p": 1}, "v": 1}', 'a/y.json': '{"k": {"q": 2}}' });
  assert.deepEqual(loadedData([root]), { a: { k: { p: 1, q: 2 }, v: 1 } });
  const bad = tree({ 'a/x.json': '{"v": 1}', 'a/y.yaml': 'v: 2\n' });
  assert.throws(() => loadPaths([bad]), /y\.yaml: merge error/);
});

test('JSON: a second value after the first is refused as OPA >= 0.20 refuses it; whitespace is fine', () => {
  const root = tree({ 'two.json': '{"a": 1}\n{"b": 2}\n', 'ws.json': '{"a": 1}\n\n  ' });
  assert.throws(() => loadPaths([join(root, 'two.json')]), /two\.json: invalid character '\{' after top-level value/);
  assert.deepEqual(loadedData([join(root, 'ws.json')]), { a: 1 });
});

test('YAML: first document only, YAML 1.1 booleans and octal, timestamps stay strings', () => {
  const root = tree({
    'd/c.yaml': 'on: yes\nflag: off\nmode: 0755\nwhen: 2001-12-14t21:59:43.10-05:00\n---\nother: 1\n',
  });
  assert.deepEqual(loadedData([root]), {
    d: { true: true, flag: false, mode: 493, when: '2001-12-14t21:59:43.10-05:00' },
  });
});

test('--ignore skips matching names below the named paths, never a named path itself', () => {
  const root = tree({
    'p.rego': 'package p\n',
    'k8s/template.yaml': 'a: 1\n',
    'k8s/constraint.yaml': 'a: 2\n',
    'testdata/x.json': '{"t": 1}',
  });
  assert.throws(() => loadPaths([root]), /merge error/);
  assert.deepEqual(loadedData([root], { ignore: ['*.yaml', 'test?ata'] }), {});
  assert.equal(loadPaths([root], { ignore: ['*.yaml'] }).modules.length, 1);
  assert.deepEqual(loadedData([join(root, 'testdata')], { ignore: ['testdata'] }), { t: 1 });
});

test('a path prefix (x.y:path) mounts the documents under data.x.y', () => {
  const root = tree({ 'f.json': '[1]' });
  assert.deepEqual(loadedData([`x.y:${join(root, 'f.json')}`]), { x: { y: [1] } });
});

test('hidden files and directories are loaded, as OPA loads them', () => {
  const root = tree({ '.meta/info.json': '{"v": 1}' });
  assert.deepEqual(loadedData([root]), { '.meta': { v: 1 } });
});

// ---- 3. Parser positions ------------------------------------------------------------------------

test('an import after a rule is accepted and resolves in the whole module', () => {
  const text = 'package p\n\nx := q.v\n\nimport data.lib as q\n';
  assert.equal(
    evalRef(
      [
        { name: 'p.rego', text },
        { name: 'lib.rego', text: 'package lib\n\nv := 7\n' },
      ],
      'data.p.x',
    ),
    '7',
  );
});

test('`|` after the first element of an array, set or object literal is set union', () => {
  const head = 'package p\n\ns := {1}\nt := {2}\n';
  assert.equal(evalRef(head + 'r := [0, s | t]\n', 'data.p.r'), '[0,[1,2]]');
  assert.equal(evalRef(head + 'r := {"a": 0, "b": s | t}\n', 'data.p.r'), '{"a":0,"b":[1,2]}');
  assert.equal(evalRef(head + 'r := {0, s | t}\n', 'data.p.r'), '[0,[1,2]]');
  // The first element still opens a comprehension, as in OPA.
  assert.equal(evalRef(head + 'r := [x | some x in s]\n', 'data.p.r'), '[1]');
});

test('`some [a, b] in xs` declares an array pattern (trivy-checks writes it so)', () => {
  const text = 'package p\n\nnames contains n if some [n, _] in [["a", 1], ["b", 2]]\n';
  assert.equal(evalRef(text, 'data.p.names'), '["a","b"]');
});

// ---- 4. Evaluation ------------------------------------------------------------------------------

test('a `with` value that iterates runs the expression once per value', () => {
  const text =
    'package p\n\nxs := [[1], [2, 3], [4]]\nd := input.asset\n\nr := [y | v := d with input.asset as xs[_]; y := v[_]]\n';
  assert.equal(evalRef(text, 'data.p.r'), '[1,2,3,4]');
});

test('a head with empty parentheses, r() = {...}, is a plain rule', () => {
  const text = 'package p\n\nr() = {"a": 1}\n\nx := r\n\ny := r()\n';
  assert.equal(evalRef(text, 'data.p.x'), '{"a":1}');
  // Gatekeeper's library calls such rules as r(): the call is the rule's value.
  assert.equal(evalRef(text, 'data.p.y'), '{"a":1}');
});

test('under `not`, an undefined argument or key makes the body fail, as OPA binds it first', () => {
  const text = `package p

f(a, b) if a == b
obj := {"k": true}

call_missing if not f(1, input.missing)
key_missing if not obj[input.missing]
field_missing if {
  c := {"name": "x"}
  not startswith(c.image, "registry/")
}
call_present if not f(1, input.two)
key_present if not obj[input.other]
plain_not if not input.missing
eq_missing if not input.missing == false
`;
  const input = '{"two": 2, "other": "z"}';
  assert.equal(evalRef(text, 'data.p.call_missing', input), 'undefined');
  assert.equal(evalRef(text, 'data.p.key_missing', input), 'undefined');
  assert.equal(evalRef(text, 'data.p.field_missing', input), 'undefined');
  // Defined operands: the negation decides as before.
  assert.equal(evalRef(text, 'data.p.call_present', input), 'true');
  assert.equal(evalRef(text, 'data.p.key_present', input), 'true');
  // The negated ref itself is not bound first: `not input.missing` holds.
  assert.equal(evalRef(text, 'data.p.plain_not', input), 'true');
  // Nor are the sides of ==, which OPA rewrites to a unification (=) in modules first.
  assert.equal(evalRef(text, 'data.p.eq_missing', input), 'true');
});

test("without opaNegation (the policy engine's default for now), `not` over an undefined operand holds", () => {
  const text = 'package p\n\nf(a) if a == 1\n\ncall_missing if not f(input.missing)\n';
  assert.equal(evalRef(text, 'data.p.call_missing', '{}', false), 'true');
  assert.equal(evalRef(text, 'data.p.call_missing', '{}', true), 'undefined');
});

// ---- 5. dockgate test as opa test ---------------------------------------------------------------

function testRun(text: string, opts: TestRunOptions = {}): TestResult[] {
  return runTests(compile([{ name: 'p_test.rego', text }], { renameDuplicateTests: true, opaNegation: true }), opts);
}

function outcomes(rs: TestResult[]): string[] {
  return rs.map((r) => `${r.package}.${r.name}=${r.skip ? 'SKIP' : r.error ? 'ERROR' : r.fail ? 'FAIL' : 'PASS'}`);
}

test('a builtin error in a test is undefined (the test fails), not an ERROR: opa test is not strict', () => {
  const rs = testRun(
    'package t\n\ntest_bad_json if json.unmarshal("{") == 1\ntest_recovers if not json.unmarshal("{")\n',
  );
  assert.deepEqual(outcomes(rs), ['data.t.test_bad_json=FAIL', 'data.t.test_recovers=PASS']);
});

test('repeated test names run one by one as test_x, test_x#01, test_x#02', () => {
  const rs = testRun('package t\n\ntest_x if true\ntest_x if false\ntest_x if true\n');
  assert.deepEqual(outcomes(rs), ['data.t.test_x=PASS', 'data.t.test_x#01=FAIL', 'data.t.test_x#02=PASS']);
  assert.match(
    prettyReport(rs, false),
    /p_test\.rego:4:\ndata\.t\.test_x#01: FAIL \(.*\)\n-{80}\nPASS: 2\/3\nFAIL: 1\/3\n$/,
  );
});

test('a test whose value is not true fails; todo_test_ is skipped', () => {
  const rs = testRun('package t\n\ntest_value := 7\ntest_false := false\ntodo_test_later if false\n');
  assert.deepEqual(outcomes(rs), ['data.t.test_value=FAIL', 'data.t.test_false=FAIL', 'data.t.todo_test_later=SKIP']);
  assert.match(prettyReport(rs, false), /data\.t\.todo_test_later: SKIPPED\n[\s\S]*SKIPPED: 1\/3\n$/);
});

test('a partial-object test reports each case, and fails when one case is not true', () => {
  const text = `package t

cases := [{"note": "one", "n": 1}, {"note": "two", "n": 2}]

test_pos[c.note] := c.n > 0 if some c in cases
test_odd[c.note] := c.n % 2 == 1 if some c in cases
test_small[c.note] if {
  some c in cases
  c.n < 2
}
`;
  const rs = testRun(text);
  assert.deepEqual(outcomes(rs), ['data.t.test_pos=PASS', 'data.t.test_odd=FAIL', 'data.t.test_small=FAIL']);
  const report = prettyReport(rs, false);
  assert.match(report, /data\.t\.test_odd: FAIL \(.*\)\n {2}two: FAIL\n/);
  // A case whose body fails is not in the value, and still reported, as opa test does.
  assert.match(report, /data\.t\.test_small: FAIL \(.*\)\n {2}two: FAIL\n/);
  // Leaf cases are what is counted.
  assert.match(report, /PASS: 4\/6\nFAIL: 2\/6\n$/);
});

test('a test with a ground ref head (test_x.y) is a complete document: its object value fails', () => {
  assert.deepEqual(outcomes(testRun('package t\n\ntest_x.y if true\n')), ['data.t.test_x=FAIL']);
});

test('--run selects tests by full name; print output is kept with its test', () => {
  const rs = testRun('package t\n\ntest_a if print("hello a")\ntest_b if false\n', { run: /test_a$/ });
  assert.deepEqual(outcomes(rs), ['data.t.test_a=PASS']);
  assert.equal(rs[0]!.output, 'hello a\n');
  assert.match(prettyReport(rs, true), /data\.t\.test_a: PASS \(.*\)\n\n {2}hello a\n\n/);
});

test('a test past its timeout is an ERROR (eval_cancel_error), and the run goes on', () => {
  const text =
    'package t\n\ntest_slow if count([1 | some x in numbers.range(1, 3000); some y in numbers.range(1, 3000); x != y]) > 0\ntest_fast if true\n';
  const rs = testRun(text, { timeoutMs: 50 });
  assert.deepEqual(outcomes(rs), ['data.t.test_slow=ERROR', 'data.t.test_fast=PASS']);
  assert.equal(rs[0]!.error?.code, 'eval_cancel_error');
});

test("--format json has opa test's fields: package, name, location, duration, fail, skip", () => {
  const rs = testRun('package t\n\ntest_ok if true\ntest_no if false\ntodo_test_x if true\n');
  const js = JSON.parse(jsonReport(rs)) as Record<string, unknown>[];
  assert.deepEqual(
    js.map((r) => [r.package, r.name, r.fail ?? false, r.skip ?? false, typeof r.duration]),
    [
      ['data.t', 'test_ok', false, false, 'number'],
      ['data.t', 'test_no', true, false, 'number'],
      ['data.t', 'todo_test_x', false, true, 'number'],
    ],
  );
  assert.deepEqual(js[0]!.location, { file: 'p_test.rego', row: 3, col: 1 });
});

test('--bench times each passing test: one line with runs and ns/op, as opa test --bench prints', () => {
  const rs = testRun('package t\n\ntest_fast if 1 + 1 == 2\ntest_fails if false\n', { benchMs: 50 });
  assert.ok(
    rs[0]!.bench && rs[0]!.bench.n > 1 && rs[0]!.bench.ns >= 50_000_000n,
    JSON.stringify(String(rs[0]!.bench?.n)),
  );
  assert.equal(rs[1]!.bench, undefined);
  const report = prettyReport(rs, false);
  assert.match(report, /^data\.t\.test_fast\t +\d+\t +\d+(\.\d+)? ns\/op\n/);
  assert.match(report, /data\.t\.test_fails: FAIL/);
  assert.deepEqual(
    Object.keys((JSON.parse(jsonReport(rs)) as { benchmark_result?: object }[])[0]!.benchmark_result ?? {}),
    ['N', 'T'],
  );
});

const dockgate = join(repoRoot(), 'bin', 'dockgate');

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [dockgate, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('exit codes as opa test: 0 pass, 2 failure or skip (0 with -z), 1 policies that do not load', () => {
  const root = tree({
    'ok/p_test.rego': 'package ok\n\ntest_a if true\n',
    'fail/p_test.rego': 'package bad\n\ntest_a if false\n',
    'skip/p_test.rego': 'package sk\n\ntest_a if true\ntodo_test_b if false\n',
    'broken/p.rego': 'package x\n\nallow if {\n',
  });
  assert.equal(cli('test', join(root, 'ok')).code, 0);
  assert.equal(cli('test', join(root, 'fail')).code, 2);
  assert.equal(cli('test', join(root, 'skip')).code, 2);
  assert.equal(cli('test', '-z', join(root, 'skip')).code, 0);
  // No test at all: 0, unless --fail-on-empty.
  assert.equal(cli('test', join(root, 'broken', '..', 'ok', 'p_test.rego'), '--run', 'nothing').code, 0);
  assert.equal(cli('test', '--fail-on-empty', '--run', 'nothing', join(root, 'ok')).code, 1);
  const b = cli('test', join(root, 'broken'));
  assert.equal(b.code, 1);
  assert.match(b.err, /p\.rego:\d+:\d+: rego_parse_error/);
  const j = cli('test', '--format', 'json', '--run', 'data\\.ok\\.', join(root, 'ok'), join(root, 'fail'));
  assert.equal(j.code, 0);
  assert.deepEqual(
    (JSON.parse(j.out) as { name: string }[]).map((r) => r.name),
    ['test_a'],
  );
});

test('-b reads a bundle: only data.json files are data, .manifest roots are enforced', () => {
  const root = tree({
    'b/.manifest': '{"roots": ["app"]}',
    'b/app/data.json': '{"limit": 3}',
    'b/app/other.json': '{"ignored": true}',
    'b/app/policy.rego': 'package app\n\nok if data.app.limit == 3\n',
    'b/app/policy_test.rego': 'package app\n\ntest_ok if ok\ntest_ignored if not data.app.ignored\n',
    'c/.manifest': '{"roots": ["app"]}',
    'c/other/p.rego': 'package other\n\nx := 1\n',
  });
  const r = cli('test', '-b', join(root, 'b'));
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /PASS: 2\/2/);
  const c = cli('test', '-b', join(root, 'c'));
  assert.equal(c.code, 1);
  assert.match(c.err, /do not permit 'data\.other'/);
});

// ---- 7. dockgate policy check (opa check) -------------------------------------------------------

function strictFindings(text: string, strict = true): string[] {
  return checkModules(compile([{ name: 's.rego', text }]).modules, strict).map((e) => e.message);
}

test('strict: unused assignment, unused argument, unused and duplicate imports, each at file:line:col', () => {
  const text = `package s

import data.lib.a
import data.lib.b
import data.other.a

p if {
  x := 1
  y := 2
  y > 1
}

f(u, v) := v
`;
  assert.deepEqual(strictFindings(text), [
    's.rego:3:1: rego_compile_error: import data.lib.a unused',
    's.rego:4:1: rego_compile_error: import data.lib.b unused',
    's.rego:5:1: rego_compile_error: import must not shadow import data.lib.a',
    's.rego:5:1: rego_compile_error: import data.other.a unused',
    's.rego:8:3: rego_compile_error: assigned var x unused',
    's.rego:13:3: rego_compile_error: unused argument u. (hint: use _ (wildcard variable) instead)',
  ]);
  // None of these is an error without --strict.
  assert.deepEqual(strictFindings(text, false), []);
});

test('strict: deprecated builtins and input/data as names; an argument used in any else branch is used', () => {
  const text = `package s

p if any([true])
data := 1
q if {
  input := 2
  input > 1
}

g(a, b) := 1 if a == 1
else := b
`;
  assert.deepEqual(strictFindings(text), [
    's.rego:3:6: rego_type_error: deprecated built-in function calls in expression: any',
    's.rego:4:1: rego_compile_error: rules must not shadow data (use a different rule name)',
    's.rego:6:3: rego_compile_error: variables must not shadow input (use a different variable name)',
  ]);
});

test('policy check: a var declared with some and never used is an error in every mode; exit 1', () => {
  assert.deepEqual(strictFindings('package s\n\np if {\n  some i\n  true\n}\n', false), [
    's.rego:4:8: rego_compile_error: declared var i unused',
  ]);
  const root = tree({
    'a.rego': 'package a\n\nimport data.b\n\np := 1\n',
    'ok.rego': 'package ok\n\np := 1\n',
    'data.json': '[not json',
  });
  // opa check reads .rego files only: the broken data.json is not loaded.
  assert.equal(cli('policy', 'check', join(root, 'ok.rego'), join(root, 'data.json')).code, 0);
  const r = cli('policy', 'check', '--strict', root);
  assert.equal(r.code, 1);
  assert.match(r.err, /^1 error occurred:\n.*a\.rego:3:1: rego_compile_error: import data\.b unused\n$/);
  assert.equal(cli('policy', 'check', root).code, 0);
});

// ---- Else chains and undefined head values --------------------------------------------------

test('a head value that is undefined fails its body, so the else chain is tried (rules and functions)', () => {
  const text = `package t
import rego.v1
d := {"a": {"x": 1}}
f(k) := d.a[k]
else := 7
g(k) := v if v := d.a[k]
else := 8
r := d.a.y
else := 9
fx := f("x")
fy := f("y")
gy := g("y")
`;
  assert.equal(evalRef(text, 'data.t.fx'), '1');
  assert.equal(evalRef(text, 'data.t.fy'), '7');
  assert.equal(evalRef(text, 'data.t.gy'), '8');
  assert.equal(evalRef(text, 'data.t.r'), '9');
});
