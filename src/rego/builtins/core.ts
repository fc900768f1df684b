// Builtin family "core" (engine): membership (`in`), assignment and unification operators
// (evaluated specially by the evaluator, declared here so arity checks and mocks see them).
import { ObjectValue, SetValue, equal, type Value } from '../value.js';
import { register } from './registry.js';

/** `x in xs`: element of an array, value of an object, member of a set. */
function member(x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) return coll.some((v) => equal(v, x));
  if (coll instanceof SetValue) return coll.has(x);
  if (coll instanceof ObjectValue) return coll.values().some((v) => equal(v, x));
  return false;
}

/** `k, v in xs`: index/key k holds value v. */
function memberKV(k: Value, v: Value, coll: Value): boolean {
  if (Array.isArray(coll)) return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < coll.length && equal(coll[k]!, v);
  if (coll instanceof ObjectValue) {
    const x = coll.get(k);
    return x !== undefined && equal(x, v);
  }
  if (coll instanceof SetValue) return coll.has(v) && equal(k, v);
  return false;
}

register({ name: 'internal.member_2', arity: 2, fn: ([x, c]) => member(x!, c!) });
register({ name: 'internal.member_3', arity: 3, fn: ([k, v, c]) => memberKV(k!, v!, c!) });
// eq / assign never reach these implementations: the evaluator unifies instead.
register({ name: 'eq', arity: 2, fn: ([a, b]) => equal(a!, b!) });
register({ name: 'assign', arity: 2, fn: ([a, b]) => equal(a!, b!) });
