// Compiles parsed modules into the rule tree and compiled bodies the evaluator runs.
//
// Stages, in order: place every rule in the rule tree by package path + ground head prefix;
// resolve names (locals to slots, rule names and imports to data refs, calls to functions or
// builtins); reorder every body for safety (safety.ts: a literal runs once the vars it needs
// are bound, as OPA's reorderBodyForSafety) and report unsafe vars; then whole-policy checks
// (checks.ts: conflicting rules, recursion) and rule indexes (ruleindex.ts).
import type { Literal, Loc, Module, Rule, Term, With } from './ast.js';
import { lookupBuiltin } from './builtins/registry.js';
import { compileError, RegoError, RegoErrors } from './errors.js';

/** Compile errors reported at most (OPA's default error limit). */
export const MAX_ERRORS = 10;
import { checkConflicts, checkRecursion } from './checks.js';
import { Metadata } from './metadata.js';
import { assignGuardSlots, buildIndex, indexGuards } from './ruleindex.js';
import { builtinPure, markPure } from './purity.js';
import { collectSlots, firstUnbound, litOutputs, reorder } from './safety.js';
import {
  K,
  L,
  type CLit,
  type CRule,
  type CTerm,
  type CWith,
  type CallTarget,
  type DataDispatch,
  type RuleNode,
} from './ir.js';
import { ObjectValue, SetValue, equal, hashKey, type Value } from './value.js';

export interface CompiledPolicy {
  root: RuleNode;
  /** Number of rule-tree nodes (ids are 0..nodeCount-1). */
  nodeCount: number;
  /** The input paths rule guards and indexes test, by slot (ruleindex.ts). */
  guardPaths: string[][];
  /**
   * No rule calls a builtin that reads the clock, randomness, the network or the query context,
   * nor print (directly or as a `with` replacement): a result depends on input and data alone.
   */
  deterministic: boolean;
  modules: Module[];
  /** Compiled with CompileModulesOptions.opaNegation (queries follow the same reading). */
  opaNegation: boolean;
}

function newNode(key: Value, path: Value[]): RuleNode {
  return {
    id: 0,
    exact: [],
    allConst: false,
    key,
    path,
    name: ['data', ...path.map((p) => (typeof p === 'string' ? p : JSON.stringify(p)))].join('.'),
    children: new Map(),
    rules: [],
    isFunction: false,
    hasRules: false,
    dynamic: false,
    simple: false,
    // Every field is present from the start: nodes of one shape keep the evaluator's property
    // reads monomorphic (fields added later in varying orders gave each node its own shape).
    index: undefined,
    defaultRule: undefined,
    hasRuleDefs: false,
    isPackage: false,
    arity: undefined,
    pure: false,
  };
}

export function childNode(n: RuleNode, key: Value, create: boolean): RuleNode | undefined {
  const h = hashKey(key);
  let c = n.children.get(h);
  if (!c && create) {
    c = newNode(key, [...n.path, key]);
    n.children.set(h, c);
  }
  return c;
}

/** What a global name (rule in the package, import alias) stands for. */
type Global = { root: 'data' | 'input'; path: Value[] };

/** A lexical scope of local variables; nested for comprehensions, `not`, `every`. */
class Scope {
  readonly vars = new Map<string, number>();
  constructor(
    readonly alloc: { n: number },
    readonly parent?: Scope,
  ) {}
  lookup(name: string): number | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
  declare(name: string): number {
    const s = this.alloc.n++;
    this.vars.set(name, s);
    return s;
  }
  fresh(): number {
    return this.alloc.n++;
  }
  /** All slots of this scope and its ancestors. */
  allSlots(out = new Set<number>()): Set<number> {
    for (const s of this.vars.values()) out.add(s);
    this.parent?.allSlots(out);
    return out;
  }
}

interface Pending {
  rule: Rule;
  node: RuleNode;
  rest: Term[];
}

export interface CompileModulesOptions {
  /**
   * Bind the operands of a negated expression before the negation, as OPA's compiler does
   * (see RuleCompiler.bindNegatedOperands): `not f(input.missing)` then fails instead of
   * holding. Off by default until the built-in policy pack no longer relies on the old
   * reading (its require-limits rule: `not positive(lib.host_config[field])`).
   */
  opaNegation?: boolean;
}

