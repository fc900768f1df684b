// Builtin family "sets" (engine): & and | on sets, intersection and union of a set of sets.
import { SetValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { operandError } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function set(pos: number, v: Value): SetValue {
  if (!(v instanceof SetValue)) throw operandError(pos, 'set', v);
  return v;
}

function intersect(a: SetValue, b: SetValue): SetValue {
  const out = new SetValue();
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const v of small.sorted()) if (big.has(v)) out.add(v);
  return out;
}

function unite(a: SetValue, b: SetValue): SetValue {
  const out = a.clone();
  for (const v of b.sorted()) out.add(v);
  return out;
}

builtins.push({ name: 'and', arity: 2, fn: ([a, b]) => intersect(set(1, a!), set(2, b!)) });
builtins.push({ name: 'or', arity: 2, fn: ([a, b]) => unite(set(1, a!), set(2, b!)) });
builtins.push({
  name: 'intersection',
  arity: 1,
  fn: ([a]) => {
    const sets = set(1, a!).sorted();
    if (sets.length === 0) return new SetValue();
    let acc: SetValue | undefined;
    for (const s of sets) {
      if (!(s instanceof SetValue)) throw operandError(1, 'set of sets', a!);
      acc = acc ? intersect(acc, s) : s;
    }
    return acc!;
  },
});
builtins.push({
  name: 'union',
  arity: 1,
  fn: ([a]) => {
    let acc = new SetValue();
    for (const s of set(1, a!).sorted()) {
      if (!(s instanceof SetValue)) throw operandError(1, 'set of sets', a!);
      acc = unite(acc, s);
    }
    return acc;
  },
});
