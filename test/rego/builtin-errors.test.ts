// A builtin throws only the reason of its failure; the evaluator names the builtin that was
// called, as OPA's topdown does ("count: operand 1 must be ..."), with the code OPA gives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, parseJSON, RegoError } from '../../src/rego/index.js';

function failure(body: string, input = '{}'): RegoError {
  const policy = compile([{ name: 'p.rego', text: `package p\n${body}\n` }]);
  try {
    policy.evalRef('data.p.r', parseJSON(input), { strict: true });
  } catch (e) {
    assert.ok(e instanceof RegoError, String(e));
    return e;
  }
  assert.fail(`${body}: no error`);
}

test('an operand type error names the builtin called, in OPA words and code', () => {
  const e = failure('r := count(input.n)', '{"n": 1}');
  assert.equal(e.code, 'eval_type_error');
  assert.equal(e.detail, 'count: operand 1 must be one of {array, object, set, string} but got number');
  assert.equal(
    e.message,
    'p.rego:2: eval_type_error: count: operand 1 must be one of {array, object, set, string} but got number',
  );
});

test('builtins sharing one implementation are each named by their own name', () => {
  assert.equal(failure('r := sum("ab")').detail, 'sum: operand 1 must be one of {set, array} but got string');
  assert.equal(failure('r := product("ab")').detail, 'product: operand 1 must be one of {set, array} but got string');
  assert.equal(failure('r := max(1)').detail, 'max: operand 1 must be one of {set, array} but got number');
  assert.equal(failure('r := min(1)').detail, 'min: operand 1 must be one of {set, array} but got number');
});

test('an infix operator is named by the builtin it stands for', () => {
  const e = failure('r := x if { x := 1 & {1} }');
  assert.equal(e.detail, 'and: operand 1 must be set but got number');
  assert.equal(failure('r := x if { x := {1} | 2 }').detail, 'or: operand 2 must be set but got number');
});

test('a failure that is not about an operand type is a builtin error named the same way', () => {
  const e = failure('r := indexof("abc", "")');
  assert.equal(e.code, 'eval_builtin_error');
  assert.equal(e.detail, 'indexof: empty search character');
});

test('without strict builtin errors the failing call is undefined, not an error', () => {
  const policy = compile([{ name: 'p.rego', text: 'package p\nr := count(input.n)\n' }]);
  assert.equal(policy.evalRef('data.p.r', parseJSON('{"n": 1}')), undefined);
  assert.equal(policy.evalRef('data.p.r', parseJSON('{"n": [1, 2]}')), 2);
});
