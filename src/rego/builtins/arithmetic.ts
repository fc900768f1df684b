// Builtin family "arithmetic" (engine): + - * / % and abs/round/ceil/floor, numbers.range.
// Integers stay exact (bigint beyond 2^53); non-integral results go through exact rationals
// as OPA's arbitrary-precision decimals do (0.1 + 0.2 == 0.3).
import { BigNum, SetValue, intValue, toBigInt, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, operandError, typeError } from './operands.js';
import { typeName } from '../value.js';
import { ratAdd, ratMul, ratToNumber, toRat, type Rat } from './numeric.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

type Num = number | BigNum;

function num(pos: number, v: Value): Num {
  if (typeof v === 'number' || v instanceof BigNum) return v;
  throw operandError(pos, 'number', v);
}

function bothInts(a: Num, b: Num): [bigint, bigint] | undefined {
  const x = toBigInt(a);
  const y = toBigInt(b);
  return x !== undefined && y !== undefined ? [x, y] : undefined;
}

function neg(r: Rat): Rat {
  return { n: -r.n, d: r.d };
}

function arith(op: 'plus' | 'minus' | 'mul', a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b)) {
    const r = op === 'plus' ? a + b : op === 'minus' ? a - b : a * b;
    if (Number.isSafeInteger(r)) return r;
  }
  const ints = bothInts(a, b);
  if (ints) {
    const [x, y] = ints;
    return intValue(op === 'plus' ? x + y : op === 'minus' ? x - y : x * y);
  }
  const ra = toRat(a);
  const rb = toRat(b);
  return ratToNumber(op === 'plus' ? ratAdd(ra, rb) : op === 'minus' ? ratAdd(ra, neg(rb)) : ratMul(ra, rb));
}

builtins.push({ name: 'plus', arity: 2, fn: ([a, b]) => arith('plus', num(1, a!), num(2, b!)) });
builtins.push({
  name: 'minus',
  arity: 2,
  fn: ([a, b]) => {
    if (a instanceof SetValue) {
      if (!(b instanceof SetValue)) throw operandError(2, 'set', b!);
      const out = new SetValue();
      for (const v of a.sorted()) if (!b.has(v)) out.add(v);
      return out;
    }
    if (typeof a !== 'number' && !(a instanceof BigNum))
      throw typeError(`operand 1 must be one of {number, set} but got ${typeName(a!)}`);
    return arith('minus', a, num(2, b!));
  },
});
builtins.push({ name: 'mul', arity: 2, fn: ([a, b]) => arith('mul', num(1, a!), num(2, b!)) });
builtins.push({
  name: 'div',
  arity: 2,
  fn: ([a, b]) => {
    const x = num(1, a!);
    const y = num(2, b!);
    const ry = toRat(y);
    if (ry.n === 0n) throw builtinError('divide by zero');
    const rx = toRat(x);
    return ratToNumber(ratMul(rx, { n: ry.d * (ry.n < 0n ? -1n : 1n), d: ry.n < 0n ? -ry.n : ry.n }));
  },
});
builtins.push({
  name: 'rem',
  arity: 2,
  fn: ([a, b]) => {
    const x = num(1, a!);
    const y = num(2, b!);
    const ints = bothInts(x, y);
    if (!ints) throw builtinError('modulo on floating-point number');
    if (ints[1] === 0n) throw builtinError('modulo by zero');
    return intValue(ints[0] % ints[1]);
  },
});
builtins.push({
  name: 'abs',
  arity: 1,
  fn: ([a]) => {
    const x = num(1, a!);
    return x instanceof BigNum ? intValue(x.n < 0n ? -x.n : x.n) : Math.abs(x);
  },
});

function rounding(name: string, f: (x: number) => number) {
  builtins.push({
    name,
    arity: 1,
    fn: ([a]) => {
      const x = num(1, a!);
      return x instanceof BigNum ? x : f(x);
    },
  });
}
// Go's math.Round rounds half away from zero.
rounding('round', (x) => (x < 0 ? -Math.round(-x) : Math.round(x)) + 0);
rounding('ceil', (x) => Math.ceil(x) + 0);
rounding('floor', (x) => Math.floor(x) + 0);

function intArg(pos: number, v: Value): bigint {
  const n = num(pos, v);
  const i = toBigInt(n);
  if (i === undefined) throw typeError(`operand ${pos} must be integer number but got floating-point number`);
  return i;
}

function range(a: bigint, b: bigint, step: bigint): Value[] {
  const out: Value[] = [];
  if (a <= b) for (let i = a; i <= b; i += step) out.push(intValue(i));
  else for (let i = a; i >= b; i -= step) out.push(intValue(i));
  return out;
}

builtins.push({
  name: 'numbers.range',
  arity: 2,
  fn: ([a, b]) => range(intArg(1, a!), intArg(2, b!), 1n),
});
builtins.push({
  name: 'numbers.range_step',
  arity: 3,
  fn: ([a, b, s]) => {
    const step = intArg(3, s!);
    if (step <= 0n) throw builtinError('step must be a positive integer');
    return range(intArg(1, a!), intArg(2, b!), step);
  },
});
