// Builtin family "objects": object.get, object.keys, object.remove, object.filter,
// object.union, object.union_n, object.subset.
import { ObjectValue, SetValue, compare, equal, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { arr, elementError, obj, oneOfError, typeError } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function keysParam(v: Value): SetValue {
  if (Array.isArray(v)) return SetValue.from(v);
  if (v instanceof SetValue) return v;
  if (v instanceof ObjectValue) return SetValue.from(v.keys());
  throw oneOfError(2, v, 'object', 'set', 'array');
}

builtins.push({
  name: 'object.get',
  arity: 3,
  fn: ([a, k, d]) => {
    const o = obj(1, a!);
    if (!Array.isArray(k)) return o.get(k!) ?? d!;
    if (k.length === 0) return o;
    let cur: Value = o;
    for (const p of k) {
      if (cur instanceof ObjectValue) {
        const n = cur.get(p);
        if (n === undefined) return d!;
        cur = n;
      } else if (Array.isArray(cur)) {
        if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= cur.length) return d!;
        cur = cur[p]!;
      } else if (cur instanceof SetValue) {
        if (!cur.has(p)) return d!;
        cur = p;
      } else return d!;
    }
    return cur;
  },
});

builtins.push({
  name: 'object.keys',
  arity: 1,
  fn: ([a]) => SetValue.from(obj(1, a!).keys()),
});

builtins.push({
  name: 'object.remove',
  arity: 2,
  fn: ([a, b]) => {
    const o = obj(1, a!);
    const ks = keysParam(b!);
    const r = new ObjectValue();
    for (const [k, v] of o.sortedEntries()) if (!ks.has(k)) r.set(k, v);
    return r;
  },
});

builtins.push({
  name: 'object.filter',
  arity: 2,
  fn: ([a, b]) => {
    const o = obj(1, a!);
    const ks = keysParam(b!);
    const r = new ObjectValue();
    for (const k of ks.sorted()) {
      const v = o.get(k);
      if (v !== undefined) r.set(k, v);
    }
    return r;
  },
});

function mergeWithOverwrite(a: ObjectValue, b: ObjectValue): ObjectValue {
  const r = a.clone();
  for (const [k, v2] of b.sortedEntries()) {
    const v1 = r.get(k);
    if (v1 instanceof ObjectValue && v2 instanceof ObjectValue) r.set(k, mergeWithOverwrite(v1, v2));
    else r.set(k, v2);
  }
  return r;
}

builtins.push({
  name: 'object.union',
  arity: 2,
  fn: ([a, b]) => {
    const x = obj(1, a!);
    const y = obj(2, b!);
    if (compare(x, y) === 0) return x;
    return mergeWithOverwrite(x, y);
  },
});

builtins.push({
  name: 'object.union_n',
  arity: 1,
  fn: ([a]) => {
    const xs = arr(1, a!);
    for (const x of xs) if (!(x instanceof ObjectValue)) throw elementError(1, xs, x, 'object');
    let r = new ObjectValue();
    for (const x of xs as ObjectValue[]) r = mergeWithOverwrite(r, x);
    return r;
  },
});

function objectSubset(sup: ObjectValue, sub: ObjectValue): boolean {
  for (const [k, sv] of sub.sortedEntries()) {
    const pv = sup.get(k);
    if (pv === undefined) return false;
    if (equal(sv, pv)) continue;
    if (pv instanceof ObjectValue && sv instanceof ObjectValue) {
      if (!objectSubset(pv, sv)) return false;
    } else if (pv instanceof SetValue && sv instanceof SetValue) {
      if (!setSubset(pv, sv)) return false;
    } else if (Array.isArray(pv) && Array.isArray(sv)) {
      if (!arraySubset(pv, sv)) return false;
    } else return false;
  }
  return true;
}

function setSubset(sup: SetValue, sub: SetValue): boolean {
  for (const x of sub.sorted()) if (!sup.has(x)) return false;
  return true;
}

function arraySubset(sup: Value[], sub: Value[]): boolean {
  if (sub.length > sup.length) return false;
  outer: for (let i = 0; i + sub.length <= sup.length; i++) {
    for (let j = 0; j < sub.length; j++) if (compare(sup[i + j]!, sub[j]!) !== 0) continue outer;
    return true;
  }
  return sub.length === 0;
}

function arraySetSubset(sup: Value[], sub: SetValue): boolean {
  let unmatched = sub.size;
  for (const x of sup) {
    if (sub.has(x)) unmatched--;
    if (unmatched === 0) return true;
  }
  return false;
}

builtins.push({
  name: 'object.subset',
  arity: 2,
  fn: ([a, b]) => {
    if (a instanceof ObjectValue && b instanceof ObjectValue) return objectSubset(a, b);
    if (a instanceof SetValue && b instanceof SetValue) return setSubset(a, b);
    if (Array.isArray(a) && Array.isArray(b)) return arraySubset(a, b);
    if (Array.isArray(a) && b instanceof SetValue) return arraySetSubset(a, b);
    throw typeError('both arguments object.subset must be of the same type or array and set');
  },
});
