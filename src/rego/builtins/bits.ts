// Builtin family "bits": arbitrary-precision bitwise operations on integers.
import { BigNum, intValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { operandError, typeError } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function bigInt(pos: number, v: Value): bigint {
  if (v instanceof BigNum) return v.n;
  if (typeof v !== 'number') throw operandError(pos, 'integer', v);
  if (!Number.isInteger(v)) throw typeError(`operand ${pos} must be integer number but got floating-point number`);
  return BigInt(v);
}

function binary(name: string, op: (a: bigint, b: bigint) => bigint): void {
  builtins.push({ name, arity: 2, fn: ([a, b]) => intValue(op(bigInt(1, a!), bigInt(2, b!))) });
}

binary('bits.and', (a, b) => a & b);
binary('bits.or', (a, b) => a | b);
binary('bits.xor', (a, b) => a ^ b);

builtins.push({ name: 'bits.negate', arity: 1, fn: ([a]) => intValue(~bigInt(1, a!)) });

function shift(name: string, op: (a: bigint, b: bigint) => bigint): void {
  builtins.push({
    name,
    arity: 2,
    fn: ([a, b]) => {
      const x = bigInt(1, a!);
      const n = bigInt(2, b!);
      if (n < 0n) throw typeError('operand 2 must be an unsigned integer number but got a negative integer');
      if (n > 1n << 20n) throw typeError('operand 2 shift count too large');
      return intValue(op(x, n));
    },
  });
}

shift('bits.lsh', (a, n) => a << n);
shift('bits.rsh', (a, n) => a >> n);
