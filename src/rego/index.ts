// dockgate's Rego engine: the public surface. Everything else under src/rego is internal.
//
//   const policy = compile([{ name: 'authz.rego', text }]);        // throws RegoError (file:line:col)
//   policy.evalRef('data.docker.authz.allow', input)                // the decision hot path: Value | undefined
//   policy.evalRefs(['data.docker.authz.allow', 'data.docker.authz.deny'], input)  // one evaluation, shared rules
//   policy.eval('data.docker.authz.deny[msg]', { input })           // full query: solutions with bindings
//
// Limits: pass { maxSteps, timeoutMs } (or an absolute deadline) in the options; without them
// an evaluation is unbounded.
//
// Evaluation errors (conflicts, strict builtin errors, step budget, deadline) are thrown as
// RegoError; callers deciding on access must treat any error as deny (fail closed).
import './builtins/index.js';
import type { Module, Literal, Rule, Term } from './ast.js';
import { compileModules, RuleCompiler, childNode, MAX_ERRORS, type CompiledPolicy } from './compiler.js';
import { RegoError, RegoErrors } from './errors.js';
import { Evaluator, type EvalLimits } from './evaluator.js';
import { sharedValues, type SharedValues } from './state.js';
import type { CLit, RuleNode } from './ir.js';
import { parseModule, parseQuery } from './parser.js';
import { readSnapshot, writeSnapshot, type Snapshot } from './snapshot.js';
import type { Tracer } from './trace.js';
import { ObjectValue, type Value } from './value.js';

export { RegoError, RegoErrors } from './errors.js';
export { parseJSON, JSONSyntaxError } from './json-parse.js';
export { parseModule, parseQueryWithText } from './parser.js';
export { SnapshotError, type Snapshot } from './snapshot.js';
// Tracing (trace.ts) is loaded by the commands that trace, not with the engine.
export type { ExplainMode, TraceEvent, Tracer } from './trace.js';
export * from './value.js';

export interface ModuleSource {
  /** File name used in messages (e.g. "policy/authz.rego"). */
  name: string;
  text: string;
  /** Parse this module as OPA 0.x (a bundle manifest's rego_version 0). */
  v0?: boolean;
}

export interface CompileOptions {
  /** Read `# METADATA` annotations (default true); see ParseOptions.metadata for when not to. */
  metadata?: boolean;
  /** Parse every module as OPA 0.x (`--v0-compatible`). */
  v0?: boolean;
  /** Default base document for evaluations that pass no `data`. */
  data?: Value;
  /**
   * `opa test`'s RewriteDuplicateTestNames: the second and later test_ rules of one name in a
   * package become test_x#01, test_x#02, ... so that each runs (and fails) on its own.
   */
  renameDuplicateTests?: boolean;
  /**
   * OPA's reading of `not` over operands that are undefined: `not f(input.missing)` and
   * `not obj[input.missing]` fail, as OPA binds operands before the negation (OPA issues 1877,
   * 4743). dockgate test/eval/bench/policy check turn it on; off by default because the built-in
   * policy pack still relies on the other reading (see compiler.ts CompileModulesOptions).
   */
  opaNegation?: boolean;
}

export interface EvalOptions extends EvalLimits {
  input?: Value;
  /** Base document (`data`); defaults to the policy's compile-time data. */
  data?: Value;
  /** Strict builtin errors: a failing builtin raises instead of being undefined. */
  strict?: boolean;
  /** Where `print` output goes (default: stderr). */
  print?: (msg: string) => void;
  /** Milliseconds from now after which evaluation stops with eval_cancel_error. */
  timeoutMs?: number;
  /**
   * Receives the evaluation's trace events (trace.ts). A traced query keeps no rule value
   * across queries, so that every rule it needs is evaluated, and shown, again.
   */
  tracer?: Tracer;
}

export interface QueryResult {
  /** Values of the query's named variables. */
  bindings: Map<string, Value>;
  /** Value of each query expression, in source order (true for unifications). */
  expressions: Value[];
}

interface CompiledQuery {
  body: CLit[];
  nslots: number;
  vars: Map<string, number>;
  captures: (number | undefined)[];
  text: string;
}

