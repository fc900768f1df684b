// Data-only rules keep their values across queries on the same data (purity.ts); these tests
// pin down when that sharing must not happen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, parseJSON, toJSON, ObjectValue, fromJS } from '../../src/rego/index.js';

const pol = (text: string, data?: unknown) =>
  compile([{ name: 'p.rego', text }], data === undefined ? {} : { data: fromJS(data) });
const show = (v: unknown) => (v === undefined ? 'undefined' : toJSON(v as never));

test('a data-only rule gives the same answer on every query, and follows a new data document', () => {
  const p = pol('package x\nimport rego.v1\nroots := {r | some r in data.cfg.roots}\nok if input.p in roots\n', {
    cfg: { roots: ['/a', '/b'] },
  });
  assert.equal(show(p.evalRef('data.x.ok', parseJSON('{"p":"/a"}'))), 'true');
  assert.equal(show(p.evalRef('data.x.ok', parseJSON('{"p":"/c"}'))), 'undefined');
  assert.equal(show(p.evalRef('data.x.roots')), '["/a","/b"]');
  const other = fromJS({ cfg: { roots: ['/c'] } });
  assert.equal(show(p.evalRef('data.x.ok', parseJSON('{"p":"/c"}'), { data: other })), 'true');
  assert.equal(show(p.evalRef('data.x.roots', undefined, { data: other })), '["/c"]');
  assert.equal(show(p.evalRef('data.x.roots')), '["/a","/b"]');
});

test('rules that read input, the clock or randomness are computed per query', () => {
  const p = pol('package x\nimport rego.v1\nname := input.n\nnow := time.now_ns()\nr := rand.intn("k", 1000000000)\n');
  assert.equal(show(p.evalRef('data.x.name', parseJSON('{"n":"a"}'))), '"a"');
  assert.equal(show(p.evalRef('data.x.name', parseJSON('{"n":"b"}'))), '"b"');
  const t1 = p.evalRef('data.x.now');
  const seen = new Set<string>();
  for (let i = 0; i < 5; i++) seen.add(show(p.evalRef('data.x.r')));
  assert.ok(seen.size > 1, 'rand.intn differs between queries');
  return new Promise<void>((resolve) =>
    setTimeout(() => {
      assert.notEqual(show(p.evalRef('data.x.now')), show(t1));
      resolve();
    }, 5),
  );
});

test('a rule reaching input through a helper function or a data ref with a variable is per query', () => {
  const p = pol(
    'package x\nimport rego.v1\nf(k) := input[k]\nv := f("a")\ng[k] := input.m[k] if some k in ["a"]\nw := data.x.g.a\n',
  );
  assert.equal(show(p.evalRef('data.x.v', parseJSON('{"a":1}'))), '1');
  assert.equal(show(p.evalRef('data.x.v', parseJSON('{"a":2}'))), '2');
  assert.equal(show(p.evalRef('data.x.w', parseJSON('{"m":{"a":1}}'))), '1');
  assert.equal(show(p.evalRef('data.x.w', parseJSON('{"m":{"a":2}}'))), '2');
});

test('with data overrides and function mocks never read or fill the shared values', () => {
  const q = compile(
    [
      {
        name: 'p.rego',
        text: 'package x\nimport rego.v1\nlimit := data.cfg.limit\ntwice := double(data.cfg.limit)\ndouble(n) := n * 2\ntriple(n) := n * 3\n',
      },
    ],
    { data: fromJS({ cfg: { limit: 1 } }) },
  );
  assert.equal(show(q.evalRef('data.x.twice')), '2');
  const res = q.eval(
    'a := data.x.limit with data.cfg.limit as 5\nb := data.x.twice with data.x.double as data.x.triple',
  );
  assert.equal(show(res[0]!.bindings.get('a')), '5');
  assert.equal(show(res[0]!.bindings.get('b')), '3');
  assert.equal(show(q.evalRef('data.x.limit')), '1');
  assert.equal(show(q.evalRef('data.x.twice')), '2');
});

test('strict and lenient queries keep separate values (a builtin error is undefined or an error)', () => {
  const p = pol('package x\nimport rego.v1\nn := to_number(data.cfg.s)\n', { cfg: { s: 'zz' } });
  assert.equal(show(p.evalRef('data.x.n')), 'undefined');
  assert.throws(() => p.evalRef('data.x.n', undefined, { strict: true }));
  assert.equal(show(p.evalRef('data.x.n')), 'undefined');
  void ObjectValue;
});
