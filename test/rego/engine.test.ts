// Unit tests of the Rego engine's own contract: parse/compile errors with file:line:col,
// OPA 0.x syntax and the 0.x fallback, evaluation limits, and the language features the
// conformance suite cannot cover (it has no parse-error or 0.x cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, parseJSON, RegoError, RegoErrors, toJSON, type Value } from '../../src/rego/index.js';

function throwsRego(fn: () => unknown, re: RegExp, code?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RegoError, `expected RegoError, got ${String(e)}`);
    assert.match(e.message, re);
    if (code) assert.equal(e.code, code);
    return true;
  });
}

function evalRef(text: string, ref: string, input?: string, v0 = false): string {
  const p = compile([{ name: 'p.rego', text }], { v0 });
  const v = p.evalRef(ref, input === undefined ? undefined : parseJSON(input));
  return v === undefined ? 'undefined' : toJSON(v);
}

test('parse errors name file:line:col', () => {
  throwsRego(
    () => compile([{ name: 'policy/authz.rego', text: 'package x\n\nallow if {\n  input.a ==\n}\n' }]),
    /^policy\/authz\.rego:5:1: rego_parse_error: /,
    'rego_parse_error',
  );
  throwsRego(
    () => compile([{ name: 'a.rego', text: 'package x\np := "unterminated\n' }]),
    /^a\.rego:2:6: rego_parse_error: /,
  );
  throwsRego(
    () => compile([{ name: 'b.rego', text: 'allow := true\n' }]),
    /^b\.rego:1:1: rego_parse_error: package expected/,
  );
});

test('v1 requires `if`; the error points at the body', () => {
  throwsRego(
    () => compile([{ name: 'c.rego', text: 'package x\nimport rego.v1\nallow { true }\n' }]),
    /^c\.rego:3:7: rego_parse_error: `if` keyword is required/,
  );
});

test('compile errors: unsafe vars, unknown functions, conflicting rule kinds', () => {
  throwsRego(
    () => compile([{ name: 'u.rego', text: 'package x\np if {\n  x > 1\n}\n' }]),
    /^u\.rego:3:3: rego_unsafe_var_error: var x is unsafe/,
  );
  throwsRego(
    () => compile([{ name: 'f.rego', text: 'package x\np if nosuch(1)\n' }]),
    /^f\.rego:2:6: rego_type_error: undefined function nosuch/,
  );
  throwsRego(
    () => compile([{ name: 'k.rego', text: 'package x\np := 1\np contains 2\n' }]),
    /^k\.rego:\d+:\d+: rego_compile_error: conflicting rules data\.x\.p/,
  );
  throwsRego(
    () => compile([{ name: 'd.rego', text: 'package x\np if {\n  x := 1\n  x := 2\n}\n' }]),
    /^d\.rego:4:3: rego_compile_error: var x assigned above/,
  );
  throwsRego(
    () => compile([{ name: 'r.rego', text: 'package x\np if q\nq if r\nr if p\n' }]),
    /^r\.rego:2:1: rego_recursion_error: rule data\.x\.p is recursive: data\.x\.p -> data\.x\.q -> data\.x\.r -> data\.x\.p/,
    'rego_recursion_error',
  );
});

test('OPA 0.x syntax with v0: allow { }, deny[msg] { }, default allow = false', () => {
  const policy = `package docker.authz

default allow = false

allow {
  not deny_any
}

deny_any {
  count(deny) > 0
}

deny[msg] {
  input.Body.HostConfig.Privileged
  msg := "privileged"
}

deny[msg] {
  some i
  input.Body.HostConfig.CapAdd[i] == "SYS_ADMIN"
  msg := sprintf("cap %v", [i])
}
`;
  assert.equal(evalRef(policy, 'data.docker.authz.allow', '{"Body":{"HostConfig":{}}}', true), 'true');
  assert.equal(
    evalRef(policy, 'data.docker.authz.allow', '{"Body":{"HostConfig":{"Privileged":true}}}', true),
    'false',
  );
  assert.equal(
    evalRef(policy, 'data.docker.authz.deny', '{"Body":{"HostConfig":{"CapAdd":["A","SYS_ADMIN"]}}}', true),
    '["cap 1"]',
  );
});