export class Policy {
  private readonly queries = new Map<string, CompiledQuery>();
  private readonly emptyData = new ObjectValue();

  constructor(
    private readonly compiled: CompiledPolicy,
    /** Warnings from loading (e.g. a module that fell back to 0.x syntax). */
    readonly warnings: string[],
    private readonly defaultData: Value | undefined,
  ) {}

  get modules(): readonly Module[] {
    return this.compiled.modules;
  }

  /** The same compiled rules over another base document: what a new load() with other data gives. */
  withData(data: Value | undefined): Policy {
    return new Policy(this.compiled, this.warnings, data);
  }

  /**
   * The compiled policy as JSON-able data (snapshot.ts), with `meta` for the reader to check: the
   * compiled rules, and apart from them the syntax trees, which a decision never reads.
   */
  snapshot(meta: unknown): { policy: Snapshot; modules: Snapshot } {
    const { modules, ...rest } = this.compiled;
    return { policy: writeSnapshot([rest, this.warnings], meta), modules: writeSnapshot([modules], meta) };
  }

  /**
   * A policy read back from `snapshot()`: the same compiled rules, without parsing or compiling.
   * `modules` gives the syntax trees' snapshot when something first asks for them.
   */
  static fromSnapshot(snapshot: Snapshot, modules: () => Snapshot, data?: Value): Policy {
    const reader = readSnapshot(snapshot);
    const compiled = reader.part(0) as CompiledPolicy;
    let trees: Module[] | undefined;
    Object.defineProperty(compiled, 'modules', {
      get: () => {
        trees ??= readSnapshot(modules()).part(0) as Module[];
        return trees;
      },
      enumerable: true,
      configurable: true,
    });
    return new Policy(compiled, reader.part(1) as string[], data);
  }

  /**
   * Every decision depends on input and data alone (no clock, randomness, network or print):
   * an identical input may reuse an earlier result.
   */
  get deterministic(): boolean {
    return this.compiled.deterministic;
  }

  /** Compiles (once, cached) and runs a query; returns every solution. */
  eval(query: string, opts: EvalOptions = {}): QueryResult[] {
    const q = this.query(query);
    const ev = this.evaluator(opts, opts.input);
    const out: QueryResult[] = [];
    guardDepth(() =>
      ev.run(q.body, q.nslots, (f) => {
        const bindings = new Map<string, Value>();
        for (const [name, slot] of q.vars) {
          const v = f[slot];
          if (v !== undefined) bindings.set(name, v);
        }
        const expressions = q.captures.map((slot) => (slot === undefined ? true : (f[slot] as Value)));
        out.push({ bindings, expressions });
        return false;
      }),
    );
    // An evaluation that threw is not reused: its state may be mid-query.
    this.release(ev);
    return out;
  }

  /**
   * The value of a ground data reference such as 'data.docker.authz.allow', or undefined.
   * The fast path for decisions: no query compilation, one cached rule-tree walk.
   */
  evalRef(ref: string, input?: Value, opts: EvalOptions = {}): Value | undefined {
    const ev = this.evaluator(opts, input ?? opts.input);
    let v: Value | undefined;
    try {
      v = this.refValue(ev, ref, opts);
    } catch (e) {
      throw depthError(e);
    }
    this.release(ev);
    return v;
  }

  /**
   * Several data references in one evaluation (e.g. allow, deny and mutate of one decision):
   * rules they share are evaluated once. Values are in the order of `refs`.
   */
  evalRefs(refs: readonly string[], input?: Value, opts: EvalOptions = {}): (Value | undefined)[] {
    const ev = this.evaluator(opts, input ?? opts.input);
    const out: (Value | undefined)[] = new Array(refs.length);
    try {
      for (let i = 0; i < refs.length; i++) out[i] = this.refValue(ev, refs[i]!, opts);
    } catch (e) {
      throw depthError(e);
    }
    this.release(ev);
    return out;
  }

  /** The value of data at `path` (keys as values: a test named test_x#01 has no ref text). */
  evalPath(path: readonly Value[], input?: Value, opts: EvalOptions = {}): Value | undefined {
    const ev = this.evaluator(opts, input ?? opts.input);
    let v: Value | undefined;
    try {
      v = this.valueAt(ev, this.resolvePath(path), opts);
    } catch (e) {
      throw depthError(e);
    }
    this.release(ev);
    return v;
  }

