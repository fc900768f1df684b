// Safety: which variables a literal needs bound and which it binds, and OPA's reordering of a
// body so that every literal runs once the variables it needs are bound (reorderBodyForSafety).
import { compileError } from './errors.js';
import { K, L, type CLit, type CTerm } from './ir.js';

interface VarUse {
  needed: Set<number>;
  outputs: Set<number>;
  /** Vars in pure pattern positions on each unification side. */
  patterns?: [Set<number>, Set<number>];
  firstNeeded?: Map<number, CTerm>;
}

/**
 * A literal's use, computed once: nested bodies are asked again by every enclosing literal and
 * every reordering, and compiled literals are not changed once built. Callers must not change
 * the sets they get.
 */
const uses = new WeakMap<CLit, VarUse>();

function useOf(lit: CLit): VarUse {
  let u = uses.get(lit);
  if (u === undefined) uses.set(lit, (u = computeUse(lit)));
  return u;
}

function computeUse(lit: CLit): VarUse {
  const u: VarUse = { needed: new Set(), outputs: new Set(), firstNeeded: new Map() };
  const need = (t: CTerm): void => walk(t, false, u);
  for (const w of lit.with) need(w.value);
  switch (lit.l) {
    case L.Expr: {
      const t = lit.term;
      if (t.k === K.Call && (t.fn.special === 'eq' || t.fn.special === 'assign')) {
        const a = new Set<number>();
        const b = new Set<number>();
        walk(t.args[0]!, true, u, a);
        walk(t.args[1]!, true, u, b);
        u.patterns = [a, b];
      } else walk(t, false, u);
      break;
    }
    case L.Not:
      bodyNeeds(lit.body, new Set(), u);
      break;
    case L.SomeIn:
      walk(lit.coll, false, u);
      if (lit.key) walk(lit.key, true, u);
      walk(lit.value, true, u);
      break;
    case L.Every: {
      walk(lit.domain, false, u);
      bodyNeeds(lit.body, new Set(lit.slots), u);
      break;
    }
    case L.Noop:
      break;
  }
  return u;
}

/** Adds to u the vars a nested body needs from outside (used before the body binds them). */
function bodyNeeds(body: CLit[], own: Set<number>, u: VarUse): void {
  const boundInside = new Set(own);
  for (const l of body) {
    const lu = useOf(l);
    for (const s of lu.needed) {
      if (!boundInside.has(s) && !u.needed.has(s)) {
        u.needed.add(s);
        u.firstNeeded!.set(s, lu.firstNeeded!.get(s)!);
      }
    }
    for (const s of lu.outputs) boundInside.add(s);
    for (const s of lu.needed) boundInside.add(s);
  }
}

/**
 * Walks a term: in pattern mode vars are outputs, otherwise needed; vars in ref paths are
 * always outputs (refs enumerate); comprehension free vars are needed.
 */
function walk(t: CTerm, pattern: boolean, u: VarUse, pat?: Set<number>): void {
  switch (t.k) {
    case K.Const:
      return;
    case K.Var:
      if (t.name === '_' && !pattern) {
        u.outputs.add(t.slot);
        return;
      }
      if (pattern) {
        u.outputs.add(t.slot);
        pat?.add(t.slot);
      } else {
        u.needed.add(t.slot);
        if (!u.firstNeeded!.has(t.slot)) u.firstNeeded!.set(t.slot, t);
      }
      return;
    case K.Array:
    case K.Set:
      for (const x of t.items) walk(x, pattern && t.k === K.Array, u, pat);
      return;
    case K.Object:
      for (const x of t.keys) walk(x, false, u);
      for (const x of t.vals) walk(x, pattern, u, pat);
      return;
    case K.Ref:
      walk(t.head, false, u);
      for (const p of t.path) walk(p, true, u);
      return;
    case K.Data:
    case K.Input:
      for (const p of t.path) walk(p, true, u);
      return;
    case K.Call: {
      const n = t.fn.hasOutput ? t.args.length - 1 : t.args.length;
      for (let i = 0; i < n; i++) walk(t.args[i]!, false, u);
      if (t.fn.hasOutput) walk(t.args[n]!, true, u);
      return;
    }
    case K.ArrayComp:
    case K.SetComp:
    case K.ObjComp: {
      // Free vars of the comprehension: needed slots of its body that the body does not bind.
      const inner: VarUse = { needed: new Set(), outputs: new Set(), firstNeeded: new Map() };
      const heads = t.k === K.ObjComp ? [t.key, t.value] : [t.term];
      for (const h of heads) walk(h, false, inner);
      const boundInside = new Set<number>();
      for (const l of t.body) {
        const lu = useOf(l);
        for (const s of lu.needed)
          if (!boundInside.has(s)) inner.needed.add(s), inner.firstNeeded!.set(s, lu.firstNeeded!.get(s)!);
        for (const s of lu.outputs) boundInside.add(s);
      }
      for (const s of inner.needed) {
        if (!boundInside.has(s)) {
          u.needed.add(s);
          if (!u.firstNeeded!.has(s)) u.firstNeeded!.set(s, inner.firstNeeded!.get(s)!);
        }
      }
      return;
    }
    case K.Template:
      for (const p of t.parts) if (typeof p !== 'string') walk(p, false, u);
      return;
  }
}