test('OPA 0.x with import future.keywords (in, if, contains, every)', () => {
  const policy = `package t
import future.keywords

deny contains msg if {
  some c in input.caps
  c in {"SYS_ADMIN", "NET_ADMIN"}
  msg := c
}

ok if every c in input.caps { startswith(c, "NET_") }

f(x) = y { y := x + 1 }
v = f(1)
`;
  assert.equal(evalRef(policy, 'data.t.deny', '{"caps":["NET_ADMIN","CHOWN"]}', true), '["NET_ADMIN"]');
  assert.equal(evalRef(policy, 'data.t.ok', '{"caps":["NET_ADMIN","NET_RAW"]}', true), 'true');
  assert.equal(evalRef(policy, 'data.t.v', undefined, true), '2');
});

test('a module that fails as 1.x but parses as 0.x loads as 0.x with a warning naming the file', () => {
  const p = compile([
    { name: 'legacy/authz.rego', text: 'package a\ndefault allow = false\nallow { input.user == "root" }\n' },
  ]);
  assert.equal(p.warnings.length, 1);
  assert.match(p.warnings[0]!, /^legacy\/authz\.rego: parsed as OPA 0\.x syntax/);
  assert.equal(toJSON(p.evalRef('data.a.allow', parseJSON('{"user":"root"}'))!), 'true');
  // A module that is valid 1.x gets no warning; one that fails both ways reports the 1.x error.
  assert.equal(compile([{ name: 'n.rego', text: 'package a\nallow if true\n' }]).warnings.length, 0);
  throwsRego(
    () => compile([{ name: 'bad.rego', text: 'package a\nallow if {\n' }]),
    /^bad\.rego:3:1: rego_parse_error/,
  );
});

test('language: ref heads, else, functions, comprehensions, with, every', () => {
  const policy = `package t
p[q].r := i if some i, q in ["a", "b"]
f(x) := "big" if x > 10
else := "small"
s := {x | some x in [3, 1, 3]}
o := {k: v | some k, v in {"a": 1, "b": 2}; v > 1}
w := x if x := input.n with input.n as 7
all_pos if every x in [1, 2] { x > 0 }
g := [f(1), f(11)]
`;
  const p = compile([{ name: 't.rego', text: policy }]);
  assert.equal(
    toJSON(p.evalRef('data.t')!),
    '{"all_pos":true,"g":["small","big"],"o":{"b":2},"p":{"a":{"r":0},"b":{"r":1}},"s":[1,3],"w":7}',
  );
  const r = p.eval('data.t.p[k].r = v');
  assert.deepEqual(
    r.map((x) => `${toJSON(x.bindings.get('k')!)}=${toJSON(x.bindings.get('v')!)}`),
    ['"a"=0', '"b"=1'],
  );
});

test('conflicts are errors with OPA messages', () => {
  const p = compile([{ name: 'c.rego', text: 'package c\np := 1 if input.a\np := 2 if input.b\n' }]);
  assert.equal(toJSON(p.evalRef('data.c.p', parseJSON('{"a":true}'))!), '1');
  throwsRego(
    () => p.evalRef('data.c.p', parseJSON('{"a":true,"b":true}')),
    /^c\.rego:\d+: eval_conflict_error: complete rules must not produce multiple outputs/,
  );
});

test('strict builtin errors raise; otherwise the expression is undefined', () => {
  const p = compile([{ name: 's.rego', text: 'package s\np := x if x := 1 / input.d\n' }]);
  assert.equal(p.evalRef('data.s.p', parseJSON('{"d":0}')), undefined);
  throwsRego(
    () => p.evalRef('data.s.p', parseJSON('{"d":0}'), { strict: true }),
    /eval_builtin_error: div: divide by zero/,
  );
});