  private refValue(ev: Evaluator, ref: string, opts: EvalOptions): Value | undefined {
    let r = this.refs.get(ref);
    if (!r) {
      r = this.resolveRef(ref);
      if (this.refs.size >= 1024) this.refs.clear();
      this.refs.set(ref, r);
    }
    return this.valueAt(ev, r, opts);
  }

  private valueAt(
    ev: Evaluator,
    r: { node: RuleNode; nodePath: Value[]; rest: Value[] },
    opts: EvalOptions,
  ): Value | undefined {
    let base: Value | undefined = opts.data ?? this.defaultData ?? this.emptyData;
    for (const key of r.nodePath) base = base instanceof ObjectValue ? base.get(key) : undefined;
    let v = ev.nodeValue(r.node, base);
    // Past the rule tree: finish the walk inside the node's value.
    for (let j = 0; j < r.rest.length && v !== undefined; j++)
      v = v instanceof ObjectValue ? v.get(r.rest[j]!) : undefined;
    return v;
  }

  private readonly refs = new Map<string, { node: RuleNode; nodePath: Value[]; rest: Value[] }>();

  private resolveRef(ref: string): { node: RuleNode; nodePath: Value[]; rest: Value[] } {
    const path = ref.split('.');
    if (path[0] !== 'data') throw new RegoError('rego_compile_error', `evalRef: ${ref} is not a data reference`);
    return this.resolvePath(path.slice(1));
  }

  private resolvePath(path: readonly Value[]): { node: RuleNode; nodePath: Value[]; rest: Value[] } {
    let node = this.compiled.root;
    let i = 0;
    for (; i < path.length; i++) {
      const child = childNode(node, path[i]!, false);
      if (!child) break;
      node = child;
    }
    return { node, nodePath: path.slice(0, i), rest: path.slice(i) };
  }

  /**
   * Values of data-only rules (purity.ts) kept across queries, for the last data document seen
   * in each strictness mode (strict mode turns builtin errors into errors, not undefined).
   * A query on another data document starts afresh: data is compared by identity.
   */
  private readonly shared: (SharedValues | undefined)[] = [undefined, undefined];

  private sharedFor(data: Value, strict: boolean): SharedValues {
    const i = strict ? 1 : 0;
    let s = this.shared[i];
    if (s === undefined || s.data !== data) this.shared[i] = s = sharedValues(data, strict, this.compiled.nodeCount);
    return s;
  }

  /** An idle evaluator kept for the next query (evaluators are reused, not rebuilt). */
  private spare: Evaluator | undefined;

  private evaluator(opts: EvalOptions, input: Value | undefined): Evaluator {
    const data = opts.data ?? this.defaultData ?? this.emptyData;
    const shared =
      opts.tracer === undefined
        ? this.sharedFor(data, opts.strict === true)
        : sharedValues(data, opts.strict === true, this.compiled.nodeCount);
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : (opts.deadline ?? 0);
    let ev = this.spare;
    if (ev === undefined) ev = new Evaluator(this.compiled.root, this.compiled.nodeCount, this.compiled.guardPaths);
    else this.spare = undefined;
    ev.reset(input, shared, opts.print, opts.maxSteps ?? 0, deadline, opts.tracer);
    return ev;
  }

  private release(ev: Evaluator): void {
    this.spare = ev;
  }

  private query(text: string): CompiledQuery {
    let q = this.queries.get(text);
    if (!q) {
      const body: Literal[] = parseQuery(text, 'query');
      const c = new RuleCompiler(this.compiled.root, new Map(), undefined, this.compiled.opaNegation).compileQuery(
        body,
      );
      q = { ...c, text };
      // Bounded: callers building queries from request data must not grow this without limit.
      if (this.queries.size >= 1024) this.queries.clear();
      this.queries.set(text, q);
    }
    return q;
  }
}

/** Runs an evaluation, turning a JS stack overflow (runaway recursion depth) into a RegoError. */
function guardDepth<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw depthError(e);
  }
}

/** What an evaluation error is reported as: a JS stack overflow is runaway recursion depth. */
function depthError(e: unknown): unknown {
  if (e instanceof RangeError) return new RegoError('eval_budget_error', `evaluation too deep: ${e.message}`);
  return e;
}

