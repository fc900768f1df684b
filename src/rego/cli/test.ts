// `dockgate test [flags] PATH...`: runs Rego tests as `opa test` (OPA 1.x) does and reports them
// the same way. A test is a rule whose name starts with test_ (todo_test_: reported as skipped);
// repeated names in a package run one by one as test_x#01, test_x#02, ...; a test passes only
// when its value is true (a partial-object test `test_x[case]` when every case is true). Tests
// run with non-strict builtin errors (a failing builtin is undefined) and a timeout each.
// Exit codes as opa test's: 0 all passed (or no tests), 2 a test failed, errored or was skipped
// (skipped: 0 with -z), 1 the policies or data did not load or compile (or, with
// --fail-on-empty, no test ran).
// -v and --explain fails|notes|full trace each test (trace.ts) and print the trace of a failed
// test in the FAILURES section, as opa test does (-v alone: notes and failures); --coverage
// prints OPA's coverage report instead (exit 1 when a test fails, 2 under --threshold).
// Not produced: the trace in --format json, and OPA's extra --bench metrics.
import {
  RegoError,
  ObjectValue,
  isCaseRule,
  testCasesName,
  testNameIndex,
  toJS,
  type ExplainMode,
  type Policy,
  type TraceEvent,
  type Value,
} from '../index.js';
import { BufferTracer, CoverageTracer, coverageRows, explainFilter, prettyTrace, tee } from '../trace.js';

import type { Rule, Term } from '../ast.js';
import { CliError, compileLoaded, loadBundles, loadPaths } from './load.js';
import { stringify } from './eval.js';

export interface SubResult {
  name: string;
  fail: boolean;
  sub: Map<string, SubResult>;
}

export interface TestResult {
  location: { file: string; row: number; col: number };
  /** The package path, `data.a.b`. */
  package: string;
  /** The test's ref below the package: `test_x`, `test_x#01`, `tests.test_y`. */
  name: string;
  durationNs: bigint;
  fail: boolean;
  skip: boolean;
  error?: RegoError;
  /** What print() wrote while the test ran. */
  output: string;
  /** Partial-object tests: one entry per case. */
  sub: Map<string, SubResult>;
  /** --bench: evaluations timed and their total time. */
  bench?: { n: number; ns: bigint };
  /** -v / --explain: the test's evaluation trace, filtered as the mode asks. */
  trace?: TraceEvent[];
}

export interface TestRunOptions {
  /** Only tests whose full name (`data.pkg.test_x`) matches. */
  run?: RegExp;
  /** Per-test limit (OPA's default: 5 s). */
  timeoutMs?: number;
  /** --bench: time each passing test over about this many milliseconds (Go's benchtime, 1 s). */
  benchMs?: number;
  /** Trace each test and keep the events this mode shows (undefined mode: notes and failures). */
  trace?: { mode: ExplainMode | undefined };
  /** --coverage: every test's evaluation is recorded here. */
  coverage?: CoverageTracer;
}

const EXPLAIN = ['fails', 'full', 'notes', 'debug'];

