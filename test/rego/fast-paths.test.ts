// The evaluator's shortcuts for decision policies (guard values read once per input, constant
// refs into data-only rules kept per data document, empty partial sets without enumeration):
// each must give OPA's answer wherever `with`, a second data document or a second route to the
// same rule could make a kept value stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, fromJS, parseJSON, toJSON, type Value } from '../../src/rego/index.js';

const pol = (text: string, data?: unknown) =>
  compile([{ name: 'p.rego', text }], data === undefined ? {} : { data: fromJS(data) });
const show = (v: Value | undefined) => (v === undefined ? 'undefined' : toJSON(v));
const in_ = (json: string) => parseJSON(json);

// Four rules on one input path make an indexed node; one or two make guarded rules.
const GUARDED = `package x
import rego.v1
deny contains "create" if input.request.action == "create"
deny contains "exec" if input.request.action == "exec"
deny contains "build" if input.request.action == "build"
deny contains "pull" if input.request.action == "pull"
deny contains "n1" if input.n == 1
small contains "a" if input.request.action == "create"
small contains "b" if { input.request.action == "create"; input.b }
`;

test('guard values follow `with input` and the next query input', () => {
  const p = pol(
    GUARDED +
      `
via_with := v if v := deny with input as {"request": {"action": "exec"}}
both := [deny, via_with, deny]
small_with := v if v := small with input.b as true
`,
  );
  assert.equal(show(p.evalRef('data.x.deny', in_('{"request":{"action":"create"}}'))), '["create"]');
  assert.equal(
    show(p.evalRef('data.x.both', in_('{"request":{"action":"create"}}'))),
    '[["create"],["exec"],["create"]]',
  );
  assert.equal(show(p.evalRef('data.x.deny', in_('{"request":{"action":"pull"}}'))), '["pull"]');
  assert.equal(show(p.evalRef('data.x.deny', in_('{"request":{"action":"other"}}'))), '[]');
  assert.equal(show(p.evalRef('data.x.deny', in_('{"request":"create"}'))), '[]');
  assert.equal(show(p.evalRef('data.x.deny')), '[]');
  assert.equal(show(p.evalRef('data.x.small_with', in_('{"request":{"action":"create"}}'))), '["a","b"]');
  assert.equal(show(p.evalRef('data.x.small', in_('{"request":{"action":"create"}}'))), '["a"]');
  const res = p.eval('a := data.x.deny with input.request.action as "build"\nb := data.x.deny', {
    input: in_('{"request":{"action":"exec"}}'),
  });
  assert.equal(show(res[0]!.bindings.get('a')), '["build"]');
  assert.equal(show(res[0]!.bindings.get('b')), '["exec"]');
});

test('guards compare numbers by value (1 == 1.0) and never match composite inputs', () => {
  const p = pol(GUARDED);
  assert.equal(show(p.evalRef('data.x.deny', in_('{"n":1.0}'))), '["n1"]');
  assert.equal(show(p.evalRef('data.x.deny', in_('{"n":[1]}'))), '[]');
  assert.equal(show(p.evalRef('data.x.deny', in_('{"n":"1"}'))), '[]');
});

test('a mocked equality turns the index off: every rule body runs', () => {
  const p = pol(GUARDED + '\nalways_eq(_, _) := true\nmocked := v if v := deny with equal as always_eq\n');
  assert.equal(
    show(p.evalRef('data.x.mocked', in_('{"request":{"action":"x"},"n":5}'))),
    '["build","create","exec","n1","pull"]',
  );
});

const CONFIG = `package x
import rego.v1
cfg := data.cfg
on if cfg.rules.a.enabled
limit := cfg.rules.a.limit
over if input.n > cfg.rules.a.limit
double(n) := n * 2
limit2 := double(cfg.rules.a.limit)
`;

