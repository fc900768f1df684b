// Document helpers shared by the evaluator and its compiled closures: key lookup in arrays,
// objects and sets, base-data lookup, and immutable path updates for `with`.
import { ObjectValue, SetValue, equal, type Value } from './value.js';

/** v[key] for arrays (integer index), objects and sets (membership). */
export function getKey(v: Value, key: Value): Value | undefined {
  if (v instanceof ObjectValue) return v.get(key);
  if (Array.isArray(v)) {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= v.length) return undefined;
    return v[key];
  }
  if (v instanceof SetValue) return v.has(key) ? key : undefined;
  return undefined;
}

/** a deep-merged with b (b's leaves win); returns a fresh object. */
export function mergeObjects(a: ObjectValue, b: ObjectValue): ObjectValue {
  const out = a.clone();
  for (const [k, v] of b.sortedEntries()) {
    const x = out.get(k);
    out.set(k, x instanceof ObjectValue && v instanceof ObjectValue ? mergeObjects(x, v) : v);
  }
  return out;
}

/** Base-document lookup: OPA also finds integer keys under their string spelling (data[2]). */
export function dataGet(v: Value, key: Value): Value | undefined {
  const x = getKey(v, key);
  if (x === undefined && typeof key === 'number' && v instanceof ObjectValue) return v.get(String(key));
  return x;
}

/** A copy of v with v[path...] = x (objects created along the way). */
export function setPath(v: Value | undefined, path: Value[], x: Value): Value {
  if (path.length === 0) return x;
  const o = v instanceof ObjectValue ? v.clone() : new ObjectValue();
  const key = path[0]!;
  o.set(key, setPath(o.get(key), path.slice(1), x));
  return o;
}

export function pathEqual(a: Value[], b: Value[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!equal(a[i]!, b[i]!)) return false;
  return true;
}

export function isPrefix(prefix: Value[], p: Value[]): boolean {
  if (prefix.length > p.length) return false;
  for (let i = 0; i < prefix.length; i++) if (!equal(prefix[i]!, p[i]!)) return false;
  return true;
}