test('step budget and deadline stop runaway evaluation with a clear error', () => {
  const p = compile([
    { name: 'r.rego', text: 'package r\nn := count([x | some x in numbers.range(1, 200000); x % 7 == 0])\n' },
  ]);
  throwsRego(
    () => p.evalRef('data.r.n', undefined, { maxSteps: 1000 }),
    /eval_budget_error: evaluation exceeded the step budget of 1000/,
    'eval_budget_error',
  );
  throwsRego(
    () => p.evalRef('data.r.n', undefined, { deadline: Date.now() - 1 }),
    /eval_cancel_error: evaluation deadline exceeded/,
    'eval_cancel_error',
  );
  assert.equal(toJSON(p.evalRef('data.r.n')!), '28571');
});

test('big integers stay exact through JSON input and arithmetic', () => {
  const p = compile([{ name: 'b.rego', text: 'package b\nx := input.n + 1\n' }]);
  const v: Value | undefined = p.evalRef('data.b.x', parseJSON('{"n": 9007199254740993}'));
  assert.equal(toJSON(v!), '9007199254740994');
});

test('evalRefs evaluates several decision documents in one pass', () => {
  const p = compile([
    {
      name: 'd.rego',
      text: 'package d\ndefault allow := false\nallow if count(deny) == 0\ndeny contains "root" if input.user == "root"\n',
    },
  ]);
  const [allow, deny, none] = p.evalRefs(['data.d.allow', 'data.d.deny', 'data.d.none'], parseJSON('{"user":"root"}'));
  assert.equal(toJSON(allow!), 'false');
  assert.equal(toJSON(deny!), '["root"]');
  assert.equal(none, undefined);
});

test('iteration through refs inside expressions keeps OPA semantics', () => {
  const p = compile([
    {
      name: 'it.rego',
      text: `package it
same contains i if input.x[i] == input.y[i]
names contains n if n := input.m[_].name
nested contains v if { input.a[_].b[_] = v; v > 1 }
none_a if not input.x[_] == "a"
some_z if input.x[_] == "z" with input.x as ["z"]
pairs contains [i, j] if { input.x[i] == input.y[j] }
`,
    },
  ]);
  const input = parseJSON(
    '{"x": ["a", "b", "c"], "y": ["q", "b", "a"], "m": [{"name": "n1"}, {"name": "n2"}], "a": [{"b": [1, 2]}, {"b": [3]}]}',
  );
  const get = (r: string): string => {
    const v = p.evalRef(`data.it.${r}`, input);
    return v === undefined ? 'undefined' : toJSON(v);
  };
  assert.equal(get('same'), '[1]');
  assert.equal(get('names'), '["n1","n2"]');
  assert.equal(get('nested'), '[2,3]');
  assert.equal(get('none_a'), 'undefined');
  assert.equal(get('some_z'), 'true');
  assert.equal(get('pairs'), '[[0,2],[1,1]]');
});

