// `dockgate test --explain` and `--coverage` as users run them: the trace of a failed test in
// the FAILURES section, the coverage report as JSON, and opa test's exit codes for each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './conformance-lib.js';

const bin = join(repoRoot(), 'bin', 'dockgate');
const root = mkdtempSync(join(tmpdir(), 'dockgate-rego-trace-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const POLICY = `package t

allow if {
\tinput.user == "alice"
\ttrace("user ok")
\tcount(input.roles) > 0
}

deny contains msg if {
\tsome r in input.roles
\tr == "banned"
\tmsg := sprintf("role %s", [r])
}
`;

/** A folder with the policy and these tests. */
function project(name: string, tests: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'policy.rego'), POLICY);
  writeFileSync(join(dir, 'policy_test.rego'), `package t\n\n${tests}`);
  return dir;
}

function run(cwd: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, 'test', ...args, '.'], { encoding: 'utf8', cwd });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const PASSING = `test_allow if {
\tallow with input as {"user": "alice", "roles": ["a"]}
}

test_deny if {
\tdeny["role banned"] with input as {"roles": ["banned"]}
}
`;

const FAILING = `test_no_roles if {
\tallow with input as {"user": "alice", "roles": []}
}
`;

test('--explain fails prints the failed test with the failures that led to it, exit 2', () => {
  const r = run(project('fails', FAILING), '--explain', 'fails');
  assert.equal(r.code, 2, r.err);
  const section = r.out.slice(r.out.indexOf('FAILURES'));
  assert.match(
    section,
    new RegExp(
      [
        'data\\.t\\.test_no_roles: FAIL \\(.*\\)',
        '',
        '  query:1                Enter data\\.t\\.test_no_roles',
        '  policy_test\\.rego:3     \\| Enter data\\.t\\.test_no_roles',
        '  policy\\.rego:3          \\| \\| Enter data\\.t\\.allow',
        '  policy\\.rego:6          \\| \\| \\| Fail count\\(input\\.roles\\) > 0',
        '  policy_test\\.rego:4     \\| \\| Fail allow with input as \\{"user": "alice", "roles": \\[\\]\\}',
        '  query:1                \\| Fail data\\.t\\.test_no_roles',
        '',
      ].join('\n'),
    ),
  );
});

test('--explain notes shows the trace() notes; -v alone shows notes and failures', () => {
  const dir = project('notes', FAILING);
  const notes = run(dir, '--explain', 'notes');
  assert.match(notes.out, /policy\.rego:5 +\| \| \| Note "user ok"\n\n/);
  assert.doesNotMatch(notes.out, /Fail count/);
  const verbose = run(dir, '-v');
  assert.match(verbose.out, /Note "user ok"\n.*Fail count\(input\.roles\) > 0/);
  // A traced trace() is a note, not output: the untraced run prints it as the test's output.
  assert.match(run(dir).out, /\n {2}user ok\n/);
});

test('--explain full shows every literal evaluated, passing ones too', () => {
  const r = run(project('full', FAILING), '--explain', 'full');
  assert.match(r.out, /\| \| \| Eval input\.user == "alice"\n/);
  assert.match(r.out, /\| \| \| Redo input\.user == "alice"\n/);
});

test('--coverage prints the covered and not covered rows as JSON and exits 0', () => {
  const r = run(project('cover', PASSING), '--coverage');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.deepEqual(report.files['policy.rego'], {
    covered: [
      { start: { row: 3 }, end: { row: 6 } },
      { start: { row: 9 }, end: { row: 12 } },
    ],
    covered_lines: 8,
    coverage: 100,
  });
  assert.equal(report.covered_lines, 12);
  assert.equal(report.not_covered_lines, 0);
  assert.equal(report.coverage, 100);
});

test('--coverage counts a rule no test reaches as not covered, and --threshold above it exits 2', () => {
  const dir = project('partial', 'test_allow if {\n\tallow with input as {"user": "alice", "roles": ["a"]}\n}\n');
  const r = run(dir, '--coverage');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  // `some r in ...` (row 10) is a declaration: OPA leaves it out of the rows not covered.
  assert.deepEqual(report.files['policy.rego'].not_covered, [
    { start: { row: 9 }, end: { row: 9 } },
    { start: { row: 11 }, end: { row: 12 } },
  ]);
  assert.equal(report.files['policy.rego'].covered_lines, 4);
  const low = run(dir, '--coverage', '--threshold', '90');
  assert.equal(low.code, 2);
  assert.match(low.err, /^Code coverage threshold not met: got \d+\.\d\d instead of 90\.00\n$/);
});

test('--coverage with a failing test reports the failure and exits 1', () => {
  const r = run(project('cover-fail', FAILING), '--coverage');
  assert.equal(r.code, 1);
  assert.match(r.out, /data\.t\.test_no_roles: FAIL/);
  assert.match(r.err, /^data\.t\.test_no_roles: FAIL/);
});

function evalRun(cwd: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, 'eval', '-d', '.', ...args], { encoding: 'utf8', cwd });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('eval --coverage adds the coverage report to the result; pretty prints the overall percentage', () => {
  const dir = project('eval-cover', PASSING);
  writeFileSync(join(dir, 'input.json'), '{"user": "alice", "roles": ["a"]}');
  const r = evalRun(dir, '--coverage', '-i', 'input.json', 'data.t.allow');
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.result[0].expressions[0].value, true);
  assert.deepEqual(out.coverage.files['policy.rego'].covered, [{ start: { row: 3 }, end: { row: 6 } }]);
  const pretty = evalRun(dir, '--coverage', '--format', 'pretty', '-i', 'input.json', 'data.t.allow');
  assert.match(pretty.out, /^true\n\+-+\+-+\+\n\| Overall Coverage \| \d+\.\d\d \|\n\+-+\+-+\+\n$/);
});

test('eval --explain full prints the trace before the value; with JSON output it is refused', () => {
  const dir = project('eval-explain', PASSING);
  writeFileSync(join(dir, 'input.json'), '{"user": "alice", "roles": ["a"]}');
  const r = evalRun(dir, '--format', 'pretty', '--explain', 'full', '-i', 'input.json', 'data.t.allow');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^query:1 +Enter data\.t\.allow\n/);
  assert.match(r.out, /policy\.rego:5 +\| \| Note "user ok"\n/);
  assert.match(r.out, /policy\.rego:3 +\| \| Exit data\.t\.allow\n/);
  assert.match(r.out, /\ntrue\n$/);
  const json = evalRun(dir, '--explain', 'full', 'data.t.allow');
  assert.equal(json.code, 2);
  assert.match(json.err, /--explain is printed with --format pretty only/);
});