export async function runTest(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  try {
    if (positionals.length === 0) throw new CliError('specify at least one file');
    const format = (values.format as string | undefined) ?? 'pretty';
    if (format !== 'pretty' && format !== 'json')
      throw new CliError(`invalid argument "${format}" for "--format": want pretty or json`);
    const explain = values.explain as string | undefined;
    if (explain !== undefined && !EXPLAIN.includes(explain))
      throw new CliError(`invalid argument "${explain}" for "--explain": want ${EXPLAIN.join(', ')}`);
    // As in opa test, --explain turns on the verbose report.
    const verbose = values.verbose === true || explain !== undefined;
    const bench = values.bench === true;
    // opa test's default per-test timeout: 5 s, 30 s when benchmarking.
    const timeoutMs = values.timeout === undefined ? (bench ? 30_000 : 5000) : parseDuration(values.timeout as string);
    let run: RegExp | undefined;
    if (values.run !== undefined) {
      try {
        run = new RegExp(values.run as string);
      } catch (e) {
        throw new CliError(`--run: ${(e as Error).message}`);
      }
    }
    const ignore = values.ignore as string[] | undefined;
    const loaded = values.bundle === true ? loadBundles(positionals, { ignore }) : loadPaths(positionals, { ignore });
    const sources = new Map(loaded.modules.map((m) => [m.name, m.text]));
    const policy = compileLoaded(loaded, values['v0-compatible'] === true, { renameDuplicateTests: true });
    const coverage = values.coverage === true ? new CoverageTracer() : undefined;
    const results = runTests(policy, {
      run,
      timeoutMs,
      benchMs: bench ? 1000 : undefined,
      // opa test traces in verbose mode; --coverage overrides tracing for explanations.
      trace: verbose && !coverage ? { mode: explain as ExplainMode | undefined } : undefined,
      coverage,
    });
    if (coverage) return coverageReport(results, coverage, policy, values.threshold as string | undefined);
    if (format === 'json') process.stdout.write(jsonReport(results) + '\n');
    else process.stdout.write(prettyReport(results, verbose, sources));
    const skipOk = values['exit-zero-on-skipped'] === true;
    if (results.some((r) => !passed(r) && !(r.skip && skipOk))) return 2;
    if (results.length === 0 && values['fail-on-empty'] === true) {
      process.stderr.write('no tests were run\n');
      return 1;
    }
    return 0;
  } catch (e) {
    // opa test prints a load or compile error as is and exits 1.
    if (e instanceof CliError || e instanceof RegoError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const QUERY_LOC = { file: '', line: 1, col: 1 };

/**
 * --coverage: OPA's JSONCoverageReporter. An error stops it (exit 1); failed tests are reported
 * as the pretty report does and the first is named on stderr (exit 1); coverage under
 * --threshold is exit 2; otherwise the report as JSON.
 */
function coverageReport(
  results: TestResult[],
  coverage: CoverageTracer,
  policy: Policy,
  threshold: string | undefined,
): number {
  const limit = threshold === undefined ? 0 : Number(threshold);
  if (!Number.isFinite(limit) || limit < 0 || limit > 100)
    throw new CliError(`--threshold: want a percentage between 0 and 100, got "${threshold}"`);
  const errored = results.find((r) => r.error !== undefined);
  if (errored) {
    process.stderr.write(`${errored.error!.message}\n`);
    return 1;
  }
  const failures = results.filter((r) => r.fail);
  if (failures.length > 0) {
    process.stdout.write(prettyReport(failures, false));
    process.stderr.write(`${resultLine(failures[0]!)}\n`);
    return 1;
  }
  const report = coverage.report(coverageRows(policy.modules));
  if (report.coverage < limit) {
    process.stderr.write(
      `Code coverage threshold not met: got ${report.coverage.toFixed(2)} instead of ${limit.toFixed(2)}\n`,
    );
    return 2;
  }
  process.stdout.write(stringify(report) + '\n');
  return 0;
}

function passed(r: TestResult): boolean {
  return !r.fail && !r.skip && r.error === undefined;
}

/** A Go duration (`30s`, `1m30s`, `500ms`, `2h`) in milliseconds. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * unit[m[2]!]!;
    end = re.lastIndex;
  }
  if (s === '0') return 0;
  if (end === 0 || end !== s.length)
    throw new CliError(`invalid argument "${s}" for "--timeout": want a duration such as 30s or 500ms`);
  return total;
}

interface Found {
  rule: Rule;
  pkg: string[];
  file: string;
  /** The rule's ground ref up to and including the test name. */
  ref: Value[];
  skip: boolean;
}

/** Every test rule of every module, in module order (opa test reports file by file). */
function discover(policy: Policy): Found[] {
  const out: Found[] = [];
  for (const mod of policy.modules) {
    for (const rule of mod.rules) {
      // A function is no test case: it has no value to check without arguments.
      if (rule.args || isCaseRule(rule)) continue;
      const i = testNameIndex(rule.ref);
      if (i < 0) continue;
      const ref = rule.ref.slice(0, i + 1).map(refKey);
      out.push({ rule, pkg: mod.pkg, file: mod.file, ref, skip: String(ref[i]).startsWith('todo_test_') });
    }
  }
  return out;
}

function refKey(t: Term): Value {
  return t.type === 'var' ? t.name : (t as { value: Value }).value;
}

/** OPA's Ref.String() of data + path: `.name` where the key is a plain name, `["k"]` otherwise. */
export function refString(path: Value[]): string {
  let s = 'data';
  for (const k of path)
    s += typeof k === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  return s;
}

export function runTests(policy: Policy, opts: TestRunOptions = {}): TestResult[] {
  const out: TestResult[] = [];
  // Each rule is a test of its own, as in opa test (duplicates were renamed test_x#01, ...).
  for (const t of discover(policy)) {
    const full = [...t.pkg, ...t.ref];
    if (opts.run && !opts.run.test(refString(full))) continue;
    const base: TestResult = {
      location: { file: t.file, row: t.rule.loc.line, col: t.rule.loc.col },
      package: refString(t.pkg),
      // Ref.String() of the rule's ref: its head as written (test_x#01 too), then the path.
      name: String(t.ref[0]) + refString(t.ref.slice(1)).slice('data'.length),
      durationNs: 0n,
      fail: false,
      skip: t.skip,
      output: '',
      sub: new Map(),
    };
    if (t.skip) {
      out.push(base);
      continue;
    }
    let output = '';
    const buffer = opts.trace ? new BufferTracer() : undefined;
    const tracer = tee(buffer, opts.coverage);
    const query = refString(full);
    // The query's own events, as the query `data.pkg.test_x` has them (the rules run below it).
    const queryEvent = (op: TraceEvent['op']): void =>
      buffer?.event({ op, qid: 0, parent: -1, loc: QUERY_LOC, text: query });
    queryEvent('Enter');
    queryEvent('Eval');
    const t0 = process.hrtime.bigint();
    try {
      const v = policy.evalPath(full, undefined, {
        strict: false,
        timeoutMs: opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : undefined,
        print: (m) => void (output += m + '\n'),
        tracer,
      });
      queryEvent(v === undefined ? 'Fail' : 'Exit');
      const partial = isPartialObject(t);
      judge(base, v, partial);
      if (partial) {
        // Cases whose body failed are absent from the value: the companion rule lists them all.
        const casesPath = [...t.pkg, ...t.ref.slice(0, -1), testCasesName(String(t.ref[t.ref.length - 1]))];
        const cases = policy.evalPath(casesPath, undefined, {
          strict: false,
          timeoutMs: opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : undefined,
        });
        if (cases instanceof ObjectValue && addMissingCases(cases, base.sub)) base.fail = true;
      }
    } catch (e) {
      if (!(e instanceof RegoError)) throw e;
      base.error = e;
    }
    base.durationNs = process.hrtime.bigint() - t0;
    base.output = output;
    if (buffer) base.trace = explainFilter(buffer.events, opts.trace!.mode);
    if (opts.benchMs && passed(base)) base.bench = benchmark(policy, full, opts.benchMs);
    out.push(base);
  }
  return out;
}

/**
 * Times a passing test as Go's testing.Benchmark does: runs of 1, then more evaluations,
 * each run sized from the last one's time, until one run lasts about `ms`; reports that run.
 */
function benchmark(policy: Policy, path: Value[], ms: number): { n: number; ns: bigint } {
  const target = BigInt(Math.round(ms * 1e6));
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) policy.evalPath(path, undefined, { strict: false, print: () => {} });
    const ns = process.hrtime.bigint() - t0;
    if (ns >= target || n >= 1_000_000_000) return { n, ns };
    // Go: predict the count for the target with 20% headroom, grow at most 100x, at least by 1.
    const perOp = Number(ns) / n || 1;
    const next = Math.round((Number(target) * 1.2) / perOp);
    n = Math.max(Math.min(next, n * 100), n + 1);
  }
}

