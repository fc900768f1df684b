// Builtin family "arrays": array.concat, array.slice, array.reverse, array.flatten.
import type { BuiltinDef } from './registry.js';
import { arr, intOperand } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

builtins.push({
  name: 'array.concat',
  arity: 2,
  fn: ([a, b]) => {
    const x = arr(1, a!);
    const y = arr(2, b!);
    return x.length === 0 ? y : y.length === 0 ? x : x.concat(y);
  },
});

builtins.push({
  name: 'array.slice',
  arity: 3,
  fn: ([a, b, c]) => {
    const x = arr(1, a!);
    let start = intOperand(2, b!);
    let stop = intOperand(3, c!);
    if (stop > x.length) stop = x.length;
    if (start < 0) start = 0;
    if (start >= stop) return [];
    return x.slice(start, stop);
  },
});

builtins.push({
  name: 'array.reverse',
  arity: 1,
  fn: ([a]) => [...arr(1, a!)].reverse(),
});

builtins.push({
  name: 'array.flatten',
  arity: 1,
  fn: ([a]) => {
    const x = arr(1, a!);
    const out = [];
    for (const v of x) {
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
    }
    return out;
  },
});
