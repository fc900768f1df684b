// The evaluator's compiled fast paths. Terms that need no enumeration are compiled once (on
// first use) into closures `(state, frame) => value`, so the hot path of a decision calls
// straight-line closures instead of re-dispatching on node kinds; body literals are classified
// once as checks, assignments or negated checks that the body loop runs without continuations.
// The closures see the evaluation through EvalState (state.ts) only.
import type { Loc } from './ast.js';
import { getKey } from './doc.js';
import { type CLit, type CTerm, K, L } from './ir.js';
import { BUSY, MULTI, type OneFn, type SharedValues, UNDEF } from './state.js';
import { compare, equal, hashKey, ObjectValue, SetValue, type Value } from './value.js';

declare module './ir.js' {
  interface TermMemo {
    /** The term compiled to a closure (makeOne), on first use. */
    one?: OneFn;
  }
  interface RuleMemo {
    /** How the body loop runs each body literal (stepsOf), worked out on first use. */
    steps?: Step[];
  }
}

/** How the body loop runs one literal. */
export const enum StepKind {
  /** Left to the general evaluator (enumeration, `with`, captures...). */
  General,
  /** A check: `input.x == 1`, `startswith(a, b)`. */
  Check,
  /** `x := value` into a fresh slot. */
  Assign,
  /** `not <check>` whose operand is deterministic. */
  Not,
  /** `[a, b] := value`: an array of fresh vars bound from one value. */
  Destructure,
  /**
   * `some v in coll` / `some k, v in coll` with fresh vars: when coll is undefined, empty or not
   * a collection the literal fails at once (the common case: iterating a field the request
   * lacks); otherwise the general evaluator enumerates it.
   */
  SomeIn,
}

/**
 * How the body loop runs one literal, worked out once per literal. Every step has the same
 * fields (one class): the loop's reads stay monomorphic, where reading the literals themselves
 * (objects of many shapes) would not be (guarded by bench/rego.ts).
 */
export class Step {
  constructor(
    readonly kind: StepKind,
    readonly fn: OneFn | undefined,
    /** Assign: the slot bound. */
    readonly slot: number,
    /** Destructure: the slots bound; SomeIn: [value slot] or [value slot, key slot]. */
    readonly slots: number[] | undefined,
    readonly loc: Loc,
  ) {}
}

/** The steps of bodies that are not rule bodies (negations, comprehensions, queries). */
const bodySteps = new WeakMap<CLit[], Step[]>();

/** The steps of a body, one per literal. */
export function stepsOf(lits: CLit[]): Step[] {
  let steps = bodySteps.get(lits);
  if (steps === undefined) bodySteps.set(lits, (steps = lits.map(classify)));
  return steps;
}

/** The steps of a rule's body, kept on the rule. */
export function ruleSteps(r: { body: CLit[]; steps?: Step[] }): Step[] {
  return (r.steps ??= r.body.map(classify));
}

/** The closure of a term (makeOne), kept on the term. */
export function oneOf(t: CTerm): OneFn {
  return (t.one ??= makeOne(t));
}

/** coll has no element to bind: undefined, a scalar, or an empty array, object or set. */
export function noElements(coll: Value | undefined): boolean {
  if (coll === undefined || coll === null || typeof coll !== 'object') return true;
  if (Array.isArray(coll)) return coll.length === 0;
  if (coll instanceof ObjectValue || coll instanceof SetValue) return coll.size === 0;
  return true; // a big number
}

function classify(lit: CLit): Step {
  if (lit.l === L.Expr && lit.with.length === 0 && lit.capture === undefined) {
    const t = lit.term;
    if (t.k === K.Call && (t.fn.special === 'eq' || t.fn.special === 'assign')) {
      const a = t.args[0]!;
      if (a.k === K.Var) return new Step(StepKind.Assign, makeOne(t.args[1]!), a.slot, undefined, lit.loc);
      if (a.k === K.Array && a.items.length > 0 && a.items.every((x) => x.k === K.Var)) {
        const slots = a.items.map((x) => (x as { slot: number }).slot);
        if (new Set(slots).size === slots.length)
          return new Step(StepKind.Destructure, makeOne(t.args[1]!), -1, slots, lit.loc);
      }
    } else if (!(t.k === K.Call && (t.fn.special || t.fn.hasOutput))) {
      return new Step(StepKind.Check, makeOne(t), -1, undefined, lit.loc);
    }
  } else if (
    lit.l === L.SomeIn &&
    lit.with.length === 0 &&
    lit.value.k === K.Var &&
    (!lit.key || (lit.key.k === K.Var && lit.key.slot !== lit.value.slot))
  ) {
    const slots = lit.key ? [lit.value.slot, (lit.key as { slot: number }).slot] : [lit.value.slot];
    return new Step(StepKind.SomeIn, makeOne(lit.coll), -1, slots, lit.loc);
  } else if (lit.l === L.Not && lit.with.length === 0 && lit.body.length === 1) {
    const inner = stepsOf(lit.body)[0]!;
    if (inner.kind === StepKind.Check) return new Step(StepKind.Not, inner.fn, -1, undefined, lit.loc);
  }
  return new Step(StepKind.General, undefined, -1, undefined, lit.loc);
}

