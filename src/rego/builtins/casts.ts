// Builtin family "casts": to_number and the deprecated cast_* builtins.
import { BigNum, ObjectValue, SetValue, intValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, oneOfError, operandError, typeError } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

builtins.push({
  name: 'to_number',
  arity: 1,
  fn: ([a]) => {
    if (a === null) return 0;
    if (typeof a === 'boolean') return a ? 1 : 0;
    if (typeof a === 'number' || a instanceof BigNum) return a;
    if (typeof a === 'string') {
      const low = a.replace(/^[+-]+/, '').toLowerCase();
      if (low === 'inf' || low === 'infinity' || low === 'nan') {
        throw typeError('operand 1 must be valid number string but got string');
      }
      if (!DECIMAL.test(a)) throw builtinError(`strconv.ParseFloat: parsing ${JSON.stringify(a)}: invalid syntax`);
      if (/^[+-]?\d+$/.test(a)) return intValue(BigInt(a));
      const f = Number(a);
      if (!Number.isFinite(f))
        throw builtinError(`strconv.ParseFloat: parsing ${JSON.stringify(a)}: value out of range`);
      return f;
    }
    throw oneOfError(1, a!, 'null', 'boolean', 'number', 'string');
  },
});

function cast(name: string, f: (v: Value) => Value | undefined, ...expected: string[]): void {
  builtins.push({
    name,
    arity: 1,
    deprecated: true,
    fn: ([a]) => {
      const r = f(a!);
      if (r !== undefined) return r;
      throw expected.length === 1 ? operandError(1, expected[0]!, a!) : oneOfError(1, a!, ...expected);
    },
  });
}

cast('cast_array', (v) => (Array.isArray(v) ? v : v instanceof SetValue ? [...v.sorted()] : undefined), 'array', 'set');
cast('cast_set', (v) => (Array.isArray(v) ? SetValue.from(v) : v instanceof SetValue ? v : undefined), 'array', 'set');
cast('cast_string', (v) => (typeof v === 'string' ? v : undefined), 'string');
cast('cast_boolean', (v) => (typeof v === 'boolean' ? v : undefined), 'boolean');
cast('cast_null', (v) => (v === null ? null : undefined), 'null');
cast('cast_object', (v) => (v instanceof ObjectValue ? v : undefined), 'object');
