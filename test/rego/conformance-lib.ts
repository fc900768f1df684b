// Runs OPA's conformance cases (test/rego/opa-testdata, JSON form) against dockgate's Rego
// engine, in-process. Comparison follows OPA's own runner: want_result is a set of binding
// objects compared after a JSON round trip (sets become sorted arrays, non-string object keys
// become their JSON text), sort_bindings sorts array bindings first, want_error_code must
// equal the error's code and want_error must be a substring of its message.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compile,
  RegoError,
  parseJSON,
  ObjectValue,
  SetValue,
  BigNum,
  compare,
  canonical,
  formatNumber,
  toJSON,
  type Value,
} from '../../src/rego/index.js';

/** Repository root, from dist/test/rego/ or test/rego/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The OPA test data directory: $DOCKGATE_OPA_TESTDATA, else the copy vendored under test/rego/opa-testdata. */
export function testdataDir(): string {
  return process.env.DOCKGATE_OPA_TESTDATA ?? resolve(repoRoot(), 'test', 'rego', 'opa-testdata');
}

export interface SkipEntry {
  file?: string;
  note?: string;
  topic?: string;
  reason: string;
}

export interface CaseOutcome {
  file: string;
  note: string;
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
}

export interface ConformanceSummary {
  passed: number;
  failed: number;
  skipped: number;
  outcomes: CaseOutcome[];
}

export function loadSkips(): SkipEntry[] {
  const p = join(repoRoot(), 'test', 'rego', 'conformance-skip.json');
  if (!existsSync(p)) return [];
  return (JSON.parse(readFileSync(p, 'utf8')) as { skip: SkipEntry[] }).skip;
}

/** Every .json case file under the given files/directories (default: <testdata>/v1). */
export function caseFiles(paths: string[]): string[] {
  const roots = paths.length > 0 ? paths.map((p) => resolve(p)) : [join(testdataDir(), 'v1')];
  for (const r of roots) {
    if (!existsSync(r))
      throw new Error(`conformance: no test cases at ${r} (set DOCKGATE_OPA_TESTDATA to OPA's cases)`);
  }
  const out: string[] = [];
  const visit = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) visit(join(p, e));
    else if (p.endsWith('.json')) out.push(p);
  };
  for (const r of roots) visit(r);
  return out;
}

function get(o: Value | undefined, key: string): Value | undefined {
  return o instanceof ObjectValue ? o.get(key) : undefined;
}

/** JSON round trip as OPA's runner does before comparing. */
function jsonify(v: Value): Value {
  if (Array.isArray(v)) return v.map(jsonify);
  if (v instanceof SetValue) return v.sorted().map(jsonify);
  if (v instanceof ObjectValue) {
    const o = new ObjectValue();
    for (const [k, x] of v.sortedEntries()) o.set(typeof k === 'string' ? k : keyText(k), jsonify(x));
    return o;
  }
  return v;
}

function keyText(k: Value): string {
  if (typeof k === 'number' || k instanceof BigNum) return formatNumber(k);
  return toJSON(k);
}

function sortArrays(v: Value): Value {
  return Array.isArray(v) ? [...v].sort(compare) : v;
}

