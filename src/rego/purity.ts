// Which rule-tree nodes depend on `data` only. Their values are the same for every query that
// evaluates against the same data document (no input, no `with`, no clock, randomness, I/O or
// print), so the evaluator may keep them across queries instead of recomputing them per query:
// for a policy whose rules read configuration from data (allowed lists, forbidden paths,
// constant sets), those rules run once per compiled policy and data, not once per decision.
//
// The analysis is conservative: anything it cannot see through (a data ref with a variable
// that may reach rules, a builtin that declares it reads something) makes the node impure.
import type { BuiltinDef } from './builtins/registry.js';
import { K, L, type CLit, type CRule, type CTerm, type RuleNode } from './ir.js';
import { hashKey } from './value.js';

/** A builtin whose result depends on its arguments alone (it declares nothing it reads). */
export function builtinPure(b: BuiltinDef): boolean {
  return b.reads === undefined;
}

export function markPure(root: RuleNode): void {
  const state = new Map<RuleNode, boolean | 'busy'>();

  const nodePure = (n: RuleNode): boolean => {
    const s = state.get(n);
    if (s === 'busy') return true; // a cycle: decided by the other members (recursion is a compile error anyway)
    if (s !== undefined) return s;
    state.set(n, 'busy');
    let ok = true;
    for (const r of n.rules) if (ok && !rulePure(r)) ok = false;
    if (ok && n.defaultRule && !rulePure(n.defaultRule)) ok = false;
    if (ok) {
      for (const c of n.children.values()) {
        if (c.hasRules && !c.isFunction && !nodePure(c)) {
          ok = false;
          break;
        }
      }
    }
    state.set(n, ok);
    if (!n.isFunction) n.pure = ok;
    return ok;
  };

  /** Every rule node at or below n (functions included) is pure: a data ref may reach any of them. */
  const subtreePure = (n: RuleNode): boolean => {
    if (!nodePure(n)) return false;
    for (const c of n.children.values()) if (c.hasRules && !subtreePure(c)) return false;
    return true;
  };

  const rulePure = (r: CRule): boolean => {
    if (!litsPure(r.body)) return false;
    if (!termPure(r.value)) return false;
    if (r.key && !termPure(r.key)) return false;
    for (const t of r.rest) if (!termPure(t)) return false;
    for (const t of r.args ?? []) if (!termPure(t)) return false;
    return r.elseRule === undefined || rulePure(r.elseRule);
  };

  const litsPure = (lits: CLit[]): boolean => {
    for (const lit of lits) {
      if (lit.with.length > 0) return false;
      switch (lit.l) {
        case L.Expr:
          if (!termPure(lit.term)) return false;
          break;
        case L.Not:
          if (!litsPure(lit.body)) return false;
          break;
        case L.SomeIn:
          if ((lit.key && !termPure(lit.key)) || !termPure(lit.value) || !termPure(lit.coll)) return false;
          break;
        case L.Every:
          if ((lit.key && !termPure(lit.key)) || !termPure(lit.value) || !termPure(lit.domain) || !litsPure(lit.body))
            return false;
          break;
        case L.Noop:
          break;
      }
    }
    return true;
  };

  const dataPure = (t: Extract<CTerm, { k: K.Data }>): boolean => {
    for (const p of t.path) if (!termPure(p)) return false;
    // Walk the rule tree along the constant prefix; what the ref may reach past it must be pure.
    let n = root;
    for (const p of t.path) {
      if (p.k !== K.Const) return subtreePure(n);
      const c = n.children.get(hashKey(p.v));
      if (!c) return n.dynamic ? subtreePure(n) : true; // plain base data below a rule-free point
      n = c;
      if (n.rules.length > 0 || n.defaultRule || n.isFunction) return nodePure(n);
    }
    return subtreePure(n);
  };

  const termPure = (t: CTerm): boolean => {
    switch (t.k) {
      case K.Const:
      case K.Var:
        return true;
      case K.Input:
        return false;
      case K.Data:
        return dataPure(t);
      case K.Array:
      case K.Set:
        return t.items.every(termPure);
      case K.Object:
        return t.keys.every(termPure) && t.vals.every(termPure);
      case K.Ref:
        return termPure(t.head) && t.path.every(termPure);
      case K.Call: {
        if (!t.args.every(termPure)) return false;
        const fn = t.fn;
        if (fn.special === 'print') return false;
        if (fn.node) return nodePure(fn.node);
        if (fn.special) return true;
        return fn.builtin !== undefined && builtinPure(fn.builtin);
      }
      case K.ArrayComp:
      case K.SetComp:
        return termPure(t.term) && litsPure(t.body);
      case K.ObjComp:
        return termPure(t.key) && termPure(t.value) && litsPure(t.body);
      case K.Template:
        if (t.partLits?.some((l) => l !== undefined)) return false;
        return t.parts.every((p) => typeof p === 'string' || termPure(p));
    }
  };

  const visit = (n: RuleNode): void => {
    if (n.hasRules) nodePure(n);
    for (const c of n.children.values()) visit(c);
  };
  visit(root);
}