export function compileModules(modules: Module[], opts: CompileModulesOptions = {}): CompiledPolicy {
  const root = newNode(null, []);
  const pending: Pending[] = [];
  // 1. Rule tree.
  for (const mod of modules) {
    let pkgNode = root;
    for (const p of mod.pkg) pkgNode = childNode(pkgNode, p, true)!;
    pkgNode.isPackage = true;
    for (const rule of mod.rules) {
      let node = pkgNode;
      let i = 0;
      const ref = rule.ref;
      node = childNode(node, (ref[0] as Extract<Term, { type: 'var' }>).name, true)!;
      i = 1;
      // Ground prefix: scalar elements. The last element of a single-value rule stays in the
      // prefix only if it is a scalar; multi-value rules keep their whole ground ref.
      while (i < ref.length && ref[i]!.type === 'scalar') {
        node = childNode(node, (ref[i] as Extract<Term, { type: 'scalar' }>).value, true)!;
        i++;
      }
      node.hasRuleDefs = true;
      pending.push({ rule, node, rest: ref.slice(i) });
    }
  }
  // 2. Compile rules.
  // OPA merges every module of a package before resolving names: a rule defined in one file of
  // a package is a global in every other file of that package (policy.rego + policy_test.rego).
  const pkgRules = new Map<string, Set<string>>();
  for (const mod of modules) {
    const k = mod.pkg.join('\u0000');
    let names = pkgRules.get(k);
    if (!names) pkgRules.set(k, (names = new Set()));
    for (const r of mod.rules) names.add((r.ref[0] as Extract<Term, { type: 'var' }>).name);
  }
  const globalsByModule = new Map<Module, Map<string, Global>>();
  for (const mod of modules) globalsByModule.set(mod, moduleGlobals(mod, pkgRules.get(mod.pkg.join('\u0000'))!));
  const metadata = new Metadata(modules);
  // Function-ness first: call resolution depends on it.
  for (const p of pending) {
    if (p.rule.args) {
      p.node.isFunction = true;
      p.node.arity = p.rule.args.length;
    }
  }
  // Every rule is compiled even after one fails, so that a policy's errors are reported
  // together (as OPA does, up to MAX_ERRORS), not one per attempt.
  const errors: RegoError[] = [];
  let deterministic = true;
  for (const p of pending) {
    try {
      const c = new RuleCompiler(root, globalsByModule.get(p.rule.module)!, metadata, opts.opaNegation === true);
      const cr = c.compileRule(p.rule, p.rest);
      if (c.callsImpure) deterministic = false;
      if (p.rule.isDefault) {
        if (p.node.defaultRule) throw compileError(`multiple default rules ${p.node.name} found`, p.rule.loc);
        p.node.defaultRule = cr;
      } else {
        p.node.rules.push(cr);
      }
      if (cr.rest.length > 0) p.node.dynamic = true;
      if (p.rule.args) p.node.arity = p.rule.args.length;
    } catch (e) {
      if (!(e instanceof RegoError) || e instanceof RegoErrors) throw e;
      errors.push(e);
      if (errors.length >= MAX_ERRORS) break;
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new RegoErrors(errors);
  markHasRules(root);
  checkConflicts(root);
  checkRecursion(root);
  const nodeCount = finishNodes(root, 0);
  markPure(root);
  return {
    root,
    modules,
    nodeCount,
    guardPaths: assignGuardSlots(root),
    deterministic,
    opaNegation: opts.opaNegation === true,
  };
}

/** Assigns ids and per-node evaluation facts; returns the next free id. */
function finishNodes(n: RuleNode, id: number): number {
  n.id = id++;
  n.exact = n.rules.filter((r) => r.rest.length === 0);
  const v0 = n.exact[0]?.value;
  n.allConst =
    n.exact.length > 0 &&
    v0?.k === K.Const &&
    n.exact.every((r) => r.constValue && !r.elseRule && r.value.k === K.Const && equal(r.value.v, v0.v));
  n.index = buildIndex(n.exact);
  n.simple = n.children.size === 0 && !n.dynamic;
  for (const c of n.children.values()) id = finishNodes(c, id);
  return id;
}

function markHasRules(n: RuleNode): boolean {
  let has = n.rules.length > 0 || n.defaultRule !== undefined || n.isPackage === true;
  for (const c of n.children.values()) if (markHasRules(c)) has = true;
  n.hasRules = has;
  return has;
}

/** The names a module resolves globally: every rule of its package (all files), then its imports. */
function moduleGlobals(mod: Module, pkgRules: Set<string>): Map<string, Global> {
  const g = new Map<string, Global>();
  for (const name of pkgRules) g.set(name, { root: 'data', path: [...mod.pkg, name] });
  for (const imp of mod.imports) {
    const parts = termPath(imp.path);
    if (!parts) continue;
    const [head, ...rest] = parts;
    if (head === 'future' || head === 'rego') continue;
    const alias = imp.alias ?? (rest.length > 0 ? String(rest[rest.length - 1]) : String(head));
    g.set(alias, { root: head as 'data' | 'input', path: rest });
  }
  return g;
}

function termPath(t: Term): Value[] | undefined {
  if (t.type === 'var') return [t.name];
  if (t.type !== 'ref' || t.head.type !== 'var') return undefined;
  const out: Value[] = [t.head.name];
  for (const p of t.path) {
    if (p.type !== 'scalar') return undefined;
    out.push(p.value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const SPECIAL: Record<string, CallTarget['special']> = {
  eq: 'eq',
  assign: 'assign',
  print: 'print',
};

export class RuleCompiler {
  private alloc = { n: 0 };

  /** Some call compiled here may give another result for the same input (see CompiledPolicy.deterministic). */
  callsImpure = false;

  /** The rule being compiled (for rego.metadata.*). */
  private current: Rule | undefined;

  constructor(
    private readonly root: RuleNode,
    private readonly globals: Map<string, Global>,
    private readonly metadata?: Metadata,
    private readonly opaNegation = false,
  ) {}

  compileRule(rule: Rule, rest: Term[]): CRule {
    this.alloc = { n: 0 };
    this.current = rule;
    const scope = new Scope(this.alloc);
    const bound = new Set<number>();
    let args: CTerm[] | undefined;
    if (rule.args?.some((a) => !isArgPattern(a))) {
      // An argument that must be computed (a template string, a call) becomes a fresh
      // parameter checked in the body, where the vars it uses can be bound first.
      const extra: Literal[] = [];
      const params = rule.args.map((a, i) => {
        if (isArgPattern(a)) return a;
        const v: Term = { type: 'var', name: `__arg${i}__`, loc: a.loc };
        extra.push({
          type: 'expr',
          negated: false,
          with: [],
          loc: a.loc,
          term: { type: 'call', fn: ['eq'], fnTerm: { type: 'var', name: 'eq', loc: a.loc }, args: [v, a], loc: a.loc },
        });
        return v;
      });
      rule = { ...rule, args: params, body: [...rule.body, ...extra] };
    }
    if (rule.args) {
      // Argument vars are declared first: they are bound when the function is called.
      for (const a of rule.args) this.declarePatternVars(a, scope);
      args = rule.args.map((a) => this.term(a, scope));
      for (const a of args) collectSlots(a, bound);
    }
    // Head vars: declared in the body scope so the body binds them.
    const headTerms = [...rest, ...(rule.key ? [rule.key] : []), rule.value];
    this.prepareScope([...rule.body], scope, headTerms);
    const body = this.body(rule.body, scope, bound);
    const restC = rest.map((t) => this.term(t, scope));
    const key = rule.key ? this.term(rule.key, scope) : undefined;
    const value = this.term(rule.value, scope);
    // Safety of head vars: everything the head uses must be bound by the body or args.
    const after = new Set(bound);
    for (const l of body) for (const s of litOutputs(l)) after.add(s);
    for (const h of [...restC, ...(key ? [key] : []), value]) {
      const miss = firstUnbound(h, after);
      if (miss) throw compileError(`var ${miss.name} is unsafe`, miss.loc, 'rego_unsafe_var_error');
    }
    const cr: CRule = {
      rest: restC,
      args,
      key,
      value,
      body,
      nslots: 0,
      multi: rule.multi,
      isDefault: rule.isDefault,
      loc: rule.loc,
      constValue: value.k === K.Const && !rule.multi && restC.length === 0,
      // Set below (steps: the evaluation memo, RuleMemo); present from the start so that every
      // rule has one shape.
      elseRule: undefined,
      guards: undefined,
      guardLits: 0,
      steps: undefined,
    };
    if (rule.elseRule) cr.elseRule = this.compileRule(rule.elseRule, rest);
    cr.nslots = Math.max(this.alloc.n, cr.elseRule?.nslots ?? 0);
    if (!cr.elseRule) {
      const g = indexGuards(body);
      if (g) {
        cr.guards = g.guards;
        cr.guardLits = g.lead;
      }
    }
    return cr;
  }

  /**
   * Compiles a query body (no package). Returns the ordered literals, the slots of the named
   * query vars, and per source literal the slot capturing its value (undefined: the literal is
   * a unification/assignment, whose value is `true`).
   */
  compileQuery(body: Literal[]): {
    body: CLit[];
    nslots: number;
    vars: Map<string, number>;
    captures: (number | undefined)[];
  } {
    this.alloc = { n: 0 };
    const scope = new Scope(this.alloc);
    this.prepareScope(body, scope, []);
    const vars = new Map<string, number>();
    for (const [name, slot] of scope.vars) if (!name.startsWith('_')) vars.set(name, slot);
    const compiled = body.map((l) => this.literal(l, scope));
    const hoisted = this.takeHoisted();
    const captures: (number | undefined)[] = compiled.map((l) => {
      if (l.l !== L.Expr) return undefined;
      const t = l.term;
      if (t.k === K.Call && (t.fn.special || t.fn.hasOutput)) return undefined;
      l.capture = scope.fresh();
      return l.capture;
    });
    const lits = reorder([...hoisted, ...compiled], new Set());
    return { body: lits, nslots: this.alloc.n, vars, captures };
  }

  /** Declares in `scope` every local var the body (and head terms) mention, skipping nested bodies. */
  private prepareScope(body: Literal[], scope: Scope, extra: Term[]): void {
    const names: string[] = [];
    const declared: string[] = [];
    const assigned = new Set<string>();
    for (const lit of body) {
      switch (lit.type) {
        case 'some':
          for (const v of lit.vars) if (v.type === 'var') declared.push(v.name);
          break;
        case 'somein':
          if (lit.key) patternNames(lit.key, declared);
          patternNames(lit.value, declared);
          termNames(lit.coll, names);
          for (const w of lit.with) termNames(w.value, names);
          break;
        case 'every':
          termNames(lit.domain, names);
          break;
        case 'expr':
          if (lit.negated) break;
          if (lit.term.type === 'call' && lit.term.fn.length === 1 && lit.term.fn[0] === 'assign') {
            const mine: string[] = [];
            patternNames(lit.term.args[0]!, mine);
            for (const n of mine) {
              // OPA: `:=` declares; declaring the same name twice in one body is an error.
              if (n !== '_' && (assigned.has(n) || scope.vars.has(n)))
                throw compileError(`var ${n} assigned above`, lit.loc);
              assigned.add(n);
            }
            declared.push(...mine);
          }
          termNames(lit.term, names);
          for (const w of lit.with) termNames(w.value, names);
          break;
      }
    }
    for (const t of extra) termNames(t, names);
    for (const n of declared) if (n !== '_' && !scope.vars.has(n)) scope.declare(n);
    for (const n of names) {
      if (n === '_' || n === 'input' || n === 'data') continue;
      if (scope.lookup(n) !== undefined || this.globals.has(n)) continue;
      scope.declare(n);
    }
  }

  private declarePatternVars(t: Term, scope: Scope): void {
    const names: string[] = [];
    patternNames(t, names);
    termNames(t, names);
    for (const n of names) if (n !== '_' && !scope.vars.has(n)) scope.declare(n);
  }

  /** Compiles and orders a body. `bound` holds the slots bound before it runs (updated). */
  private body(body: Literal[], scope: Scope, bound: Set<number>): CLit[] {
    const lits: CLit[] = [];
    for (const l of body) {
      const c = this.literal(l, scope);
      lits.push(...this.takeHoisted(), c);
    }
    return reorder(lits, bound);
  }

  private nested(body: Literal[], parent: Scope, extra: Term[] = []): { scope: Scope; lits: CLit[] } {
    const scope = new Scope(this.alloc, parent);
    this.prepareScope(body, scope, extra);
    const bound = parent.allSlots();
    // Literals hoisted for the enclosing body so far stay its own, not the nested body's.
    const outer = this.takeHoisted();
    const lits = this.body(body, scope, bound);
    this.hoisted = outer;
    return { scope, lits };
  }

  private literal(lit: Literal, scope: Scope): CLit {
    const withs = 'with' in lit ? lit.with.map((w) => this.withMod(w, scope)) : [];
    switch (lit.type) {
      case 'some':
        return { l: L.Noop, with: [], loc: lit.loc };
      case 'somein':
        return {
          l: L.SomeIn,
          key: lit.key ? this.term(lit.key, scope) : undefined,
          value: this.term(lit.value, scope),
          coll: this.term(lit.coll, scope),
          with: withs,
          loc: lit.loc,
        };
      case 'every': {
        const inner = new Scope(this.alloc, scope);
        const slots: number[] = [];
        if (lit.key) this.declarePatternVars(lit.key, inner);
        this.declarePatternVars(lit.value, inner);
        for (const s of inner.vars.values()) slots.push(s);
        const key = lit.key ? this.term(lit.key, inner) : undefined;
        const value = this.term(lit.value, inner);
        const domain = this.term(lit.domain, scope);
        const { lits } = this.nestedIn(lit.body, inner);
        return { l: L.Every, key, value, domain, body: lits, with: withs, loc: lit.loc, slots };
      }
      case 'expr': {
        if (lit.negated) {
          const term = this.opaNegation ? this.bindNegatedOperands(lit.term, scope, withs) : lit.term;
          const { lits } = this.nested([{ type: 'expr', term, negated: false, with: [], loc: lit.loc }], scope);
          return { l: L.Not, body: lits, with: withs, loc: lit.loc };
        }
        let term = this.hoistSelfBinding(this.term(lit.term, scope), scope);
        // Iteration hoisting moves evaluation out of the literal: not when `with` applies to it.
        if (withs.length === 0) term = this.hoistIterations(term, scope, true);
        return { l: L.Expr, term, with: withs, loc: lit.loc };
      }
    }
  }

  private hoisted: CLit[] = [];

  /**
   * OPA binds the operands of an expression before the expression runs (its RewriteDynamicTerms
   * and RewriteExprTerms stages: `not f(x, input.y)` is `__local0__ = input.y; not f(x,
   * __local0__)`), so under `not` an undefined operand makes the body fail instead of the
   * negation succeed. The same binding is done here, for the operands whose vars are all bound
   * outside the negation (a ref that would iterate over vars of its own is left in place).
   * The bound literals carry the negation's `with` modifiers, as OPA's do.
   */
  private bindNegatedOperands(t: Term, scope: Scope, withs: CWith[]): Term {
    const one = (x: Term): Term => {
      switch (x.type) {
        case 'ref':
        case 'call':
          return this.bindOperand(x, scope, withs, one);
        case 'var':
          // A rule of the package is a data ref to OPA (bound first); a local is already a value.
          return x.name !== '_' &&
            scope.lookup(x.name) === undefined &&
            (this.globals.has(x.name) || x.name === 'input' || x.name === 'data')
            ? this.bindOperand(x, scope, withs, one)
            : x;
        case 'array':
          return { ...x, items: x.items.map(one) };
        case 'set':
          return { ...x, items: x.items.map(one) };
        case 'object':
          return { ...x, entries: x.entries.map(([k, v]) => [one(k), one(v)] as [Term, Term]) };
        default:
          return x;
      }
    };
    // The expression's own ref stays (`not obj[k]` tests obj[k]); its dynamic key is bound first.
    const inTerm = (x: Term): Term =>
      x.type === 'ref' ? { ...x, path: x.path.map(one) } : x.type === 'var' ? x : one(x);
    if (t.type !== 'call') return inTerm(t);
    const name = t.fn.join('.');
    if (name === 'print' || name === 'assign') return t;
    // OPA's RewriteEquals makes `a == b` a unification (`a = b`) in modules before this
    // stage, and a unification keeps its refs in place (`not c.x == false` holds when c.x is
    // undefined, as Gatekeeper's policies rely on).
    if (name === 'eq' || (name === 'equal' && t.args.length === 2)) return { ...t, args: t.args.map(inTerm) };
    return { ...t, args: t.args.map(one) };
  }

  private bindOperand(x: Term, scope: Scope, withs: CWith[], one: (x: Term) => Term): Term {
    if (!boundOutside(x, scope, this.globals)) return x;
    // Inner operands first, as OPA binds them (`f(g(input.a))`: input.a, then g(..)).
    let inner: Term = x;
    if (x.type === 'ref') inner = { ...x, path: x.path.map(one) };
    else if (x.type === 'call') inner = { ...x, args: x.args.map(one) };
    const name = `__dyn${scope.alloc.n}__`;
    const slot = scope.declare(name);
    const v: CTerm = { k: K.Var, slot, name, vars: true, loc: x.loc };
    const eq: CallTarget = { name: 'eq', special: 'eq', hasOutput: false };
    this.hoisted.push({
      l: L.Expr,
      term: { k: K.Call, fn: eq, args: [v, this.term(inner, scope)], vars: true, loc: x.loc },
      with: withs,
      loc: x.loc,
    });
    return { type: 'var', name, loc: x.loc };
  }

  private takeHoisted(): CLit[] {
    const h = this.hoisted;
    this.hoisted = [];
    return h;
  }

  /**
   * `foo == input.foos[foo]`: a call whose plain var argument is bound by a ref in another
   * argument. As OPA does, the ref is evaluated first into a fresh var (`__h = input.foos[foo]`,
   * emitted as a separate literal), so safety ordering and evaluation see the binding.
   */
  /**
   * `input.opts[_] == "x"`, `x := input.mounts[i].Source`: a ref that enumerates inside a call
   * becomes `some i, e in input.opts` (a literal the evaluator runs as a plain loop) plus the
   * call on `e`, instead of enumerating through the call's arguments. Same solutions, same
   * safety (the var in the ref was an output either way), far fewer closures per element.
   */
  private hoistIterations(t: CTerm, scope: Scope, top: boolean): CTerm {
    if (t.k === K.Call) {
      if (t.fn.special === 'print') return t;
      let changed = false;
      const args = t.args.map((a) => {
        const b = this.hoistIterations(a, scope, false);
        if (b !== a) changed = true;
        return b;
      });
      return changed ? { ...t, args } : t;
    }
    if (top || !(t.k === K.Ref || t.k === K.Input || t.k === K.Data)) return t;
    const j = t.path.findIndex((p) => p.k === K.Var);
    if (j < 0) return t;
    const keyVar = t.path[j] as Extract<CTerm, { k: K.Var }>;
    const prefixPath = t.path.slice(0, j);
    let coll: CTerm;
    if (t.k === K.Ref)
      coll = j === 0 ? t.head : mk({ k: K.Ref, head: t.head, path: prefixPath, vars: false, loc: t.loc });
    else if (t.k === K.Input) coll = mk({ k: K.Input, path: prefixPath, vars: false, loc: t.loc });
    else coll = this.leaf(mk({ k: K.Data, path: prefixPath, vars: false, loc: t.loc }));
    const elem: CTerm = { k: K.Var, slot: scope.fresh(), name: '__elem', vars: true, loc: t.loc };
    this.hoisted.push({
      l: L.SomeIn,
      key: keyVar.name === '_' ? undefined : keyVar,
      value: elem,
      coll,
      with: [],
      loc: t.loc,
    });
    if (j === t.path.length - 1) return elem;
    return this.hoistIterations(
      mk({ k: K.Ref, head: elem, path: t.path.slice(j + 1), vars: false, loc: t.loc }),
      scope,
      false,
    );
  }

  private hoistSelfBinding(t: CTerm, scope: Scope): CTerm {
    if (t.k !== K.Call || t.fn.special) return t;
    const plain = new Set<number>();
    for (const a of t.args) if (a.k === K.Var) plain.add(a.slot);
    if (plain.size === 0) return t;
    let changed = false;
    const args = t.args.map((a) => {
      if ((a.k === K.Ref || a.k === K.Data || a.k === K.Input) && a.vars) {
        const inPath = new Set<number>();
        for (const p of a.path) collectSlots(p, inPath);
        if ([...inPath].some((x) => plain.has(x))) {
          const v: CTerm = { k: K.Var, slot: scope.fresh(), name: '__hoisted', vars: true, loc: a.loc };
          const eq: CallTarget = { name: 'eq', special: 'eq', hasOutput: false };
          this.hoisted.push({
            l: L.Expr,
            term: { k: K.Call, fn: eq, args: [v, a], vars: true, loc: a.loc },
            with: [],
            loc: a.loc,
          });
          changed = true;
          return v;
        }
      }
      return a;
    });
    return changed ? { ...t, args } : t;
  }

  /** Like nested() but in an already-created scope (every's key/value are pre-declared). */
  private nestedIn(body: Literal[], scope: Scope): { lits: CLit[] } {
    const inner = new Scope(this.alloc, scope);
    this.prepareScope(body, inner, []);
    const bound = scope.allSlots();
    const outer = this.takeHoisted();
    const lits = this.body(body, inner, bound);
    this.hoisted = outer;
    return { lits };
  }

  private withMod(w: With, scope: Scope): CWith {
    const path = termPath(w.target);
    if (!path)
      throw compileError(
        'with keyword target must reference existing input, data, or a function',
        w.loc,
        'rego_type_error',
      );
    const fnValue0 = this.fnValueTarget(w.value);
    let value: CTerm;
    if (fnValue0) value = { k: K.Const, v: null, vars: false, loc: w.loc };
    else if (this.requiresEval(w.value, scope)) {
      // OPA's RewriteWithValues: a value that must be evaluated (a ref, call or comprehension)
      // is bound by an expression of its own ahead of the one it modifies, so a value that
      // iterates (`with input as xs[_]`) runs the expression once per solution.
      const slot = scope.fresh();
      value = { k: K.Var, slot, name: '__with', vars: true, loc: w.loc };
      const eq: CallTarget = { name: 'eq', special: 'eq', hasOutput: false };
      this.hoisted.push({
        l: L.Expr,
        term: { k: K.Call, fn: eq, args: [value, this.term(w.value, scope)], vars: true, loc: w.loc },
        with: [],
        loc: w.loc,
      });
    } else value = this.term(w.value, scope);
    const head = path[0] as string;
    const g = this.globals.get(head);
    if (head === 'input' || (g && g.root === 'input')) {
      const p = head === 'input' ? path.slice(1) : [...g!.path, ...path.slice(1)];
      return { kind: 'input', path: p, fnName: '', value };
    }
    let dataPath: Value[] | undefined;
    if (head === 'data') dataPath = path.slice(1);
    else if (g && g.root === 'data') dataPath = [...g.path, ...path.slice(1)];
    const fnValue = fnValue0;
    if (dataPath) {
      const node = this.nodeAt(dataPath);
      if (node?.isFunction) return { kind: 'fn', path: dataPath, fnName: node.name, value, fnValue };
      return { kind: 'data', path: dataPath, fnName: '', value };
    }
    // A builtin being mocked.
    const name = path.join('.');
    if (!lookupBuiltin(name))
      throw compileError(
        `with keyword target must reference existing input, data, or a function`,
        w.loc,
        'rego_type_error',
      );
    return { kind: 'fn', path: [], fnName: name, value, fnValue };
  }

  /** OPA's requiresEval: the term holds a ref (a rule or input/data too), a call or a comprehension. */
  private requiresEval(t: Term, scope: Scope): boolean {
    switch (t.type) {
      case 'ref':
      case 'call':
      case 'arraycomp':
      case 'setcomp':
      case 'objcomp':
      case 'template':
        return true;
      case 'var':
        return (
          scope.lookup(t.name) === undefined && (t.name === 'input' || t.name === 'data' || this.globals.has(t.name))
        );
      case 'array':
      case 'set':
        return t.items.some((x) => this.requiresEval(x, scope));
      case 'object':
        return t.entries.some(([k, v]) => this.requiresEval(k, scope) || this.requiresEval(v, scope));
      default:
        return false;
    }
  }

  /** When a with-value names a function (user or builtin), the call target it stands for. */
  private fnValueTarget(t: Term): CallTarget | undefined {
    const p = termPath(t);
    if (!p) return undefined;
    const target = this.resolveCall(p.map(String), 0, t.loc, true);
    return target;
  }

  private nodeAt(path: Value[]): RuleNode | undefined {
    let n: RuleNode | undefined = this.root;
    for (const p of path) {
      n = childNode(n, p, false);
      if (!n) return undefined;
    }
    return n;
  }

  /** Resolves a call name to a user function or builtin. `soft`: return undefined instead of throwing. */
  private resolveCall(fn: string[], nargs: number, loc: Loc, soft = false): CallTarget | undefined {
    const name = fn.join('.');
    const special = SPECIAL[name];
    if (special) {
      if (special === 'print') this.callsImpure = true;
      return { name, special, hasOutput: false };
    }
    let dataPath: Value[] | undefined;
    const g = this.globals.get(fn[0]!);
    if (fn[0] === 'data') dataPath = fn.slice(1);
    else if (g && g.root === 'data') dataPath = [...g.path, ...fn.slice(1)];
    if (dataPath) {
      const node = this.nodeAt(dataPath);
      if (node?.isFunction) {
        return { name: node.name, node, hasOutput: node.arity !== undefined && nargs === node.arity + 1 };
      }
      if (soft) return undefined;
      if (!node || !g || fn.length > 1) {
        // Fall through to builtins (a package may shadow a builtin's namespace, e.g. `strings`).
      }
    }
    const b = lookupBuiltin(name);
    if (b) {
      if (!builtinPure(b)) this.callsImpure = true;
      return { name, builtin: b, hasOutput: nargs === b.arity + 1 };
    }
    if (soft) return undefined;
    if (dataPath && this.nodeAt(dataPath)) {
      // A call of a non-function rule: OPA reports a type error at compile time.
      throw compileError(`${name}: undefined function`, loc, 'rego_type_error');
    }
    throw compileError(`undefined function ${name}`, loc, 'rego_type_error');
  }

  term(t: Term, scope: Scope): CTerm {
    const loc = t.loc;
    switch (t.type) {
      case 'scalar':
        return { k: K.Const, v: t.value, vars: false, loc };
      case 'var': {
        if (t.name === '_') return { k: K.Var, slot: scope.fresh(), name: '_', vars: true, loc };
        const slot = scope.lookup(t.name);
        if (slot !== undefined) return { k: K.Var, slot, name: t.name, vars: true, loc };
        if (t.name === 'input') return { k: K.Input, path: [], vars: false, loc };
        if (t.name === 'data') return { k: K.Data, path: [], vars: false, loc };
        const g = this.globals.get(t.name);
        if (g) return this.globalRef(g, [], loc);
        // Not pre-declared (e.g. a var only in a `with` target): a fresh local.
        return { k: K.Var, slot: scope.declare(t.name), name: t.name, vars: true, loc };
      }
      case 'ref': {
        const path = t.path.map((p) => this.term(p, scope));
        if (t.head.type === 'var') {
          const h = t.head;
          const slot = h.name === '_' ? undefined : scope.lookup(h.name);
          if (slot === undefined) {
            if (h.name === 'input') return mk({ k: K.Input, path, vars: false, loc });
            if (h.name === 'data') return this.leaf(mk({ k: K.Data, path, vars: false, loc }));
            const g = this.globals.get(h.name);
            if (g) return this.globalRef(g, path, loc);
          }
        }
        const head = this.term(t.head, scope);
        return mk({ k: K.Ref, head, path, vars: false, loc });
      }
      case 'array':
        return mk({ k: K.Array, items: t.items.map((x) => this.term(x, scope)), vars: false, loc });
      case 'set':
        return mk({ k: K.Set, items: t.items.map((x) => this.term(x, scope)), vars: false, loc });
      case 'object':
        return mk({
          k: K.Object,
          keys: t.entries.map((e) => this.term(e[0], scope)),
          vals: t.entries.map((e) => this.term(e[1], scope)),
          vars: false,
          loc,
        });
      case 'call': {
        const name = t.fn.join('.');
        if ((name === 'rego.metadata.rule' || name === 'rego.metadata.chain') && t.args.length === 0) {
          // Known at compile time: the annotations around the rule being compiled.
          const r = this.current;
          const v =
            !r || !this.metadata
              ? name === 'rego.metadata.rule'
                ? new ObjectValue()
                : []
              : name === 'rego.metadata.rule'
                ? this.metadata.rule(r)
                : this.metadata.chain(r);
          return { k: K.Const, v, vars: false, loc };
        }
        if (t.args.length === 0) {
          // `r()` of a rule declared `r() = x` (a plain rule in OPA): the rule's value.
          const plain = this.plainRuleRef(t.fn, loc);
          if (plain) return plain;
        }
        const target = this.resolveCall(t.fn, t.args.length, loc)!;
        const args = t.args.map((a) => this.term(a, scope));
        const arity = target.builtin?.arity ?? target.node?.arity;
        if (
          !target.special &&
          target.name !== 'print' &&
          arity !== undefined &&
          args.length !== arity &&
          args.length !== arity + 1
        ) {
          throw compileError(`${target.name}: arity mismatch`, loc, 'rego_type_error');
        }
        return mk({ k: K.Call, fn: target, args, vars: false, loc });
      }
      case 'arraycomp': {
        const { scope: s, lits } = this.nested(t.body, scope, [t.term]);
        return mk({ k: K.ArrayComp, term: this.term(t.term, s), body: lits, vars: false, loc });
      }
      case 'setcomp': {
        const { scope: s, lits } = this.nested(t.body, scope, [t.term]);
        return mk({ k: K.SetComp, term: this.term(t.term, s), body: lits, vars: false, loc });
      }
      case 'objcomp': {
        const { scope: s, lits } = this.nested(t.body, scope, [t.key, t.value]);
        return mk({
          k: K.ObjComp,
          key: this.term(t.key, s),
          value: this.term(t.value, s),
          body: lits,
          vars: false,
          loc,
        });
      }
      case 'template': {
        const parts = t.parts.map((p) => (typeof p === 'string' ? p : this.term(p, scope)));
        let partLits: (CLit | undefined)[] | undefined;
        t.withs?.forEach((w, i) => {
          if (!w) return;
          partLits ??= [];
          const term = parts[i] as CTerm;
          partLits[i] = {
            l: L.Expr,
            term,
            with: w.map((x) => this.withMod(x, scope)),
            loc: term.loc,
            capture: scope.fresh(),
            keepFalse: true,
          };
        });
        return mk({ k: K.Template, parts, partLits, vars: false, loc });
      }
    }
  }

  /** The data ref of a non-function rule named like a call (`r()`), or undefined. */
  private plainRuleRef(fn: string[], loc: Loc): CTerm | undefined {
    const g = this.globals.get(fn[0]!);
    let dataPath: Value[] | undefined;
    if (fn[0] === 'data') dataPath = fn.slice(1);
    else if (g && g.root === 'data') dataPath = [...g.path, ...fn.slice(1)];
    if (!dataPath) return undefined;
    const node = this.nodeAt(dataPath);
    if (!node || node.isFunction || !node.hasRuleDefs) return undefined;
    const path: CTerm[] = dataPath.map((v) => ({ k: K.Const, v, vars: false, loc }));
    return this.leaf(mk({ k: K.Data, path, vars: false, loc }));
  }

  private globalRef(g: Global, path: CTerm[], loc: Loc): CTerm {
    const prefix: CTerm[] = g.path.map((v) => ({ k: K.Const, v, vars: false, loc }));
    return this.leaf(
      mk({ k: g.root === 'data' ? K.Data : K.Input, path: [...prefix, ...path], vars: false, loc } as CTerm),
    );
  }

  /**
   * For a data ref whose constant prefix reaches a rule node (`data.pkg.rule...`), records the
   * node so evaluation skips the rule-tree walk. Every rule node is known by now (hasRuleDefs is
   * set when the tree is built, before any body is compiled).
   */
  private leaf(t: CTerm): CTerm {
    if (t.k !== K.Data) return t;
    let n: RuleNode | undefined = this.root;
    for (let i = 0; i < t.path.length; i++) {
      const p = t.path[i]!;
      if (p.k !== K.Const) {
        t.dispatch = dispatchOf(n, t.path, i);
        return t;
      }
      n = childNode(n, p.v, false);
      if (!n) return t;
      if (n.hasRuleDefs) {
        t.leaf = n;
        t.depth = i + 1;
        return t;
      }
    }
    return t;
  }
}

/**
 * For `data.P[x].r...` (P = the rule-free node n, x = path[at]): each child key of P whose
 * constant path after x reaches a rule node, mapped to that node; enumerable when every other
 * child lacks a key of that constant path (x unbound then needs those rule nodes alone). None
 * when P has ref-head rules (their keys are only known by evaluating them).
 */
function dispatchOf(n: RuleNode, path: CTerm[], at: number): DataDispatch | undefined {
  if (n.dynamic) return undefined;
  const leaves = new Map<unknown, RuleNode>();
  let enumerable = true;
  for (const [h, child] of n.children) {
    let m: RuleNode | undefined = child;
    for (let j = at + 1; m && !m.hasRuleDefs; j++) {
      const p = path[j];
      if (!p || p.k !== K.Const) {
        enumerable = false;
        m = undefined;
      } else m = childNode(m, p.v, false);
    }
    if (m) leaves.set(h, m);
  }
  return leaves.size > 0 ? { at, leaves, enumerable } : undefined;
}

/** Sets `vars` (contains variables) and folds constant composites into Const terms. */
function mk(t: CTerm): CTerm {
  switch (t.k) {
    case K.Array: {
      const vars = t.items.some((x) => x.vars);
      if (!vars && t.items.every((x) => x.k === K.Const))
        return { k: K.Const, v: t.items.map((x) => (x as { v: Value }).v), vars: false, loc: t.loc };
      t.vars = vars;
      return t;
    }
    case K.Set: {
      const vars = t.items.some((x) => x.vars);
      if (!vars && t.items.every((x) => x.k === K.Const))
        return { k: K.Const, v: SetValue.from(t.items.map((x) => (x as { v: Value }).v)), vars: false, loc: t.loc };
      t.vars = vars;
      return t;
    }
    case K.Object: {
      const vars = t.keys.some((x) => x.vars) || t.vals.some((x) => x.vars);
      if (!vars && t.keys.every((x) => x.k === K.Const) && t.vals.every((x) => x.k === K.Const)) {
        const o = new ObjectValue();
        for (let i = 0; i < t.keys.length; i++) o.set((t.keys[i] as { v: Value }).v, (t.vals[i] as { v: Value }).v);
        return { k: K.Const, v: o, vars: false, loc: t.loc };
      }
      t.vars = vars;
      return t;
    }
    case K.Ref:
      t.vars = t.head.vars || t.path.some((x) => x.vars);
      return t;
    case K.Data:
    case K.Input:
      t.vars = t.path.some((x) => x.vars);
      return t;
    case K.Call:
      t.vars = t.args.some((x) => x.vars);
      return t;
    case K.ArrayComp:
    case K.SetComp:
    case K.ObjComp:
      t.vars = true; // conservatively: evaluated each time
      return t;
    case K.Template:
      t.vars = t.parts.some((p) => typeof p !== 'string' && p.vars);
      return t;
    default:
      return t;
  }
}

// ---------------------------------------------------------------------------------------------
// Name collection (parse-level) for scope preparation.

/** Names in term positions (refs' heads, call args, ...), not descending into nested bodies. */
function termNames(t: Term, out: string[]): void {
  switch (t.type) {
    case 'var':
      out.push(t.name);
      return;
    case 'ref':
      termNames(t.head, out);
      for (const p of t.path) termNames(p, out);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) termNames(x, out);
      return;
    case 'object':
      for (const [k, v] of t.entries) termNames(k, out), termNames(v, out);
      return;
    case 'call':
      for (const a of t.args) termNames(a, out);
      return;
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string') termNames(p, out);
      return;
    default:
      // Comprehensions have their own scope; their free names are resolved when compiled.
      return;
  }
}

/**
 * Every var of `t` is bound before a negation that mentions it runs: input, data, a global
 * name or a local of an enclosing scope (not `_`, not a var first seen inside the negation),
 * and `t` has no comprehension (its body has vars of its own).
 */
function boundOutside(
  t: Term,
  scope: { lookup(name: string): number | undefined },
  globals: Map<string, unknown>,
): boolean {
  switch (t.type) {
    case 'scalar':
      return true;
    case 'var':
      if (t.name === '_') return false;
      return t.name === 'input' || t.name === 'data' || scope.lookup(t.name) !== undefined || globals.has(t.name);
    case 'ref':
      return boundOutside(t.head, scope, globals) && t.path.every((p) => boundOutside(p, scope, globals));
    case 'call':
      return t.args.every((a) => boundOutside(a, scope, globals));
    case 'array':
    case 'set':
      return t.items.every((x) => boundOutside(x, scope, globals));
    case 'object':
      return t.entries.every(([k, v]) => boundOutside(k, scope, globals) && boundOutside(v, scope, globals));
    case 'template':
      return t.parts.every((p) => typeof p === 'string' || boundOutside(p, scope, globals));
    default:
      return false;
  }
}

/** A function parameter that binds by unification: a var, a scalar, or an array/object/set of those. */
function isArgPattern(t: Term): boolean {
  switch (t.type) {
    case 'var':
    case 'scalar':
      return true;
    case 'array':
    case 'set':
      return t.items.every(isArgPattern);
    case 'object':
      return t.entries.every(([k, v]) => isArgPattern(k) && isArgPattern(v));
    case 'ref':
      // data/input refs are values to compare against, like scalars.
      return t.head.type === 'var' && (t.head.name === 'input' || t.head.name === 'data');
    default:
      return false;
  }
}

/** Names bound by a pattern (top-level var, vars inside array/object literals). */
function patternNames(t: Term, out: string[]): void {
  if (t.type === 'var') out.push(t.name);
  else if (t.type === 'array') for (const x of t.items) patternNames(x, out);
  else if (t.type === 'object') for (const [, v] of t.entries) patternNames(v, out);
}
