// Evaluation traces and coverage (trace.ts): the events a traced query emits, OPA's lineage
// filters and pretty table, the coverage report, and traced evaluation giving the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parseJSON, type TraceEvent } from '../../src/rego/index.js';
import { BufferTracer, CoverageTracer, explainFilter, prettyTrace } from '../../src/rego/trace.js';
import { repoRoot } from './conformance-lib.js';

const TEXT = `package t

p if {
  x := 1
  trace("checked x")
  y := [a | some a in [1, 2]; a > 1]
  count(y) == 2
}

q contains v if {
  some v in [1, 2, 3]
  v > 1
}

test_p if {
  p
}

test_q if {
  q[3]
}
`;
const SOURCES = new Map([['t.rego', TEXT]]);

function traced(path: string[]): { value: unknown; events: TraceEvent[] } {
  const policy = compile([{ name: 't.rego', text: TEXT }]);
  const tracer = new BufferTracer();
  const value = policy.evalPath(path, undefined, { tracer });
  return { value, events: tracer.events };
}

test('a traced rule shows Enter, Eval, Note, Fail, Exit and Redo in evaluation order, nested bodies one level deeper', () => {
  const { value, events } = traced(['t', 'test_p']);
  assert.equal(value, undefined);
  assert.deepEqual(prettyTrace(events, SOURCES), [
    't.rego:15     Enter data.t.test_p',
    't.rego:16     | Eval p',
    't.rego:3      | Enter data.t.p',
    't.rego:4      | | Eval x := 1',
    't.rego:5      | | Eval trace("checked x")',
    't.rego:5      | | Note "checked x"',
    't.rego:6      | | Eval y := [a | some a in [1, 2]; a > 1]',
    't.rego:6      | | Enter some a in [1, 2]; a > 1',
    't.rego:6      | | | Eval some a in [1, 2]',
    't.rego:6      | | | Eval a > 1',
    't.rego:6      | | | Fail a > 1',
    't.rego:6      | | | Redo some a in [1, 2]',
    't.rego:6      | | | Eval a > 1',
    't.rego:6      | | | Exit some a in [1, 2]; a > 1',
    't.rego:6      | | Redo some a in [1, 2]; a > 1',
    't.rego:6      | | | Redo a > 1',
    't.rego:6      | | | Redo some a in [1, 2]',
    't.rego:7      | | Eval count(y) == 2',
    't.rego:7      | | Fail count(y) == 2',
    't.rego:6      | | Redo y := [a | some a in [1, 2]; a > 1]',
    't.rego:5      | | Redo trace("checked x")',
    't.rego:4      | | Redo x := 1',
    't.rego:16     | Fail p',
  ]);
});

test('a rule that succeeds exits once per solution and is redone when asked for more', () => {
  const { value, events } = traced(['t', 'test_q']);
  assert.equal(value, true);
  const rule = events.filter((e) => e.rule === 'data.t.q').map((e) => e.op);
  // Enter, then one Exit per element of the set (2 and 3) with a Redo after each.
  assert.deepEqual(rule, ['Enter', 'Exit', 'Redo', 'Exit', 'Redo']);
  assert.ok(events.some((e) => e.op === 'Exit' && e.rule === 'data.t.test_q'));
});

test('--explain fails and notes keep each kept event with the Enter chain that led to it', () => {
  const { events } = traced(['t', 'test_p']);
  assert.deepEqual(prettyTrace(explainFilter(events, 'fails'), SOURCES), [
    't.rego:15     Enter data.t.test_p',
    't.rego:3      | Enter data.t.p',
    't.rego:6      | | Enter some a in [1, 2]; a > 1',
    't.rego:6      | | | Fail a > 1',
    't.rego:7      | | Fail count(y) == 2',
    't.rego:16     | Fail p',
  ]);
  assert.deepEqual(prettyTrace(explainFilter(events, 'notes'), SOURCES), [
    't.rego:15     Enter data.t.test_p',
    't.rego:3      | Enter data.t.p',
    't.rego:5      | | Note "checked x"',
  ]);
  assert.equal(explainFilter(events, 'full').length, events.length);
});

test('without a tracer trace() writes to the print output; traced, it is a note only', () => {
  const policy = compile([{ name: 't.rego', text: 'package t\nr if trace("n1")\n' }]);
  const printed: string[] = [];
  assert.equal(policy.evalRef('data.t.r', undefined, { print: (m) => printed.push(m) }), true);
  assert.deepEqual(printed, ['n1']);
  const tracer = new BufferTracer();
  printed.length = 0;
  assert.equal(policy.evalRef('data.t.r', undefined, { print: (m) => printed.push(m), tracer }), true);
  assert.deepEqual(printed, []);
  assert.deepEqual(
    tracer.events.filter((e) => e.op === 'Note').map((e) => e.message),
    ['n1'],
  );
});

test('coverage: exited rule heads and evaluated expressions are covered, the rest of the rows are not', () => {
  const policy = compile([{ name: 't.rego', text: TEXT }]);
  const cov = new CoverageTracer();
  policy.evalPath(['t', 'test_q'], undefined, { tracer: cov });
  const rows = new Map([['t.rego', [3, 4, 5, 6, 7, 10, 11, 12, 15, 16, 19, 20]]]);
  const report = cov.report(rows);
  assert.deepEqual(report, {
    files: {
      't.rego': {
        covered: [
          { start: { row: 10 }, end: { row: 12 } },
          { start: { row: 19 }, end: { row: 20 } },
        ],
        not_covered: [
          { start: { row: 3 }, end: { row: 7 } },
          { start: { row: 15 }, end: { row: 16 } },
        ],
        covered_lines: 5,
        not_covered_lines: 7,
        coverage: (100 * 5) / 12,
      },
    },
    covered_lines: 5,
    not_covered_lines: 7,
    coverage: (100 * 5) / 12,
  });
});

test('coverage of a file nothing reached leaves out the covered fields, as OPA omits empty ones', () => {
  const cov = new CoverageTracer();
  const report = cov.report(new Map([['u.rego', [3, 4]]]));
  assert.deepEqual(report.files['u.rego'], {
    not_covered: [{ start: { row: 3 }, end: { row: 4 } }],
    not_covered_lines: 2,
  });
  assert.equal(report.coverage, 0);
});

test('a traced evaluation decides as the untraced one on a 50-rule policy', () => {
  const dir = join(repoRoot(), 'bench', 'rego');
  const policy = compile([{ name: 'authz.rego', text: readFileSync(join(dir, 'authz.rego'), 'utf8') }]);
  for (const f of ['create-ok.json', 'create-bad.json']) {
    const input = parseJSON(readFileSync(join(dir, f), 'utf8'));
    for (const ref of ['data.docker.authz.allow', 'data.docker.authz.deny']) {
      const plain = policy.evalRef(ref, input);
      const tracer = new BufferTracer();
      const withTrace = policy.evalRef(ref, input, { tracer });
      assert.deepEqual(withTrace, plain, `${f} ${ref}`);
      assert.ok(tracer.events.length > 0);
    }
  }
});
