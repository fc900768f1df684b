// The errors of builtins and the checks of their operands, for every family, producing OPA's
// messages:
//   type errors   "NAME: operand N must be string but got number"          (eval_type_error)
//   other errors  "NAME: <reason>"                                          (eval_builtin_error)
import { BigNum, ObjectValue, SetValue, intValue, typeName, type Value } from '../value.js';

export type ErrorCode = 'eval_builtin_error' | 'eval_type_error';

export class BuiltinError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function typeError(builtin: string, message: string): BuiltinError {
  return new BuiltinError('eval_type_error', `${builtin}: ${message}`);
}

export function builtinError(builtin: string, message: string): BuiltinError {
  return new BuiltinError('eval_builtin_error', `${builtin}: ${message}`);
}

/** "operand N must be EXPECTED but got TYPE". */
export function operandError(builtin: string, pos: number, expected: string, got: Value): BuiltinError {
  return typeError(builtin, `operand ${pos} must be ${expected} but got ${typeName(got)}`);
}

/** A string operand. */
export function str(name: string, pos: number, v: Value): string {
  if (typeof v !== 'string') throw operandError(name, pos, 'string', v);
  return v;
}

export function num(name: string, pos: number, v: Value): number | BigNum {
  if (typeof v === 'number' || v instanceof BigNum) return v;
  throw operandError(name, pos, 'number', v);
}

export function isInt(v: number | BigNum): boolean {
  return v instanceof BigNum || Number.isInteger(v);
}

/** An integer operand as bigint ("must be integer number but got floating-point number" otherwise). */
export function bigIntOperand(name: string, pos: number, v: Value): bigint {
  const n = num(name, pos, v);
  if (n instanceof BigNum) return n.n;
  if (!Number.isInteger(n))
    throw typeError(name, `operand ${pos} must be integer number but got floating-point number`);
  return BigInt(n);
}

/** An integer operand as a JS number (Go int). */
export function intOperand(name: string, pos: number, v: Value): number {
  const n = num(name, pos, v);
  if (n instanceof BigNum) return Number(n.n);
  if (!Number.isInteger(n))
    throw typeError(name, `operand ${pos} must be integer number but got floating-point number`);
  return n;
}

export function arr(name: string, pos: number, v: Value): Value[] {
  if (!Array.isArray(v)) throw operandError(name, pos, 'array', v);
  return v;
}

export function obj(name: string, pos: number, v: Value): ObjectValue {
  if (!(v instanceof ObjectValue)) throw operandError(name, pos, 'object', v);
  return v;
}

export function set(name: string, pos: number, v: Value): SetValue {
  if (!(v instanceof SetValue)) throw operandError(name, pos, 'set', v);
  return v;
}

/** "operand N must be one of {a, b} but got T". */
export function oneOfError(name: string, pos: number, v: Value, ...expected: string[]): BuiltinError {
  return typeError(name, `operand ${pos} must be one of {${expected.join(', ')}} but got ${typeName(v)}`);
}

/** "operand N must be array of strings but got array containing number". */
export function elementError(name: string, pos: number, composite: Value, got: Value, expected: string): BuiltinError {
  const t = typeName(composite);
  return typeError(name, `operand ${pos} must be ${t} of ${expected}s but got ${t} containing ${typeName(got)}`);
}

/** Strings of an array or set operand. */
export function stringSlice(name: string, pos: number, v: Value): string[] {
  let items: readonly Value[];
  if (Array.isArray(v)) items = v;
  else if (v instanceof SetValue) items = v.sorted();
  else throw oneOfError(name, pos, v, 'array', 'set');
  const out: string[] = [];
  for (const x of items) {
    if (typeof x !== 'string') throw elementError(name, pos, v, x, 'string');
    out.push(x);
  }
  return out;
}

/** Elements of an array or set (sets in sorted order). */
export function collectionItems(v: Value): readonly Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof SetValue) return v.sorted();
  return undefined;
}

export function big(n: bigint): number | BigNum {
  return intValue(n);
}

/** Code points of a string (Go's []rune of valid UTF-16 text). */
export function runes(s: string): string[] {
  return Array.from(s);
}

export function isASCII(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** UTF-8 byte length of a string. */
export function utf8Len(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * A small bounded cache: hits are a plain Map lookup; when full, the oldest insertion is
 * evicted (FIFO, which for compiled patterns behaves close enough to LRU and keeps hits cheap).
 */
export class LRU<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  set(k: K, v: V): void {
    if (!this.map.has(k) && this.map.size >= this.max) {
      const first = this.map.keys().next();
      if (!first.done) this.map.delete(first.value);
    }
    this.map.set(k, v);
  }
}
