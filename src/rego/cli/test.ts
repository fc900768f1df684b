// `dockgate test [--v0-compatible] [-v] PATH...`: runs every rule named test_* like `opa test`
// and prints its report: failures (or every test with -v), then "PASS: n/N" / "FAIL: n/N".
// Exit 0 when all pass, 1 when a test fails or errors, 2 when the policies do not load.
import { RegoError, type Policy } from '../index.js';
import { CliError, compileLoaded, guard, loadPaths } from './load.js';

interface TestResult {
  name: string;
  file: string;
  status: 'PASS' | 'FAIL' | 'ERROR';
  ns: bigint;
  error?: string;
}

export async function runTest(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return guard('test', () => {
    if (positionals.length === 0) throw new CliError('at least one PATH is required');
    const verbose = values.verbose === true;
    const loaded = loadPaths(positionals, { ignore: values.ignore as string[] | undefined });
    const policy = compileLoaded(loaded, values['v0-compatible'] === true);
    const results = runTests(policy);
    if (results.length === 0) {
      process.stdout.write('no test cases found\n');
      return 0;
    }
    // opa test's pretty report: a FAILURES section, then a SUMMARY grouped by file.
    const failed = results.filter((r) => r.status !== 'PASS');
    const rule = '-'.repeat(80);
    if (failed.length > 0) {
      process.stdout.write(`FAILURES\n${rule}\n`);
      for (const r of failed) {
        process.stdout.write(`${r.name}: ${r.status} (${duration(r.ns)})\n`);
        if (r.error) process.stdout.write(`  ${r.error}\n`);
        process.stdout.write('\n');
      }
      process.stdout.write(`SUMMARY\n${rule}\n`);
    }
    const shown = verbose ? results : failed;
    let lastFile = '';
    for (const r of shown) {
      if (r.file !== lastFile) {
        if (lastFile) process.stdout.write('\n');
        process.stdout.write(`${r.file}:\n`);
        lastFile = r.file;
      }
      process.stdout.write(`${r.name}: ${r.status} (${duration(r.ns)})\n`);
    }
    if (shown.length > 0) process.stdout.write(rule + '\n');
    const n = results.length;
    const pass = results.filter((r) => r.status === 'PASS').length;
    const fail = results.filter((r) => r.status === 'FAIL').length;
    const err = results.filter((r) => r.status === 'ERROR').length;
    if (pass > 0) process.stdout.write(`PASS: ${pass}/${n}\n`);
    if (fail > 0) process.stdout.write(`FAIL: ${fail}/${n}\n`);
    if (err > 0) process.stdout.write(`ERROR: ${err}/${n}\n`);
    return pass === n ? 0 : 1;
  });
}

/** Every test_ rule (non-function) of every module, evaluated once. */
export function runTests(policy: Policy): TestResult[] {
  const out: TestResult[] = [];
  const seen = new Set<string>();
  for (const mod of policy.modules) {
    for (const rule of mod.rules) {
      const head = rule.ref[0]!;
      if (head.type !== 'var' || !head.name.startsWith('test_') || rule.args || rule.ref.length > 1) continue;
      const name = ['data', ...mod.pkg, head.name].join('.');
      if (seen.has(name)) continue;
      seen.add(name);
      const t0 = process.hrtime.bigint();
      let status: TestResult['status'] = 'FAIL';
      let error: string | undefined;
      try {
        const v = policy.evalRef(name, undefined, { strict: true, print: (m) => process.stdout.write(m + '\n') });
        if (v !== undefined && v !== false) status = 'PASS';
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        status = 'ERROR';
        error = e.message;
      }
      out.push({ name, file: mod.file, status, ns: process.hrtime.bigint() - t0, error });
    }
  }
  return out;
}

function duration(ns: bigint): string {
  const n = Number(ns);
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}ms`;
  return `${(n / 1e9).toFixed(2)}s`;
}