/**
 * Parses and compiles modules into a Policy. OPA 1.x syntax unless `v0`; a module that fails
 * as 1.x but parses as 0.x is loaded as 0.x with a warning naming the file (DESIGN).
 */
export function compile(sources: ModuleSource[], opts: CompileOptions = {}): Policy {
  const warnings: string[] = [];
  try {
    // Each module is parsed even after one fails: all files' syntax errors are reported at once.
    const modules: Module[] = [];
    const errors: RegoError[] = [];
    for (const s of sources) {
      try {
        modules.push(loadModule(s, !!opts.v0 || !!s.v0, warnings, opts.metadata ?? true));
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        errors.push(e);
        if (errors.length >= MAX_ERRORS) break;
      }
    }
    if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new RegoErrors(errors);
    if (opts.renameDuplicateTests) {
      renameDuplicateTests(modules);
      caseRules(modules);
      try {
        return new Policy(compileModules(modules, { opaNegation: opts.opaNegation }), warnings, opts.data);
      } catch (e) {
        // A companion the key analysis got wrong must not stop the tests: compile without them.
        if (!(e instanceof RegoError)) throw e;
        for (const m of modules) m.rules = m.rules.filter((r) => !isCaseRule(r));
      }
    }
    return new Policy(compileModules(modules, { opaNegation: opts.opaNegation }), warnings, opts.data);
  } catch (e) {
    if (e instanceof RangeError)
      throw new RegoError('rego_compile_error', `policy too deeply nested to compile: ${e.message}`);
    throw e;
  }
}

function loadModule(src: ModuleSource, v0: boolean, warnings: string[], metadata: boolean): Module {
  // `import rego.v1` opts a module into 1.x syntax even in 0.x mode.
  const wantsV1 = /^\s*import\s+rego\.v1\b/m.test(src.text);
  if (v0 && !wantsV1) return parseModule(src.text, src.name, { v0: true, metadata });
  try {
    return parseModule(src.text, src.name, { metadata });
  } catch (e1) {
    if (wantsV1 || !(e1 instanceof RegoError)) throw e1;
    let mod: Module;
    try {
      mod = parseModule(src.text, src.name, { v0: true, metadata });
    } catch {
      throw e1;
    }
    warnings.push(
      `${src.name}: parsed as OPA 0.x syntax (not valid 1.x: ${e1.message}); add \`if\`/\`contains\` or use --v0-compatible`,
    );
    return mod;
  }
}

/**
 * Where a rule's test name sits in its head: the first element of the ground prefix that starts
 * with test_ or todo_test_ (OPA's tester: `p.test_x` and `test_x[case]` both name test_x).
 */
export function testNameIndex(ref: readonly Term[]): number {
  for (let i = 0; i < ref.length; i++) {
    const t = ref[i]!;
    let n: string;
    if (i === 0 && t.type === 'var') n = t.name;
    else if (t.type === 'scalar' && typeof t.value === 'string') n = t.value;
    else if (t.type === 'scalar') n = '';
    else return -1;
    if (n.startsWith('test_') || n.startsWith('todo_test_')) return i;
  }
  return -1;
}

/** The rule that lists the cases of partial-object test `name` (see caseRules). */
export function testCasesName(name: string): string {
  return `${name}#cases`;
}

/**
 * opa test reports each case of a partial-object test (`test_x[c.note] if { some c in cases;
 * ... }`), failing ones included: it marks each case as soon as its key is bound, before the
 * rest of the body can fail. Here a companion rule `test_x#cases[key] := true` holds the
 * shortest leading part of the body that binds the key's vars, so the runner knows every case
 * and can report the ones missing from the test's value as failed. A test whose key cannot be
 * bound that way gets no companion (its absent cases go unreported).
 */