test('0.x modules: in, every, if and contains are keywords only once imported', () => {
  // Without the import they are plain names, as in OPA 0.x.
  assert.equal(evalRef('package x\ncontains[x] { x := 1 }\n', 'data.x.contains', undefined, true), '[1]');
  assert.equal(evalRef('package x\nallow { every := 1; every == 1 }\n', 'data.x.allow', undefined, true), 'true');
  assert.equal(evalRef('package x\nin = 3\n', 'data.x.in', undefined, true), '3');
  assert.equal(evalRef('package x\nif = 4\n', 'data.x.if', undefined, true), '4');
  assert.equal(evalRef('package x\nallow { contains("abc", "b") }\n', 'data.x.allow', undefined, true), 'true');
  throwsRego(
    () => compile([{ name: 'p.rego', text: 'package x\nallow { 1 in input.a }\n' }], { v0: true }),
    /p\.rego:2:11: rego_parse_error: unexpected ident token/,
  );
  // Imported one by one, all at once, or with rego.v1.
  assert.equal(
    evalRef('package x\nimport future.keywords.in\nallow { 1 in input.a }\n', 'data.x.allow', '{"a":[1]}', true),
    'true',
  );
  assert.equal(
    evalRef(
      'package x\nimport future.keywords.every\nallow { every x in input.a { x > 0 } }\n',
      'data.x.allow',
      '{"a":[1,2]}',
      true,
    ),
    'true',
  );
  assert.equal(
    evalRef(
      'package x\nimport future.keywords\nd contains 1 if { every x in input.a { x > 0 } }\n',
      'data.x.d',
      '{"a":[1]}',
      true,
    ),
    '[1]',
  );
  assert.equal(
    evalRef(
      'package x\nimport future.keywords.if\nimport future.keywords.contains\nd contains 1 if true\n',
      'data.x.d',
      undefined,
      true,
    ),
    '[1]',
  );
  assert.equal(
    evalRef('package x\nimport rego.v1\nallow if 1 in input.a\n', 'data.x.allow', '{"a":[1]}', true),
    'true',
  );
});

test('compile errors of several rules and syntax errors of several files are reported together', () => {
  assert.throws(
    () => compile([{ name: 'p.rego', text: 'package x\nimport rego.v1\na if { y }\nb if { z == 1 }\n' }]),
    (e: unknown) => {
      assert.ok(e instanceof RegoErrors, String(e));
      assert.equal(e.errors.length, 2);
      assert.match(
        e.message,
        /^p\.rego:3:\d+: rego_unsafe_var_error: var y is unsafe\np\.rego:4:\d+: rego_unsafe_var_error: var z is unsafe$/,
      );
      return true;
    },
  );
  assert.throws(
    () =>
      compile([
        { name: 'a.rego', text: 'package a\nx := \n' },
        { name: 'b.rego', text: 'package b\ny := [\n' },
      ]),
    (e: unknown) => {
      assert.ok(e instanceof RegoErrors, String(e));
      assert.deepEqual(
        e.errors.map((x) => x.file),
        ['a.rego', 'b.rego'],
      );
      return true;
    },
  );
  // At most ten, as OPA.
  let many = 'package x\nimport rego.v1\n';
  for (let i = 0; i < 15; i++) many += `r${i} if { v${i} }\n`;
  assert.throws(
    () => compile([{ name: 'm.rego', text: many }]),
    (e: unknown) => e instanceof RegoErrors && e.errors.length === 10,
  );
});

test('sets and object keys tell apart composite values whose texts could run together', () => {
  const v = evalRef(
    'package x\nimport rego.v1\nn := count({["a,b"], ["a", "b"], ["\\"1:a"], ["1:a"], [1], ["1"], {"a": "b,c"}, {"a": "b", "c": 1}, {"a,b": 1}, {["a", 1]}, {["a"], [1]}})\nk := count({["a,b"]: 1, ["a", "b"]: 2})\n',
    'data.x',
  );
  assert.equal(v, '{"k":2,"n":11}');
});

test('some k, v in coll with k already bound looks the entry up (objects, arrays, missing keys)', () => {
  const p =
    'package x\nimport rego.v1\nmodes := {"PidMode": "--pid", "IpcMode": "--ipc", "Nope": "--nope"}\n' +
    'hits contains f if { some k, f in modes; lower(input.hc[k]) == "host" }\n' +
    'idx contains v if { some i in [0, 2, 5]; some i, v in input.arr }\n';
  assert.equal(evalRef(p, 'data.x.hits', '{"hc":{"PidMode":"host","IpcMode":"private","Other":"host"}}'), '["--pid"]');
  assert.equal(evalRef(p, 'data.x.idx', '{"arr":["a","b","c"]}'), '["a","c"]');
});