export function runCase(c: ObjectValue, file: string, skips: SkipEntry[], topic: string): CaseOutcome {
  const note = String(get(c, 'note') ?? '');
  const rel = file;
  if (
    skips.some(
      (s) =>
        (s.topic === undefined || s.topic === topic) &&
        (s.note === undefined || s.note === note) &&
        (s.file === undefined || rel.endsWith(s.file)),
    )
  ) {
    return { file, note, status: 'skip' };
  }
  const fail = (detail: string): CaseOutcome => ({ file, note, status: 'fail', detail });
  const query = String(get(c, 'query'));
  const modules = (get(c, 'modules') as Value[] | undefined) ?? [];
  const wantResult = get(c, 'want_result');
  const wantCode = get(c, 'want_error_code');
  const wantError = get(c, 'want_error');
  const strict = get(c, 'strict_error') === true;
  const sortBindings = get(c, 'sort_bindings') === true;
  let results: ReturnType<ReturnType<typeof compile>['eval']>;
  try {
    const policy = compile(modules.map((text, i) => ({ name: `test-${i}.rego`, text: String(text) })));
    let input = get(c, 'input');
    const inputTerm = get(c, 'input_term');
    if (inputTerm !== undefined) {
      const r = policy.eval(`x = ${String(inputTerm)}`);
      input = r[0]?.bindings.get('x');
    }
    const data = get(c, 'data') ?? new ObjectValue();
    results = policy.eval(query, { input, data, strict, maxSteps: 20_000_000, timeoutMs: 10_000, print: () => {} });
  } catch (e) {
    if (!(e instanceof RegoError)) {
      return fail(`internal error: ${(e as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(e)}`);
    }
    if (wantCode === undefined && wantError === undefined) return fail(`unexpected error: ${e.message}`);
    if (wantCode !== undefined && e.code !== wantCode)
      return fail(`want error code ${String(wantCode)}, got: ${e.message}`);
    if (wantError !== undefined && !e.message.includes(String(wantError)))
      return fail(`want error containing ${JSON.stringify(wantError)}, got: ${e.message}`);
    return { file, note, status: 'pass' };
  }
  if (wantCode !== undefined || wantError !== undefined) {
    return fail(
      `want error ${String(wantCode ?? '')} ${JSON.stringify(wantError ?? '')}, got ${results.length} result(s)`,
    );
  }
  if (!Array.isArray(wantResult)) return fail('case has neither want_result nor want_error');
  const actual = results.map((r) => {
    const o = new ObjectValue();
    for (const [name, v] of r.bindings) o.set(name, sortBindings ? sortArrays(jsonify(v)) : jsonify(v));
    return canonical(o);
  });
  const expected = wantResult.map((w) => {
    if (!(w instanceof ObjectValue)) return canonical(w);
    const o = new ObjectValue();
    for (const [k, v] of w.sortedEntries()) o.set(k, sortBindings ? sortArrays(v) : v);
    return canonical(o);
  });
  const a = [...new Set(actual)].sort();
  const b = [...new Set(expected)].sort();
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    return fail(`want ${short(b.join(' '))} got ${short(a.join(' '))}`);
  }
  return { file, note, status: 'pass' };
}

function short(s: string): string {
  return s.length > 160 ? s.slice(0, 157) + '...' : s === '' ? '(undefined)' : s;
}

export function runConformance(paths: string[], onOutcome?: (o: CaseOutcome) => void): ConformanceSummary {
  const skips = loadSkips();
  const sum: ConformanceSummary = { passed: 0, failed: 0, skipped: 0, outcomes: [] };
  const base = testdataDir();
  for (const file of caseFiles(paths)) {
    const rel = relative(base, file);
    const topic = rel.split('/').slice(-2, -1)[0] ?? '';
    let cases: Value[];
    try {
      cases = (get(parseJSON(readFileSync(file, 'utf8')), 'cases') as Value[] | undefined) ?? [];
    } catch (e) {
      const o: CaseOutcome = {
        file: rel,
        note: '(file)',
        status: 'fail',
        detail: `cannot read: ${(e as Error).message}`,
      };
      sum.failed++;
      sum.outcomes.push(o);
      onOutcome?.(o);
      continue;
    }
    for (const c of cases) {
      let o: CaseOutcome;
      try {
        o = runCase(c as ObjectValue, rel, skips, topic);
      } catch (e) {
        // Stack overflow in deeply recursive cases and the like: a failure, not a crash.
        o = { file: rel, note: String(get(c, 'note') ?? ''), status: 'fail', detail: `crash: ${(e as Error).message}` };
      }
      if (o.status === 'pass') sum.passed++;
      else if (o.status === 'fail') sum.failed++;
      else sum.skipped++;
      sum.outcomes.push(o);
      onOutcome?.(o);
    }
  }
  return sum;
}

export function readFloor(): number {
  const p = join(repoRoot(), 'test', 'rego', 'conformance-floor.txt');
  if (!existsSync(p)) return 0;
  return parseInt(readFileSync(p, 'utf8').trim(), 10) || 0;
}
