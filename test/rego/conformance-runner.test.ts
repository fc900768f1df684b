// The conformance runner compares as OPA's runner does: solutions as a set after a JSON round
// trip, sort_bindings, want_error substring and code, strict_error, input_term.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from './conformance-lib.js';

const dir = mkdtempSync(join(tmpdir(), 'dockgate-conformance-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function cases(name: string, list: unknown[]): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ cases: list }));
  return p;
}

test('passing shapes: sets as arrays, non-string keys, sort_bindings, input_term, big integers', () => {
  const file = cases('pass.json', [
    { note: 't/set', query: 'data.t.s = x', modules: ['package t\ns := {3, 1, 2}\n'], want_result: [{ x: [1, 2, 3] }] },
    {
      note: 't/keys',
      query: 'data.t.o = x',
      modules: ['package t\no := {1: "a"}\n'],
      want_result: [{ x: { '1': 'a' } }],
    },
    {
      note: 't/sort',
      query: 'data.t.a = x',
      modules: ['package t\na := ["b", "a"]\n'],
      sort_bindings: true,
      want_result: [{ x: ['a', 'b'] }],
    },
    { note: 't/solutions', query: 'x = [1, 2][_]', modules: [], want_result: [{ x: 2 }, { x: 1 }] },
    {
      note: 't/input_term',
      query: 'data.t.p = x',
      modules: ['package t\np := input.s\n'],
      input_term: '{"s": {1, 2}}',
      want_result: [{ x: [1, 2] }],
    },
    { note: 't/undefined', query: 'data.t.q = x', modules: ['package t\nq if false\n'], want_result: [] },
  ]);
  writeFileSync(
    join(dir, 'big.json'),
    '{"cases": [{"note": "t/big", "query": "x = 12345678901234567890 + 1", "modules": [], "want_result": [{"x": 12345678901234567891}]}]}',
  );
  const sum = runConformance([file, join(dir, 'big.json')]);
  assert.deepEqual(
    sum.outcomes.filter((o) => o.status !== 'pass'),
    [],
  );
  assert.equal(sum.passed, 7);
});

test('errors: code and substring must match; strict_error turns builtin errors on', () => {
  const file = cases('err.json', [
    {
      note: 'e/conflict',
      query: 'data.t.p = x',
      modules: ['package t\np := 1\np := 2\n'],
      want_error_code: 'eval_conflict_error',
      want_error: 'complete rules must not produce multiple outputs',
    },
    {
      note: 'e/strict',
      query: 'data.t.p = x',
      modules: ['package t\np := 1 / 0\n'],
      strict_error: true,
      want_error_code: 'eval_builtin_error',
      want_error: 'divide by zero',
    },
    {
      note: 'e/not strict',
      query: 'data.t.p = x',
      modules: ['package t\np := 1 / 0\n'],
      want_error_code: 'eval_builtin_error',
    },
    {
      note: 'e/wrong text',
      query: 'data.t.p = x',
      modules: ['package t\np := 1\np := 2\n'],
      want_error: 'something else',
    },
  ]);
  const sum = runConformance([file]);
  assert.deepEqual(
    sum.outcomes.map((o) => `${o.note}:${o.status}`),
    ['e/conflict:pass', 'e/strict:pass', 'e/not strict:fail', 'e/wrong text:fail'],
  );
});