test('constant refs into data-only rules follow `with data`, mocks and a new data document', () => {
  const p = pol(CONFIG, { cfg: { rules: { a: { enabled: true, limit: 3 } } } });
  assert.equal(show(p.evalRef('data.x.on')), 'true');
  assert.equal(show(p.evalRef('data.x.over', in_('{"n":4}'))), 'true');
  const res = p.eval(
    'a := data.x.limit with data.cfg.rules.a.limit as 10\nb := data.x.limit\nc := [x | x := data.x.on with data.cfg as {}]\nd := data.x.limit2',
    { input: in_('{"n":4}') },
  );
  assert.equal(show(res[0]!.bindings.get('a')), '10');
  assert.equal(show(res[0]!.bindings.get('b')), '3');
  assert.equal(show(res[0]!.bindings.get('c')), '[]');
  assert.equal(show(res[0]!.bindings.get('d')), '6');
  assert.equal(
    show(p.eval('x := data.x.over with data.cfg.rules.a.limit as 10', { input: in_('{"n":4}') })[0]?.bindings.get('x')),
    'undefined',
  );
  assert.equal(show(p.evalRef('data.x.on')), 'true');
  const other = fromJS({ cfg: { rules: { a: { enabled: false, limit: 5 } } } });
  assert.equal(show(p.evalRef('data.x.on', undefined, { data: other })), 'undefined');
  assert.equal(show(p.evalRef('data.x.over', in_('{"n":4}'), { data: other })), 'undefined');
  assert.equal(show(p.evalRef('data.x.limit', undefined, { data: other })), '5');
  assert.equal(show(p.evalRef('data.x.over', in_('{"n":4}'))), 'true');
  assert.equal(show(p.evalRef('data.x.limit')), '3');
  const q = pol(CONFIG + '\ntriple(n) := n * 3\nlimit3 := v if v := limit2 with double as triple\n', {
    cfg: { rules: { a: { limit: 2 } } },
  });
  assert.equal(show(q.evalRef('data.x.limit2')), '4');
  assert.equal(show(q.evalRef('data.x.limit3')), '6');
  assert.equal(show(q.evalRef('data.x.limit2')), '4');
});

test('a base document at a rule path shadows the rule on every query', () => {
  const p = pol('package x\nimport rego.v1\ncfg := {"on": true}\nok if cfg.on\n', { x: { cfg: { on: false } } });
  assert.equal(show(p.evalRef('data.x.ok')), 'undefined');
  assert.equal(show(p.evalRef('data.x.ok')), 'undefined');
  assert.equal(show(p.evalRef('data.x.ok', undefined, { data: fromJS({}) })), 'true');
  assert.equal(show(p.evalRef('data.x.ok')), 'undefined');
});

test('refs with computed keys past a rule: undefined keys, enumeration, `with data`', () => {
  const p = pol(`package x
import rego.v1
modes := {"PidMode": "--pid", "IpcMode": "--ipc"}
hc := input.hc
hosts contains flag if {
  some field, flag in modes
  lower(hc[field]) == "host"
}
flag_of := modes[input.field]
all_flags := [f | f := modes[_]]
`);
  assert.equal(show(p.evalRef('data.x.hosts', in_('{"hc":{"PidMode":"HOST","IpcMode":"private"}}'))), '["--pid"]');
  assert.equal(show(p.evalRef('data.x.hosts', in_('{"hc":{}}'))), '[]');
  assert.equal(show(p.evalRef('data.x.flag_of', in_('{"field":"IpcMode"}'))), '"--ipc"');
  assert.equal(show(p.evalRef('data.x.flag_of', in_('{"field":"Nope"}'))), 'undefined');
  assert.equal(show(p.evalRef('data.x.flag_of', in_('{}'))), 'undefined');
  assert.equal(show(p.evalRef('data.x.all_flags')), '["--ipc","--pid"]');
  const res = p.eval('a := data.x.flag_of with data.x.modes as {"IpcMode": "other"}\nb := data.x.flag_of', {
    input: in_('{"field":"IpcMode"}'),
  });
  assert.equal(show(res[0]!.bindings.get('a')), '"other"');
  assert.equal(show(res[0]!.bindings.get('b')), '"--ipc"');
});

test('complete rules computed inside another complete rule keep their own values and conflicts', () => {
  const p = pol(`package x
import rego.v1
inner := 1 if input.a
inner := 2 if input.b
outer := inner + 10 if input.a
outer := inner + 10 if input.c
`);
  assert.equal(show(p.evalRef('data.x.outer', in_('{"a":true}'))), '11');
  assert.equal(show(p.evalRef('data.x.outer', in_('{"a":true,"c":true}'))), '11');
  assert.throws(
    () => p.evalRef('data.x.outer', in_('{"a":true,"b":true}')),
    /complete rules must not produce multiple outputs/,
  );
  assert.equal(show(p.evalRef('data.x.outer', in_('{"c":true}'))), 'undefined');
});