/** Go's BenchmarkResult.String() for the ns/op figure: N, then ns/op with Go's widths. */
function benchLine(r: TestResult): string {
  const { n, ns } = r.bench!;
  const perOp = Number(ns) / n;
  const y = Math.abs(perOp);
  const fmt =
    y === 0 || y >= 999.95
      ? perOp.toFixed(0).padStart(10)
      : y >= 99.995
        ? perOp.toFixed(1).padStart(12)
        : y >= 9.9995
          ? perOp.toFixed(2).padStart(13)
          : perOp.toFixed(3).padStart(14);
  return `${r.package}.${r.name}\t${String(n).padStart(8)}\t${fmt} ns/op`;
}

/**
 * `test_x[case] if ...` (OPA 1.x syntax): a partial object whose values are the cases' outcomes.
 * A head ending in a key to compute is one (OPA's PartialObjectDoc); `test_x.y if ...` is a
 * complete document, and its value (an object) fails as any non-true value does.
 */
function isPartialObject(t: Found): boolean {
  return t.rule.ref.length > t.ref.length && !t.rule.multi && t.rule.ref[t.rule.ref.length - 1]!.type !== 'scalar';
}

function judge(r: TestResult, v: Value | undefined, partialObject: boolean): void {
  if (v === undefined) r.fail = true;
  else if (partialObject && v instanceof ObjectValue) r.fail = subResults(v, r.sub);
  else r.fail = v !== true;
}

