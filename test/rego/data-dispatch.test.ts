// `data.P[x].r` with x computed (the policy pack's `data.dockgate.rules[name].deny`): the
// compiled dispatch from x to the rule node it names must give the rule-tree walk's answer for
// every key: a package, no child at all, base data beside the packages, a `with` override of the
// child, a child whose rule errors, and x unbound (every child enumerated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, fromJS, parseJSON, RegoError, toJSON, type Value } from '../../src/rego/index.js';

const show = (v: Value | undefined) => (v === undefined ? 'undefined' : toJSON(v));

const RULES = [
  {
    name: 'a.rego',
    text: `package rules.a
import rego.v1
deny contains "a1" if input.a
deny contains "a2" if input.a
`,
  },
  {
    name: 'b.rego',
    text: `package rules.b
import rego.v1
deny contains "b1" if input.b
`,
  },
  {
    name: 'helper.rego',
    text: `package rules.helper
import rego.v1
other := 1
`,
  },
  {
    name: 'nested.rego',
    text: `package rules.nested.inner
import rego.v1
deny contains "n1" if input.a
`,
  },
  {
    name: 'conflict.rego',
    text: `package rules.conflict
import rego.v1
val := 1 if input.c
val := 2 if input.c
deny contains "c" if input.c
`,
  },
];

const DECIDE = {
  name: 'decide.rego',
  text: `package decide
import rego.v1

names := ["a", "b", "helper", "missing", "extra", "nested"]

by_key contains [n, v] if {
	some n in names
	some v in data.rules[n].deny
}

by_assign[n] := d if {
	some n in names
	d := data.rules[n].deny
}

by_element contains [n, v] if {
	some n in names
	data.rules[n].deny[v]
}

fixed := [data.rules.a.deny, data.rules.b.deny]

any_key contains [n, v] if some v in data.rules[n].deny

one_key(n) := data.rules[n].deny

keys_in_order := [n | some _ in data.rules[n].deny]

any_inner contains [n, v] if some v in data.rules[n].inner.deny

mocked_any := x if x := any_key with data.rules.a.deny as {"mock"}

mocked := x if x := by_key with data.rules.a.deny as {"mock"}

mocked_here[n] := d if {
	some n in names
	d := data.rules[n].deny with data.rules.a.deny as {"mock"}
}

conflict_val := data.rules[k].val if k := "conflict"
`,
};

const BASE = { rules: { extra: { deny: ['e1'] } } };

const policy = (data: unknown = BASE) => compile([...RULES, DECIDE], { data: fromJS(data) });
const both = parseJSON('{"a": true, "b": true}');

test('a bound key takes the named package rule, as the fixed path does', () => {
  const p = policy();
  assert.equal(show(p.evalRef('data.decide.fixed', both)), '[["a1","a2"],["b1"]]');
  assert.equal(show(p.evalRef('data.decide.by_key', both)), '[["a","a1"],["a","a2"],["b","b1"],["extra","e1"]]');
  assert.equal(show(p.evalRef('data.decide.by_assign', both)), '{"a":["a1","a2"],"b":["b1"],"extra":["e1"]}');
  assert.equal(show(p.evalRef('data.decide.by_element', both)), '[["a","a1"],["a","a2"],["b","b1"],["extra",0]]');
  // An empty partial set is defined (empty), not undefined.
  assert.equal(show(p.evalRef('data.decide.by_assign', parseJSON('{}'))), '{"a":[],"b":[],"extra":["e1"]}');
});

test('a key naming no child, or a child without the rule, is undefined', () => {
  const p = policy();
  const r = p.eval('x := data.decide.one_key("missing")', { input: both });
  assert.equal(r.length, 0);
  assert.equal(p.eval('x := data.decide.one_key("helper")', { input: both }).length, 0);
  // nested is a package with no `deny`; its subpackage inner has one.
  assert.equal(p.eval('x := data.decide.one_key("nested")', { input: both }).length, 0);
  assert.equal(
    show(p.eval('x := data.rules[k].inner.deny with input as {"a": true}', { input: both })[0]?.bindings.get('x')),
    '["n1"]',
  );
});

test('a key into base data beside the packages reads the base document', () => {
  const p = policy();
  assert.equal(show(p.eval('x := data.decide.one_key("extra")', { input: both })[0]?.bindings.get('x')), '["e1"]');
  // Without the base document the same key names nothing.
  const q = policy({});
  assert.equal(q.eval('x := data.decide.one_key("extra")', { input: both }).length, 0);
  assert.equal(show(q.evalRef('data.decide.by_key', both)), '[["a","a1"],["a","a2"],["b","b1"]]');
});

test('a base document at the rule path shadows the rule for a computed key too', () => {
  const p = policy({ rules: { b: { deny: ['base-b'] } } });
  assert.equal(show(p.evalRef('data.decide.fixed', both)), '[["a1","a2"],["base-b"]]');
  assert.equal(show(p.evalRef('data.decide.by_key', both)), '[["a","a1"],["a","a2"],["b","base-b"]]');
});

test('`with` on the child rule takes effect through the computed key', () => {
  const p = policy();
  assert.equal(show(p.evalRef('data.decide.mocked', both)), '[["a","mock"],["b","b1"],["extra","e1"]]');
  assert.equal(show(p.evalRef('data.decide.mocked_here', both)), '{"a":["mock"],"b":["b1"],"extra":["e1"]}');
  // And the next query, without `with`, sees the rule again.
  assert.equal(show(p.evalRef('data.decide.by_key', both)), '[["a","a1"],["a","a2"],["b","b1"],["extra","e1"]]');
});

test('a child whose rule errors still errors through the computed key', () => {
  const p = policy();
  assert.throws(
    () => p.evalRef('data.decide.conflict_val', parseJSON('{"c": true}')),
    (e: unknown) => e instanceof RegoError && e.code === 'eval_conflict_error',
  );
  assert.equal(show(p.evalRef('data.decide.conflict_val', parseJSON('{}'))), 'undefined');
});

test('an unbound key enumerates every child, with base data', () => {
  const p = policy();
  assert.equal(show(p.evalRef('data.decide.any_key', both)), '[["a","a1"],["a","a2"],["b","b1"],["extra","e1"]]');
  assert.equal(show(p.evalRef('data.decide.any_key', parseJSON('{"b": true}'))), '[["b","b1"],["extra","e1"]]');
});

test('an unbound key without base data asks only that rule of each child, in key order', () => {
  const p = policy({});
  assert.equal(show(p.evalRef('data.decide.any_key', both)), '[["a","a1"],["a","a2"],["b","b1"]]');
  assert.equal(show(p.evalRef('data.decide.keys_in_order', both)), '["a","a","b"]');
  assert.equal(show(p.evalRef('data.decide.any_inner', both)), '[["nested","n1"]]');
  assert.equal(show(p.evalRef('data.decide.any_key', parseJSON('{}'))), '[]');
  // OPA walks data.rules[n].deny child by child: conflict's `val` is not part of the answer,
  // so its conflict is not raised; its `deny` is.
  assert.equal(
    show(p.evalRef('data.decide.any_key', parseJSON('{"b": true, "c": true}'))),
    '[["b","b1"],["conflict","c"]]',
  );
  assert.equal(show(p.evalRef('data.decide.mocked_any', both)), '[["a","mock"],["b","b1"]]');
});

test('an unbound key under `with` sees the override', () => {
  const p = policy();
  assert.equal(show(p.evalRef('data.decide.mocked_any', both)), '[["a","mock"],["b","b1"],["extra","e1"]]');
});
