// `dockgate test` at repository scale (issue 16): a generated policy repository of 50 packages,
// each a policy file of 20 rules (1,000 rules in all: helpers, partial sets, functions, a
// default) and a _test.rego file of 6 tests (300 tests), as policy libraries lay them out.
// Times the whole command (start-up, loading, parsing, compiling, running, reporting) and fails
// when its best run takes more than the 2 s the issue allows or when a test does not pass.
//
//   node dist/bench/rego-test-scale.js [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/rego/conformance-lib.js';

const PACKAGES = 50;
const LIMIT_MS = 2000;

function policy(p: number): string {
  const rules: string[] = [`package lib.k8s.p${p}`, '', 'import rego.v1', ''];
  rules.push('default allow := false', '');
  rules.push('allow if count(deny) == 0', '');
  for (let i = 0; i < 8; i++) {
    rules.push(
      `deny contains msg if {`,
      `\tsome c in input.spec.containers`,
      `\tc.image == "bad${i}"`,
      `\tmsg := sprintf("container %s: image bad${i} (rule ${i})", [c.name])`,
      `}`,
      '',
    );
  }
  for (let i = 0; i < 6; i++) rules.push(`is_kind${i}(obj) if obj.kind == "Kind${i}"`, '');
  for (let i = 0; i < 3; i++) rules.push(`limit${i} := ${i * 100 + p}`, '');
  rules.push('names := {c.name | some c in input.spec.containers}', '');
  return rules.join('\n');
}

function tests(p: number): string {
  const pod = (image: string): string =>
    `{"kind": "Pod", "spec": {"containers": [{"name": "a", "image": "${image}"}]}}`;
  return [
    `package lib.k8s.p${p}_test`,
    '',
    'import rego.v1',
    `import data.lib.k8s.p${p}`,
    '',
    `test_allow_good if p${p}.allow with input as ${pod('good')}`,
    `test_deny_bad if not p${p}.allow with input as ${pod('bad3')}`,
    `test_message if count(p${p}.deny) == 1 with input as ${pod('bad5')}`,
    `test_kind if p${p}.is_kind2({"kind": "Kind2"})`,
    `test_limit if p${p}.limit1 == ${100 + p}`,
    `test_names if p${p}.names == {"a"} with input as ${pod('x')}`,
    '',
  ].join('\n');
}

function main(): number {
  const argv = process.argv.slice(2);
  const runs = Number(argv[argv.indexOf('--runs') + 1] ?? 3) || 3;
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-scale-'));
  try {
    for (let p = 0; p < PACKAGES; p++) {
      mkdirSync(join(dir, `p${p}`));
      writeFileSync(join(dir, `p${p}`, 'policy.rego'), policy(p));
      writeFileSync(join(dir, `p${p}`, 'policy_test.rego'), tests(p));
    }
    const bin = join(repoRoot(), 'bin', 'dockgate');
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [bin, 'test', dir], { encoding: 'utf8' });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0 || !/PASS: 300\/300\n$/.test(r.stdout)) {
        process.stderr.write(
          `rego-test-scale: dockgate test did not pass 300/300 (exit ${r.status}):\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}\n`,
        );
        return 1;
      }
    }
    times.sort((a, b) => a - b);
    // The best run is the one least disturbed by other work on the machine.
    const best = times[0]!;
    const median = times[Math.floor(times.length / 2)]!;
    process.stdout.write(
      `dockgate test, ${PACKAGES * 20} rules and 300 tests in ${PACKAGES * 2} files: best ${best.toFixed(0)} ms, median ${median.toFixed(0)} ms wall over ${runs} runs (limit ${LIMIT_MS} ms)\n`,
    );
    return best <= LIMIT_MS ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(main());