const COMPARE: Record<string, (a: Value, b: Value) => boolean> = {
  equal: (a, b) => equal(a, b),
  neq: (a, b) => !equal(a, b),
  lt: (a, b) => compare(a, b) < 0,
  lte: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  gte: (a, b) => compare(a, b) >= 0,
};

export function isConst(t: CTerm): boolean {
  return t.k === K.Const;
}

/**
 * Compiles a term into a closure computing Evaluator.one(): the hot path of evaluation runs
 * through these closures instead of re-dispatching on node kinds (compiled on first use).
 */
function makeOne(t: CTerm): OneFn {
  switch (t.k) {
    case K.Const: {
      const v = t.v;
      return () => v;
    }
    case K.Var: {
      const s = t.slot;
      return (_ev, f) => {
        const v = f[s];
        return v === undefined ? MULTI : v;
      };
    }
    case K.Input: {
      if (!t.path.every(isConst)) break;
      const keys = t.path.map((p) => (p as { v: Value }).v);
      if (keys.length === 0) return (ev) => ev.input;
      return (ev) => {
        let v = ev.input;
        for (let i = 0; i < keys.length; i++) {
          if (v === undefined) return undefined;
          v = getKey(v, keys[i]!);
        }
        return v;
      };
    }
    case K.Data: {
      if (t.dispatch) return dataDispatch(t);
      if (!t.leaf) break;
      if (!t.path.every(isConst)) return dataKeys(t);
      const leaf = t.leaf;
      const depth = t.depth!;
      const path = t.path;
      const rest = path.slice(depth).map((p) => (p as { v: Value }).v);
      // A constant path into a data-only node (purity.ts) has one value per data document:
      // kept here for the data (and strictness) of ev.shared, so that e.g.
      // `data.config.rules.x.enabled` costs one comparison per query after the first.
      // Not under `with` (overridden data or mocked functions change what it computes).
      const pure = leaf.pure === true;
      let memoFor: SharedValues | undefined;
      let memo: Value | undefined;
      return (ev, f) => {
        if (ev.overrides.length > 0) return ev.oneSlow(t, f);
        const keep = pure && ev.mocks === undefined ? ev.shared : undefined;
        if (keep !== undefined && keep === memoFor) return memo;
        let v: Value | undefined;
        const c = ev.dataEmpty || ev.baseAt[leaf.id] === UNDEF ? ev.cache[leaf.id] : undefined;
        if (c !== undefined && c !== BUSY) v = c === UNDEF ? undefined : c;
        else v = ev.leafValue(leaf);
        for (let i = 0; i < rest.length; i++) {
          if (v === undefined) break;
          v = getKey(v, rest[i]!);
        }
        if (keep !== undefined) {
          memoFor = keep;
          memo = v;
        }
        return v;
      };
    }
    case K.Call: {
      if (t.fn.hasOutput || t.fn.special || t.fn.builtin?.multi) return () => MULTI;
      const cmp = t.args.length === 2 && t.fn.builtin ? COMPARE[t.fn.name] : undefined;
      if (cmp) {
        // Comparisons are most literals of a policy: no argument array, no builtin dispatch.
        const fa = oneOf(t.args[0]!);
        const fb = oneOf(t.args[1]!);
        return (ev, f) => {
          const a = fa(ev, f);
          if (a === MULTI || a === undefined) return a;
          const b = fb(ev, f);
          if (b === MULTI || b === undefined) return b;
          if (ev.mocks !== undefined) return ev.callOne(t, [a, b]);
          return cmp(a, b);
        };
      }
      const argFns = t.args.map((a) => oneOf(a));
      const n = argFns.length;
      return (ev, f) => {
        const args: Value[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const a = argFns[i]!(ev, f);
          if (a === MULTI || a === undefined) return a;
          args[i] = a;
        }
        return ev.callOne(t, args);
      };
    }
    case K.Ref: {
      // `x[i].name`, `f(x)[0]`: deterministic when the head and every key are.
      const head = oneOf(t.head);
      const keys = t.path.map((a) => oneOf(a));
      return (ev, f) => {
        let v = head(ev, f);
        if (v === MULTI || v === undefined) return v;
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!(ev, f);
          if (key === MULTI || key === undefined) return key;
          v = getKey(v, key);
          if (v === undefined) return undefined;
        }
        return v;
      };
    }
    case K.Object: {
      const ks = t.keys.map((a) => oneOf(a));
      const vs = t.vals.map((a) => oneOf(a));
      return (ev, f) => {
        const o = new ObjectValue();
        for (let i = 0; i < ks.length; i++) {
          const key = ks[i]!(ev, f);
          if (key === MULTI || key === undefined) return key;
          const val = vs[i]!(ev, f);
          if (val === MULTI || val === undefined) return val;
          o.set(key, val);
        }
        return o;
      };
    }
    case K.Set: {
      const fns = t.items.map((a) => oneOf(a));
      return (ev, f) => {
        const out = new SetValue();
        for (let i = 0; i < fns.length; i++) {
          const a = fns[i]!(ev, f);
          if (a === MULTI || a === undefined) return a;
          out.add(a);
        }
        return out;
      };
    }
    case K.Array: {
      const fns = t.items.map((a) => oneOf(a));
      return (ev, f) => {
        const arr: Value[] = new Array(fns.length);
        for (let i = 0; i < fns.length; i++) {
          const a = fns[i]!(ev, f);
          if (a === MULTI || a === undefined) return a;
          arr[i] = a;
        }
        return arr;
      };
    }
  }
  return (ev, f) => ev.oneSlow(t, f);
}