function caseRules(modules: Module[]): void {
  for (const mod of modules) {
    const extra: Rule[] = [];
    for (const rule of mod.rules) {
      const i = testNameIndex(rule.ref);
      if (
        i < 0 ||
        rule.multi ||
        rule.args ||
        rule.ref.length <= i + 1 ||
        rule.ref[rule.ref.length - 1]!.type === 'scalar'
      )
        continue;
      const t = rule.ref[i]!;
      const name = t.type === 'var' ? t.name : String((t as { value: Value }).value);
      if (!name.startsWith('test_')) continue;
      const keyVars = new Set<string>();
      for (const k of rule.ref.slice(i + 1)) termVarNames(k, keyVars);
      const bound = new Set<string>();
      let n = 0;
      while (n < rule.body.length && [...keyVars].some((v) => !bound.has(v))) bindsOf(rule.body[n++]!, bound);
      if ([...keyVars].some((v) => !bound.has(v))) continue;
      const renamed = testCasesName(name);
      const ref = [...rule.ref];
      ref[i] = t.type === 'var' ? { ...t, name: renamed } : { type: 'scalar', value: renamed, loc: t.loc };
      const body: Literal[] =
        n > 0
          ? rule.body.slice(0, n)
          : [
              {
                type: 'expr',
                term: { type: 'scalar', value: true, loc: rule.loc },
                negated: false,
                with: [],
                loc: rule.loc,
              },
            ];
      extra.push({
        ...rule,
        ref,
        body,
        value: { type: 'scalar', value: true, loc: rule.loc },
        elseRule: undefined,
        isDefault: false,
        annotations: undefined,
      });
    }
    mod.rules.push(...extra);
  }
}

/** A companion rule made by caseRules. */
export function isCaseRule(r: Rule): boolean {
  return r.ref.some(
    (t) =>
      (t.type === 'var' ? t.name : t.type === 'scalar' ? t.value : undefined)?.toString().endsWith('#cases') === true,
  );
}

function termVarNames(t: Term, out: Set<string>): void {
  switch (t.type) {
    case 'var':
      if (t.name !== '_') out.add(t.name);
      return;
    case 'ref':
      termVarNames(t.head, out);
      for (const p of t.path) termVarNames(p, out);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) termVarNames(x, out);
      return;
    case 'object':
      for (const [k, v] of t.entries) termVarNames(k, out), termVarNames(v, out);
      return;
    case 'call':
      for (const a of t.args) termVarNames(a, out);
      return;
    default:
      return;
  }
}

/** Vars a literal can bind: sides of = and :=, some-in patterns, vars iterating in refs. */
function bindsOf(l: Literal, out: Set<string>): void {
  if (l.type === 'somein') {
    if (l.key) termVarNames(l.key, out);
    termVarNames(l.value, out);
    refKeyVars(l.coll, out);
  } else if (l.type === 'expr' && !l.negated) {
    const t = l.term;
    if (t.type === 'call' && (t.fn[0] === 'eq' || t.fn[0] === 'assign') && t.fn.length === 1)
      for (const a of t.args) termVarNames(a, out);
    else refKeyVars(t, out);
  }
}

/** Vars in ref paths (`xs[i]` binds i), anywhere in a term. */
function refKeyVars(t: Term, out: Set<string>): void {
  if (t.type === 'ref') for (const p of t.path) termVarNames(p, out);
  if (t.type === 'call') for (const a of t.args) refKeyVars(a, out);
  if (t.type === 'array' || t.type === 'set') for (const x of t.items) refKeyVars(x, out);
}

function renameDuplicateTests(modules: Module[]): void {
  const count = new Map<string, number>();
  for (const mod of modules) {
    for (const rule of mod.rules) {
      const i = testNameIndex(rule.ref);
      if (i < 0) continue;
      const t = rule.ref[i]!;
      const name = t.type === 'var' ? t.name : String((t as { value: Value }).value);
      if (!name.startsWith('test_')) continue;
      const key = JSON.stringify([
        ...mod.pkg,
        ...rule.ref.slice(0, i).map((x) => (x.type === 'var' ? x.name : (x as { value: Value }).value)),
        name,
      ]);
      const k = count.get(key);
      if (k !== undefined) {
        const renamed = `${name}#${String(k).padStart(2, '0')}`;
        const ref = [...rule.ref];
        ref[i] = t.type === 'var' ? { ...t, name: renamed } : { type: 'scalar', value: renamed, loc: t.loc };
        rule.ref = ref;
      }
      count.set(key, (k ?? 0) + 1);
    }
  }
}
