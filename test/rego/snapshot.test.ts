// A compiled policy written as a snapshot and read back is the same graph (shared objects stay
// shared, cycles close, key order and undefined fields kept) and decides the same; what a
// snapshot cannot hold stops the writing instead of being lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/rego/builtins/index.js';
import { lookupBuiltin } from '../../src/rego/builtins/registry.js';
import { compile, parseJSON, Policy, toJSON } from '../../src/rego/index.js';
import { readSnapshot, SnapshotError, writeSnapshot } from '../../src/rego/snapshot.js';
import { BigNum, ObjectValue, SetValue } from '../../src/rego/value.js';

/** Through JSON text, as a snapshot is stored. */
function roundTrip(parts: unknown[]): unknown[] {
  const s = JSON.parse(JSON.stringify(writeSnapshot(parts, { m: 1 })));
  const r = readSnapshot(s);
  return parts.map((_, i) => r.part(i));
}

test('shared objects stay shared, cycles close, and parts share what they shared', () => {
  const shared = { name: 'node', list: [1, 2] };
  const a: Record<string, unknown> = { left: shared, right: shared };
  a.self = a;
  const b = { back: a, again: shared };
  const [ra, rb] = roundTrip([a, b]) as [Record<string, unknown>, Record<string, unknown>];
  assert.equal(ra.left, ra.right);
  assert.equal(ra.self, ra);
  assert.equal(rb.back, ra);
  assert.equal(rb.again, ra.left);
  assert.deepEqual((ra.left as typeof shared).list, [1, 2]);
});

test('key order, undefined fields, odd numbers, Maps and Rego values come back as they were', () => {
  const set = new SetValue();
  set.add('x');
  set.add(ObjectValue.fromRecord({ k: [1, 'v'] }));
  const obj = ObjectValue.fromEntries([
    ['a', 1],
    [2, set],
  ]);
  const x = {
    z: 1,
    a: undefined,
    m: 0,
    neg: -0,
    inf: Number.POSITIVE_INFINITY,
    nan: Number.NaN,
    big: new BigNum(2n ** 80n),
    map: new Map<unknown, unknown>([
      ['k', { v: 1 }],
      [3, null],
    ]),
    value: obj,
    $dollar: { $: 5, $u: 1 },
  };
  const [r] = roundTrip([x]) as [typeof x];
  assert.deepEqual(Object.keys(r), Object.keys(x));
  assert.ok('a' in r && r.a === undefined);
  assert.ok(Object.is(r.neg, -0));
  assert.equal(r.inf, Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(r.nan));
  assert.ok(r.big instanceof BigNum && r.big.n === 2n ** 80n);
  assert.ok(r.map instanceof Map);
  assert.deepEqual([...r.map.entries()], [...x.map.entries()]);
  assert.ok(r.value instanceof ObjectValue);
  assert.equal(toJSON(r.value), toJSON(obj));
  assert.ok(r.value.get(2) instanceof SetValue);
  assert.deepEqual(r.$dollar, { $: 5, $u: 1 });
});

test('builtins are written by name and read back as the registered definition', () => {
  const def = lookupBuiltin('count');
  assert.ok(def);
  const [r] = roundTrip([{ fn: def }]) as [{ fn: unknown }];
  assert.equal(r.fn, def);
});

test('what a snapshot cannot hold stops the writing, naming where it is', () => {
  assert.throws(
    () => writeSnapshot([{ a: [() => 1] }], null),
    (e: unknown) => {
      assert.ok(e instanceof SnapshotError);
      assert.match(e.message, /function at part 0\.a\[0\]/);
      return true;
    },
  );
  class Other {}
  assert.throws(() => writeSnapshot([{ o: new Other() }], null), /class Other at part 0\.o/);
  assert.throws(() => writeSnapshot([{ b: 1n }], null), /bigint/);
});

test('a snapshot of another format, or with a dangling reference, is refused', () => {
  const s = writeSnapshot([{ a: 1 }], null);
  assert.throws(() => readSnapshot({ ...s, format: 999 }), SnapshotError);
  assert.throws(() => readSnapshot({ ...s, parts: [{ $: 7 }] }).part(0), SnapshotError);
  assert.throws(() => readSnapshot({ ...s, parts: [{ $what: 1 }] }).part(0), /unknown encoding/);
});

const POLICY = `package authz
import rego.v1

default allow := false
allow if {
  input.user in data.admins
  not denied
}
denied if {
  some p in input.paths
  startswith(p, "/etc")
}
reasons contains sprintf("path %s", [p]) if {
  some p in input.paths
  glob.match("/etc/**", ["/"], p)
}
f(x) := y if y := x * 2
doubled := [f(x) | some x in input.nums]
obj := {"k": {1, 2}, "big": 123456789012345678901234567890}
`;

test('a policy read back from its snapshot decides as the compiled one on every input', () => {
  const compiled = compile([{ name: 'p.rego', text: POLICY }], { opaNegation: true });
  const snap = JSON.parse(JSON.stringify(compiled.snapshot({})));
  let treesAsked = 0;
  const data = parseJSON('{"admins": ["alice"]}');
  const read = Policy.fromSnapshot(
    snap.policy,
    () => {
      treesAsked++;
      return snap.modules;
    },
    data,
  );
  const fresh = compile([{ name: 'p.rego', text: POLICY }], { opaNegation: true, data });
  const inputs = [
    '{"user": "alice", "paths": ["/home/a"], "nums": [1, 2]}',
    '{"user": "alice", "paths": ["/etc/passwd"], "nums": []}',
    '{"user": "bob", "paths": [], "nums": [3]}',
    '{}',
  ];
  const refs = ['data.authz.allow', 'data.authz.reasons', 'data.authz.doubled', 'data.authz.obj', 'data.authz'];
  for (const text of inputs)
    for (const ref of refs) {
      const input = parseJSON(text);
      const want = fresh.evalRef(ref, input);
      const got = read.evalRef(ref, input);
      assert.equal(got === undefined ? 'undefined' : toJSON(got), want === undefined ? 'undefined' : toJSON(want));
    }
  assert.equal(treesAsked, 0, 'deciding needs no syntax tree');
  assert.deepEqual(
    read.modules.map((m) => m.pkg),
    fresh.modules.map((m) => m.pkg),
  );
  assert.equal(treesAsked, 1);
  assert.equal(read.deterministic, fresh.deterministic);
});
