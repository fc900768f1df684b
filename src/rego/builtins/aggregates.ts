// Builtin family "aggregates": count, sum, product, max, min, sort, all, any.
import { BigNum, ObjectValue, SetValue, compare, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { collectionItems, elementError, oneOfError } from './operands.js';
import { ratAdd, ratMul, ratToNumber, toRat, type Rat } from './numeric.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

builtins.push({
  name: 'count',
  arity: 1,
  fn: ([a]) => {
    if (Array.isArray(a)) return a.length;
    if (a instanceof ObjectValue || a instanceof SetValue) return a.size;
    if (typeof a === 'string') {
      let n = 0;
      for (const _ of a) n++;
      return n;
    }
    throw oneOfError(1, a!, 'array', 'object', 'set', 'string');
  },
});

function fold(name: string, a: Value, init: Rat, op: (x: Rat, y: Rat) => Rat): Value {
  const items = collectionItems(a);
  if (!items) throw oneOfError(1, a, 'set', 'array');
  let acc = init;
  let allInt = true;
  let iacc = init.n;
  for (const x of items) {
    if (typeof x !== 'number' && !(x instanceof BigNum)) throw elementError(1, a, x, 'number');
  }
  if (items.some((x) => typeof x === 'number' && !Number.isFinite(x))) {
    // out-of-range float literals: plain float arithmetic
    let f = name === 'sum' ? 0 : 1;
    for (const x of items as (number | BigNum)[]) {
      const v = x instanceof BigNum ? Number(x.n) : x;
      f = name === 'sum' ? f + v : f * v;
    }
    return f;
  }
  for (const x of items) {
    if (typeof x !== 'number' && !(x instanceof BigNum)) continue;
    if (allInt && (x instanceof BigNum || Number.isInteger(x))) {
      const b = x instanceof BigNum ? x.n : BigInt(x);
      iacc = name === 'sum' ? iacc + b : iacc * b;
    } else allInt = false;
    acc = op(acc, toRat(x));
  }
  return ratToNumber(allInt ? { n: iacc, d: 1n } : acc);
}

builtins.push({ name: 'sum', arity: 1, fn: ([a]) => fold('sum', a!, { n: 0n, d: 1n }, ratAdd) });
builtins.push({ name: 'product', arity: 1, fn: ([a]) => fold('product', a!, { n: 1n, d: 1n }, ratMul) });

function extreme(a: Value, sign: number): Value | undefined {
  const items = collectionItems(a);
  if (!items) throw oneOfError(1, a, 'set', 'array');
  if (items.length === 0) return undefined;
  let best: Value = items[0]!;
  for (const x of items) if (compare(x, best) * sign > 0) best = x;
  return best;
}

builtins.push({ name: 'max', arity: 1, fn: ([a]) => extreme(a!, 1) });
builtins.push({ name: 'min', arity: 1, fn: ([a]) => extreme(a!, -1) });

builtins.push({
  name: 'sort',
  arity: 1,
  fn: ([a]) => {
    if (Array.isArray(a)) return [...a].sort(compare);
    if (a instanceof SetValue) return [...a.sorted()];
    throw oneOfError(1, a!, 'set', 'array');
  },
});

builtins.push({
  name: 'all',
  arity: 1,
  deprecated: true,
  fn: ([a]) => {
    const items = collectionItems(a!);
    if (!items) throw oneOfError(1, a!, 'array', 'set');
    return items.every((x) => x === true);
  },
});

builtins.push({
  name: 'any',
  arity: 1,
  deprecated: true,
  fn: ([a]) => {
    const items = collectionItems(a!);
    if (!items) throw oneOfError(1, a!, 'array', 'set');
    return items.some((x) => x === true);
  },
});