/**
 * `data.P[x].r...` with x computed (`data.rules[name].deny`): the rule node x names, looked up
 * in the compiled dispatch; a key naming no rule node takes the general walk (base data).
 */
function dataDispatch(t: Extract<CTerm, { k: K.Data }>): OneFn {
  const { at, leaves } = t.dispatch!;
  const path = t.path;
  const keyOf = oneOf(path[at]!);
  const later = path.map((a) => oneOf(a));
  const withVars = later.filter((_, i) => i > at && path[i]!.vars);
  return (ev, f) => {
    if (ev.overrides.length > 0) return ev.oneSlow(t, f);
    const key = keyOf(ev, f);
    if (key === MULTI || key === undefined) return key;
    for (let i = 0; i < withVars.length; i++) if (withVars[i]!(ev, f) === MULTI) return MULTI;
    const leaf = leaves.get(hashKey(key));
    if (leaf === undefined) return ev.oneSlow(t, f);
    let v: Value | undefined;
    const c = ev.dataEmpty || ev.baseAt[leaf.id] === UNDEF ? ev.cache[leaf.id] : undefined;
    if (c !== undefined && c !== BUSY) v = c === UNDEF ? undefined : c;
    else v = ev.leafValue(leaf);
    for (let i = leaf.path.length; i < later.length && v !== undefined; i++) {
      const k = later[i]!(ev, f);
      if (k === undefined) return undefined;
      if (k === MULTI) return MULTI;
      v = getKey(v, k);
    }
    return v;
  };
}

/**
 * `data.pkg.rule[key]...` with computed keys past the resolved rule node
 * (`lib.host_config[field]`, `allowed[input.x]`): Evaluator.oneSlow's order (a key needing
 * enumeration gives MULTI before the node is evaluated), without its re-dispatch per key.
 */
function dataKeys(t: Extract<CTerm, { k: K.Data }>): OneFn {
  const leaf = t.leaf!;
  const depth = t.depth!;
  const path = t.path;
  const keys = path.slice(depth).map((a) => oneOf(a));
  const withVars = keys.filter((_, i) => path[depth + i]!.vars);
  return (ev, f) => {
    if (ev.overrides.length > 0) return ev.oneSlow(t, f);
    for (let i = 0; i < withVars.length; i++) if (withVars[i]!(ev, f) === MULTI) return MULTI;
    let v: Value | undefined;
    const c = ev.dataEmpty || ev.baseAt[leaf.id] === UNDEF ? ev.cache[leaf.id] : undefined;
    if (c !== undefined && c !== BUSY) v = c === UNDEF ? undefined : c;
    else v = ev.leafValue(leaf);
    for (let i = 0; i < keys.length && v !== undefined; i++) {
      const key = keys[i]!(ev, f);
      if (key === undefined) return undefined;
      if (key === MULTI) return MULTI;
      v = getKey(v, key);
    }
    return v;
  };
}