test('rule frames made at the first binding: nested rules, enumeration after the prefix, else', () => {
  const p = pol(`package x
import rego.v1
inner := y if {
  y := input.v
  y > 0
}
pair := [a, b] if [a, b] := input.pair
outer contains [x, z, q] if {
  x := inner
  z := input.w
  [a, _] := pair
  some q in input.list
  q >= x
  q != a
}
fallback := v if {
  input.none
  v := 1
} else := v if {
  v := inner * 2
}
`);
  const input = in_('{"v":2,"w":"w","pair":[3,4],"list":[1,2,3,5]}');
  assert.equal(show(p.evalRef('data.x.outer', input)), '[[2,"w",2],[2,"w",5]]');
  assert.equal(show(p.evalRef('data.x.fallback', input)), '4');
  assert.equal(show(p.evalRef('data.x.outer', in_('{"v":0,"w":"w","pair":[3,4],"list":[1]}'))), '[]');
  assert.equal(show(p.evalRef('data.x.outer', in_('{"v":1,"w":"w","pair":[9,9],"list":[1]}'))), '[[1,"w",1]]');
  assert.equal(show(p.evalRef('data.x.fallback', in_('{"none":true}'))), '1');
});

test('function calls inside function bodies keep their own results and conflicts', () => {
  const p = pol(`package x
import rego.v1
g(x) := 1 if x > 0
g(x) := 2 if x > 10
g(x) := 1 if x == 5
f(x) := g(x) + 100 if x < 50
f(x) := g(x) + 100 if x < 60
h(x) := y if y := f(x) * 2
r1 := h(5)
r2 := h(20)
r3 := f(-1)
`);
  assert.equal(show(p.evalRef('data.x.r1')), '202');
  assert.equal(show(p.evalRef('data.x.r3')), 'undefined');
  assert.throws(() => p.evalRef('data.x.r2'), /functions must not produce multiple outputs for same inputs/);
});

test('some k, v in coll with k bound runs as a lookup in the body loop (objects, arrays, sets, misses)', () => {
  const p = pol(`package x
import rego.v1
fields := ["PidMode", "IpcMode", "Missing"]
hosts contains field if {
  some field in fields
  lower(input.hc[field]) == "host"
}
by_index contains [i, v] if {
  some i in [0, 2, 5]
  v := input.arr[i]
}
in_set contains k if {
  some k in ["a", "z"]
  some k, v in input.set
}
`);
  const i = parseJSON('{"hc":{"PidMode":"HOST","IpcMode":"private"},"arr":["a","b","c"]}');
  assert.equal(show(p.evalRef('data.x.hosts', i)), '["PidMode"]');
  assert.equal(show(p.evalRef('data.x.by_index', i)), '[[0,"a"],[2,"c"]]');
  assert.equal(show(p.evalRef('data.x.hosts', in_('{"hc":"not an object"}'))), '[]');
  const res = p.eval('x := data.x.in_set with input.set as {"a", "b"}');
  assert.equal(show(res[0]!.bindings.get('x')), '["a"]');
});

test('step budget and deadline together: whichever is due first stops the evaluation', () => {
  const p = compile([
    { name: 'r.rego', text: 'package r\nn := count([x | some x in numbers.range(1, 100000); x % 7 == 0])\n' },
  ]);
  assert.throws(
    () => p.evalRef('data.r.n', undefined, { maxSteps: 5000, deadline: Date.now() - 1 }),
    /eval_cancel_error/,
  );
  assert.throws(
    () => p.evalRef('data.r.n', undefined, { maxSteps: 1500, deadline: Date.now() + 60_000 }),
    /eval_budget_error: evaluation exceeded the step budget of 1500/,
  );
  assert.throws(
    () => p.evalRef('data.r.n', undefined, { maxSteps: 900, timeoutMs: 60_000 }),
    /eval_budget_error: evaluation exceeded the step budget of 900/,
  );
  assert.equal(show(p.evalRef('data.r.n', undefined, { maxSteps: 10_000_000, timeoutMs: 60_000 })), '14285');
});