export function litOutputs(l: CLit): Set<number> {
  const u = useOf(l);
  return new Set([...u.outputs, ...u.needed]);
}

/** OPA's safety reordering: repeatedly take the first literal whose needed vars are bound. */
export function reorder(lits: CLit[], bound: Set<number>): CLit[] {
  const uses = lits.map(useOf);
  const out: CLit[] = [];
  const done = new Array<boolean>(lits.length).fill(false);
  let remaining = lits.length;
  while (remaining > 0) {
    let picked = -1;
    for (let i = 0; i < lits.length; i++) {
      if (done[i]) continue;
      const u = uses[i]!;
      let ok = true;
      for (const s of u.needed) if (!bound.has(s)) ok = false;
      if (ok && u.patterns) {
        const [a, b] = u.patterns;
        const ua = [...a].some((s) => !bound.has(s));
        const ub = [...b].some((s) => !bound.has(s));
        const lit = lits[i] as Extract<CLit, { l: L.Expr }>;
        const call = lit.term as Extract<CTerm, { k: K.Call }>;
        const bothComposite = isComposite(call.args[0]!) && isComposite(call.args[1]!);
        if (ua && ub && !bothComposite) ok = false;
      }
      if (ok) {
        picked = i;
        break;
      }
    }
    if (picked < 0) {
      // Report the first unsafe var in source order.
      for (let i = 0; i < lits.length; i++) {
        if (done[i]) continue;
        const u = uses[i]!;
        for (const s of u.needed) {
          if (!bound.has(s)) {
            const v = u.firstNeeded!.get(s) as Extract<CTerm, { k: K.Var }> | undefined;
            const loc = v?.loc ?? lits[i]!.loc;
            throw compileError(`var ${v?.name ?? '?'} is unsafe`, loc, 'rego_unsafe_var_error');
          }
        }
        if (u.patterns) {
          const v = [...u.patterns[0]].find((s) => !bound.has(s));
          throw compileError(`var ${findVarName(lits[i]!, v) ?? '?'} is unsafe`, lits[i]!.loc, 'rego_unsafe_var_error');
        }
      }
      throw compileError('unsafe body', lits[0]!.loc, 'rego_unsafe_var_error');
    }
    done[picked] = true;
    remaining--;
    out.push(lits[picked]!);
    const u = uses[picked]!;
    for (const s of u.outputs) bound.add(s);
    for (const s of u.needed) bound.add(s);
  }
  return out;
}

function findVarName(l: CLit, slot: number | undefined): string | undefined {
  let name: string | undefined;
  const visit = (t: CTerm): void => {
    if (t.k === K.Var && t.slot === slot) name = t.name;
    else if (t.k === K.Array || t.k === K.Set) t.items.forEach(visit);
    else if (t.k === K.Object) t.vals.forEach(visit);
    else if (t.k === K.Call) t.args.forEach(visit);
  };
  if (l.l === L.Expr) visit(l.term);
  return name;
}

function isComposite(t: CTerm): boolean {
  return t.k === K.Array || t.k === K.Object;
}

export function collectSlots(t: CTerm, out: Set<number>): void {
  if (t.k === K.Var) out.add(t.slot);
  else if (t.k === K.Array || t.k === K.Set) for (const x of t.items) collectSlots(x, out);
  else if (t.k === K.Object) {
    for (const x of t.keys) collectSlots(x, out);
    for (const x of t.vals) collectSlots(x, out);
  } else if (t.k === K.Ref) {
    collectSlots(t.head, out);
    for (const x of t.path) collectSlots(x, out);
  } else if (t.k === K.Data || t.k === K.Input) for (const x of t.path) collectSlots(x, out);
  else if (t.k === K.Call) for (const x of t.args) collectSlots(x, out);
}

export function firstUnbound(t: CTerm, bound: Set<number>): Extract<CTerm, { k: K.Var }> | undefined {
  switch (t.k) {
    case K.Var:
      return bound.has(t.slot) ? undefined : t;
    case K.Array:
    case K.Set:
      for (const x of t.items) {
        const m = firstUnbound(x, bound);
        if (m) return m;
      }
      return undefined;
    case K.Object:
      for (const x of [...t.keys, ...t.vals]) {
        const m = firstUnbound(x, bound);
        if (m) return m;
      }
      return undefined;
    case K.Call:
      for (const x of t.args) {
        const m = firstUnbound(x, bound);
        if (m) return m;
      }
      return undefined;
    default:
      return undefined;
  }
}
