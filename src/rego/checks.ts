// Whole-policy compile checks: conflicting rule kinds at one path and recursion between rules.
import { compileError } from './errors.js';
import { K, L, type CLit, type CRule, type CTerm, type RuleNode } from './ir.js';

export function checkConflicts(n: RuleNode): void {
  const kinds = new Set<string>();
  for (const r of n.rules) if (r.rest.length === 0) kinds.add(r.args ? 'function' : r.multi ? 'multi' : 'single');
  if (kinds.size > 1) {
    const r = n.rules[0]!;
    throw compileError(`conflicting rules ${n.name} found`, r.loc);
  }
  if (n.isFunction) {
    const arities = new Set(n.rules.map((r) => r.args?.length ?? -1));
    if (arities.size > 1) throw compileError(`conflicting rules ${n.name} found`, n.rules[0]!.loc);
  }
  for (const c of n.children.values()) checkConflicts(c);
}

/**
 * OPA rejects recursive rules at compile time: follow every reference a rule body makes to
 * another rule node (resolved data refs and function calls) and report the first cycle as
 * "rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.p".
 */
export function checkRecursion(root: RuleNode): void {
  const deps = new Map<RuleNode, RuleNode[]>();
  const all: RuleNode[] = [];
  const collect = (n: RuleNode): void => {
    if (n.rules.length > 0 || n.defaultRule) all.push(n);
    for (const c of n.children.values()) collect(c);
  };
  collect(root);
  for (const n of all) {
    const out = new Set<RuleNode>();
    const rules = [...n.rules, ...(n.defaultRule ? [n.defaultRule] : [])];
    for (let r of rules) {
      for (let cur: CRule | undefined = r; cur; cur = cur.elseRule) {
        r = cur;
        const terms: CTerm[] = [...r.rest, r.value, ...(r.key ? [r.key] : []), ...(r.args ?? [])];
        for (const t of terms) termDeps(t, out);
        for (const l of r.body) litDeps(l, out);
      }
    }
    deps.set(n, [...out]);
  }
  const state = new Map<RuleNode, 1 | 2>();
  const stack: RuleNode[] = [];
  const visit = (n: RuleNode): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      const st = state.get(d);
      if (st === 1) {
        const cycle = [...stack.slice(stack.indexOf(d)), d].map((x) => x.name);
        const r = d.rules[0] ?? d.defaultRule!;
        throw compileError(`rule ${d.name} is recursive: ${cycle.join(' -> ')}`, r.loc, 'rego_recursion_error');
      }
      if (st === undefined) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of all) if (!state.has(n)) visit(n);
}

function litDeps(l: CLit, out: Set<RuleNode>): void {
  for (const w of l.with) {
    termDeps(w.value, out);
    if (w.fnValue?.node) out.add(w.fnValue.node);
  }
  switch (l.l) {
    case L.Expr:
      termDeps(l.term, out);
      break;
    case L.Not:
      for (const x of l.body) litDeps(x, out);
      break;
    case L.SomeIn:
      termDeps(l.coll, out);
      break;
    case L.Every:
      termDeps(l.domain, out);
      for (const x of l.body) litDeps(x, out);
      break;
  }
}

function termDeps(t: CTerm, out: Set<RuleNode>): void {
  switch (t.k) {
    case K.Data:
      if (t.leaf) out.add(t.leaf);
      for (const p of t.path) termDeps(p, out);
      return;
    case K.Input:
      for (const p of t.path) termDeps(p, out);
      return;
    case K.Ref:
      termDeps(t.head, out);
      for (const p of t.path) termDeps(p, out);
      return;
    case K.Call:
      if (t.fn.node) out.add(t.fn.node);
      for (const a of t.args) termDeps(a, out);
      return;
    case K.Array:
    case K.Set:
      for (const x of t.items) termDeps(x, out);
      return;
    case K.Object:
      for (const x of [...t.keys, ...t.vals]) termDeps(x, out);
      return;
    case K.ArrayComp:
    case K.SetComp:
      termDeps(t.term, out);
      for (const l of t.body) litDeps(l, out);
      return;
    case K.ObjComp:
      termDeps(t.key, out);
      termDeps(t.value, out);
      for (const l of t.body) litDeps(l, out);
      return;
    case K.Template:
      for (const p of t.parts) if (typeof p !== 'string') termDeps(p, out);
      for (const l of t.partLits ?? []) if (l) litDeps(l, out);
      return;
  }
}
