// Policy.deterministic: decisions that depend on input and data alone may be reused for an
// identical input; any clock, randomness, network or print makes the policy non-reusable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/rego/index.js';

const policy = (body: string) => compile([{ name: 'p.rego', text: `package x\nimport rego.v1\n${body}\n` }]);

test('a policy reading only input, data and pure builtins is deterministic', () => {
  assert.equal(
    policy('allow if input.a == 1\nmsg := sprintf("%v", [input])\nok if regex.match("a+", input.s)').deterministic,
    true,
  );
});

test('the clock, randomness, uuids, http.send and print make a policy non-deterministic', () => {
  for (const body of [
    'allow if time.now_ns() > 0',
    'allow if rand.intn("k", 10) == 1',
    'allow if uuid.rfc4122("k") != ""',
    'allow if http.send({"method": "GET", "url": "http://127.0.0.1:1"}).status_code == 200',
    'allow if { print("hello"); input.a }',
  ]) {
    assert.equal(policy(body).deterministic, false, body);
  }
});

test('an impure builtin hidden in a helper function, a comprehension, a default or an else counts', () => {
  for (const body of [
    'now := time.now_ns()\nallow if now > 0',
    'f(x) := time.now_ns() + x\nallow if f(1) > 0',
    'allow if count([t | t := time.now_ns()]) == 1',
    'default allow := false\nallow := true if input.a\nelse := time.now_ns() > 0',
  ]) {
    assert.equal(policy(body).deterministic, false, body);
  }
});

test('a function replaced by an impure builtin through `with` counts', () => {
  assert.equal(policy('f(x) := x\nallow if f(1) with f as time.now_ns').deterministic, false);
  assert.equal(policy('f(x) := x\ng(x) := x\nallow if f(1) with f as g').deterministic, true);
});
