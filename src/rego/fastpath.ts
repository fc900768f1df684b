// The evaluator's compiled fast paths. Terms that need no enumeration are compiled once (on
// first use) into closures `(evaluator, frame) => value`, so the hot path of a decision calls
// straight-line closures instead of re-dispatching on node kinds; body literals are classified
// once as checks, assignments or negated checks that the body loop runs without continuations.
import type { Evaluator, SharedValues } from './eval.js';
import type { Loc } from './ast.js';
import { K, L, type CLit, type CTerm } from './ir.js';
import { getKey } from './doc.js';
import { ObjectValue, SetValue, compare, equal, type Value } from './value.js';

export type Frame = (Value | undefined)[];

/** Returned when a term needs enumeration (an unbound var somewhere). */
export const MULTI = Symbol('multi');
export type One = Value | undefined | typeof MULTI;

/** Rule cache markers: evaluated and undefined; being evaluated (recursion detection). */
export const UNDEF = Symbol('undef');
export const BUSY = Symbol('busy');

export type OneFn = (ev: Evaluator, f: Frame) => One;

// Literals the body loop can run without continuations, classified once (on first use):
// a check (`input.x == 1`, `startswith(a, b)`) or `x := value` into a fresh slot.
export const FAST_NONE = 0;
export const FAST_CHECK = 1;
export const FAST_ASSIGN = 2;
/** `not <check>` whose operand is deterministic. */
export const FAST_NOT = 3;
/** `[a, b] := value`: an array of fresh vars bound from one value. */
export const FAST_DESTRUCTURE = 4;
/**
 * `some v in coll` / `some k, v in coll` with fresh vars: when coll is undefined, empty or not a
 * collection the literal fails at once (the common case: iterating a field the request lacks);
 * otherwise the general evaluator enumerates it.
 */
export const FAST_SOMEIN = 5;
/**
 * How the body loop runs one literal, worked out once per literal. Every step has the same
 * fields (one class): the loop's reads stay monomorphic, where reading the literals themselves
 * (objects of many shapes) was a measurable part of a decision.
 */
export class Step {
  constructor(
    readonly kind: number,
    readonly fn: OneFn | undefined,
    /** FAST_ASSIGN: the slot bound. */
    readonly slot: number,
    /** FAST_DESTRUCTURE: the slots bound; FAST_SOMEIN: [value slot] or [value slot, key slot]. */
    readonly slots: number[] | undefined,
    readonly loc: Loc,
  ) {}
}

/** A compiled body with its steps attached (computed on first use; bodies never change). */
type Planned = CLit[] & { steps?: Step[] };

/** The steps of a body, one per literal. */
export function stepsOf(lits: CLit[]): Step[] {
  return ((lits as Planned).steps ??= lits.map(classify));
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
      if (a.k === K.Var) return new Step(FAST_ASSIGN, makeOne(t.args[1]!), a.slot, undefined, lit.loc);
      if (a.k === K.Array && a.items.length > 0 && a.items.every((x) => x.k === K.Var)) {
        const slots = a.items.map((x) => (x as { slot: number }).slot);
        if (new Set(slots).size === slots.length)
          return new Step(FAST_DESTRUCTURE, makeOne(t.args[1]!), -1, slots, lit.loc);
      }
    } else if (!(t.k === K.Call && (t.fn.special || t.fn.hasOutput))) {
      return new Step(FAST_CHECK, makeOne(t), -1, undefined, lit.loc);
    }
  } else if (
    lit.l === L.SomeIn &&
    lit.with.length === 0 &&
    lit.value.k === K.Var &&
    (!lit.key || (lit.key.k === K.Var && lit.key.slot !== lit.value.slot))
  ) {
    const slots = lit.key ? [lit.value.slot, (lit.key as { slot: number }).slot] : [lit.value.slot];
    return new Step(FAST_SOMEIN, makeOne(lit.coll), -1, slots, lit.loc);
  } else if (lit.l === L.Not && lit.with.length === 0 && lit.body.length === 1) {
    const inner = stepsOf(lit.body)[0]!;
    if (inner.kind === FAST_CHECK) return new Step(FAST_NOT, inner.fn, -1, undefined, lit.loc);
  }
  return new Step(FAST_NONE, undefined, -1, undefined, lit.loc);
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
export function makeOne(t: CTerm): OneFn {
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
        else v = ev.leafValue(leaf, path, depth);
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
        const fa = ((t.args[0] as { one?: OneFn }).one ??= makeOne(t.args[0]!));
        const fb = ((t.args[1] as { one?: OneFn }).one ??= makeOne(t.args[1]!));
        return (ev, f) => {
          const a = fa(ev, f);
          if (a === MULTI || a === undefined) return a;
          const b = fb(ev, f);
          if (b === MULTI || b === undefined) return b;
          if (ev.mocks !== undefined) return ev.callOne(t, [a, b]);
          return cmp(a, b);
        };
      }
      const argFns = t.args.map((a) => ((a as { one?: OneFn }).one ??= makeOne(a)));
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
      const head = ((t.head as { one?: OneFn }).one ??= makeOne(t.head));
      const keys = t.path.map((a) => ((a as { one?: OneFn }).one ??= makeOne(a)));
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
      const ks = t.keys.map((a) => ((a as { one?: OneFn }).one ??= makeOne(a)));
      const vs = t.vals.map((a) => ((a as { one?: OneFn }).one ??= makeOne(a)));
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
      const fns = t.items.map((a) => ((a as { one?: OneFn }).one ??= makeOne(a)));
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
      const fns = t.items.map((a) => ((a as { one?: OneFn }).one ??= makeOne(a)));
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
 * `data.pkg.rule[key]...` with computed keys past the resolved rule node
 * (`lib.host_config[field]`, `allowed[input.x]`): Evaluator.oneSlow's order (a key needing
 * enumeration gives MULTI before the node is evaluated), without its re-dispatch per key.
 */
function dataKeys(t: Extract<CTerm, { k: K.Data }>): OneFn {
  const leaf = t.leaf!;
  const depth = t.depth!;
  const path = t.path;
  const keys = path.slice(depth).map((a) => ((a as { one?: OneFn }).one ??= makeOne(a)));
  const withVars = keys.filter((_, i) => path[depth + i]!.vars);
  return (ev, f) => {
    if (ev.overrides.length > 0) return ev.oneSlow(t, f);
    for (let i = 0; i < withVars.length; i++) if (withVars[i]!(ev, f) === MULTI) return MULTI;
    let v: Value | undefined;
    const c = ev.dataEmpty || ev.baseAt[leaf.id] === UNDEF ? ev.cache[leaf.id] : undefined;
    if (c !== undefined && c !== BUSY) v = c === UNDEF ? undefined : c;
    else v = ev.leafValue(leaf, path, depth);
    for (let i = 0; i < keys.length && v !== undefined; i++) {
      const key = keys[i]!(ev, f);
      if (key === undefined) return undefined;
      if (key === MULTI) return MULTI;
      v = getKey(v, key);
    }
    return v;
  };
}