/** Fills `into` with one entry per key; returns whether any leaf is not true. */
function subResults(o: ObjectValue, into: Map<string, SubResult>): boolean {
  let fail = false;
  for (const [k, v] of o.sortedEntries()) {
    const name = typeof k === 'string' ? k : JSON.stringify(toJS(k));
    const sr: SubResult = { name, fail: false, sub: new Map() };
    if (v instanceof ObjectValue) sr.fail = subResults(v, sr.sub);
    else sr.fail = v !== true;
    if (sr.fail) fail = true;
    into.set(name, sr);
  }
  return fail;
}

/** Adds a failed sub-result for every case of `cases` not in `into`; returns whether any was. */
function addMissingCases(cases: ObjectValue, into: Map<string, SubResult>): boolean {
  let added = false;
  for (const [k, v] of cases.sortedEntries()) {
    const name = typeof k === 'string' ? k : JSON.stringify(toJS(k));
    let sr = into.get(name);
    if (!sr) {
      sr = { name, fail: true, sub: new Map() };
      into.set(name, sr);
      added = true;
    }
    if (v instanceof ObjectValue && addMissingCases(v, sr.sub)) {
      sr.fail = true;
      added = true;
    }
  }
  return added;
}

function outcome(r: TestResult): string {
  if (passed(r)) return 'PASS';
  if (r.fail) return 'FAIL';
  if (r.skip) return 'SKIPPED';
  return 'ERROR';
}

/** Every sub-result depth first, by sorted key, with its depth. */
function* iterSubs(m: Map<string, SubResult>, depth = 0): Generator<[number, SubResult]> {
  for (const k of [...m.keys()].sort()) {
    const sr = m.get(k)!;
    yield [depth, sr];
    yield* iterSubs(sr.sub, depth + 1);
  }
}

/**
 * opa test's pretty report (tester.PrettyReporter). sources: the text of the modules, for the
 * expressions a trace shows.
 */
export function prettyReport(
  results: TestResult[],
  verbose: boolean,
  sources: ReadonlyMap<string, string> = new Map(),
): string {
  let s = '';
  const line = (x = ''): void => void (s += x + '\n');
  const hl = '-'.repeat(80);
  let dirty = false;
  let pass = 0;
  let fail = 0;
  let skip = 0;
  let errs = 0;
  let lastFile = '';
  const failures: TestResult[] = [];
  for (const r of results) {
    if (r.skip) skip++;
    else if (r.error) errs++;
    else {
      if (r.fail) failures.push(r);
      if (r.sub.size > 0) {
        // Only leaf cases count.
        for (const [, sr] of iterSubs(r.sub)) if (sr.sub.size === 0) sr.fail ? fail++ : pass++;
      } else if (passed(r)) pass++;
      else fail++;
    }
    if (passed(r) && r.bench) {
      // --bench: a passing test is its timing line, as in opa test --bench.
      dirty = true;
      line(benchLine(r));
    } else if (verbose || !passed(r)) {
      if (lastFile !== '' && lastFile !== r.location.file) line();
      line(`${r.location.file}:${r.location.row}:`);
      lastFile = r.location.file;
      dirty = true;
      line(resultLine(r));
      for (const [depth, sr] of iterSubs(r.sub))
        if (sr.fail || verbose) line(`  ${'  '.repeat(depth)}${sr.name}: ${sr.fail ? 'FAIL' : 'PASS'}`);
      if (r.output.length > 0) {
        line();
        line(indent(r.output.trim(), '  '));
        line();
      }
    }
    if (r.error) line(`  ${r.error.message}`);
  }
  if (fail > 0 && verbose) {
    line(hl);
    line('FAILURES');
    line(hl);
    for (const f of failures) {
      line(resultLine(f));
      if (f.trace && f.trace.length > 0) {
        // opa test: a blank line, then the trace indented by two.
        line();
        for (const l of prettyTrace(f.trace, sources)) line(`  ${l}`);
        if (f.sub.size > 0) line();
      }
      for (const [depth, sr] of iterSubs(f.sub))
        if (sr.fail && sr.sub.size === 0) line(`  ${'  '.repeat(depth)}${sr.name}: FAIL`);
      line();
    }
  }
  if (dirty) line(hl);
  const total = pass + fail + skip + errs;
  if (pass) line(`PASS: ${pass}/${total}`);
  if (fail) line(`FAIL: ${fail}/${total}`);
  if (skip) line(`SKIPPED: ${skip}/${total}`);
  if (errs) line(`ERROR: ${errs}/${total}`);
  return s;
}

function resultLine(r: TestResult): string {
  const head = `${r.package}.${r.name}: ${outcome(r)}`;
  return r.skip ? head : `${head} (${goDuration(r.durationNs)})`;
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** Go's time.Duration.String(): 1.234567ms, 812.3µs, 2.5s, 950ns. */
export function goDuration(ns: bigint): string {
  const n = Number(ns);
  const fmt = (v: number, unit: string, digits: number): string => `${v.toFixed(digits).replace(/\.?0+$/, '')}${unit}`;
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return fmt(n / 1e3, 'µs', 3);
  if (n < 1e9) return fmt(n / 1e6, 'ms', 6);
  if (n < 60e9) return fmt(n / 1e9, 's', 9);
  const m = Math.floor(n / 60e9);
  return `${m}m${fmt((n - m * 60e9) / 1e9, 's', 9)}`;
}

/** opa test --format json (tester.JSONReporter): an array of results, Go's field names and order. */
export function jsonReport(results: TestResult[]): string {
  const subJSON = (m: Map<string, SubResult>): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const k of [...m.keys()].sort()) {
      const sr = m.get(k)!;
      const e: Record<string, unknown> = {};
      if (sr.sub.size > 0) e.sub_results = subJSON(sr.sub);
      e.name = sr.name;
      if (sr.fail) e.fail = true;
      o[k] = e;
    }
    return o;
  };
  return stringify(
    results.map((r) => {
      const o: Record<string, unknown> = {};
      if (r.error) {
        const err: Record<string, unknown> = { code: r.error.code, message: r.error.detail };
        if (r.error.file !== undefined)
          err.location = { file: r.error.file, row: r.error.line ?? 0, col: r.error.col ?? 0 };
        o.error = err;
      }
      o.location = r.location;
      // Go's testing.BenchmarkResult: N runs taking T ns (memory figures are not measured here).
      if (r.bench) o.benchmark_result = { N: r.bench.n, T: r.bench.ns };
      if (r.sub.size > 0) o.sub_results = subJSON(r.sub);
      o.package = r.package;
      o.name = r.name;
      // Go marshals the captured output ([]byte) as base64.
      if (r.output.length > 0) o.output = Buffer.from(r.output).toString('base64');
      o.duration = r.durationNs;
      if (r.fail) o.fail = true;
      if (r.skip) o.skip = true;
      return o;
    }),
  );
}
