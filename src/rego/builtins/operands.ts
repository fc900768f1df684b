// The errors of builtins and the checks of their operands, for every family. A builtin throws
// the reason alone; the evaluator names the builtin that was called, as OPA's does, giving:
//   type errors   "NAME: operand N must be string but got number"          (eval_type_error)
//   other errors  "NAME: <reason>"                                          (eval_builtin_error)
import { BigNum, ObjectValue, SetValue, intValue, typeName, type Value } from '../value.js';

export type ErrorCode = 'eval_builtin_error' | 'eval_type_error';

export class BuiltinError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** The reason, without the builtin's name (the evaluator puts it in front). */
    message: string,
  ) {
    super(message);
  }
}

/** A type error about an operand: "operand N must be ..." */
export function typeError(message: string): BuiltinError {
  return new BuiltinError('eval_type_error', message);
}

export function builtinError(message: string): BuiltinError {
  return new BuiltinError('eval_builtin_error', message);
}

/** "operand N must be EXPECTED but got TYPE". */
export function operandError(pos: number, expected: string, got: Value): BuiltinError {
  return typeError(`operand ${pos} must be ${expected} but got ${typeName(got)}`);
}

/** A string operand. */
export function str(pos: number, v: Value): string {
  if (typeof v !== 'string') throw operandError(pos, 'string', v);
  return v;
}

export function num(pos: number, v: Value): number | BigNum {
  if (typeof v === 'number' || v instanceof BigNum) return v;
  throw operandError(pos, 'number', v);
}

export function isInt(v: number | BigNum): boolean {
  return v instanceof BigNum || Number.isInteger(v);
}

/** An integer operand as bigint ("must be integer number but got floating-point number" otherwise). */
export function bigIntOperand(pos: number, v: Value): bigint {
  const n = num(pos, v);
  if (n instanceof BigNum) return n.n;
  if (!Number.isInteger(n)) throw typeError(`operand ${pos} must be integer number but got floating-point number`);
  return BigInt(n);
}

/** An integer operand as a JS number (Go int). */
export function intOperand(pos: number, v: Value): number {
  const n = num(pos, v);
  if (n instanceof BigNum) return Number(n.n);
  if (!Number.isInteger(n)) throw typeError(`operand ${pos} must be integer number but got floating-point number`);
  return n;
}

export function arr(pos: number, v: Value): Value[] {
  if (!Array.isArray(v)) throw operandError(pos, 'array', v);
  return v;
}

export function obj(pos: number, v: Value): ObjectValue {
  if (!(v instanceof ObjectValue)) throw operandError(pos, 'object', v);
  return v;
}

export function set(pos: number, v: Value): SetValue {
  if (!(v instanceof SetValue)) throw operandError(pos, 'set', v);
  return v;
}

/** "operand N must be one of {a, b} but got T". */
export function oneOfError(pos: number, v: Value, ...expected: string[]): BuiltinError {
  return typeError(`operand ${pos} must be one of {${expected.join(', ')}} but got ${typeName(v)}`);
}

/** "operand N must be array of strings but got array containing number". */
export function elementError(pos: number, composite: Value, got: Value, expected: string): BuiltinError {
  const t = typeName(composite);
  return typeError(`operand ${pos} must be ${t} of ${expected}s but got ${t} containing ${typeName(got)}`);
}

/** Strings of an array or set operand. */
export function stringSlice(pos: number, v: Value): string[] {
  let items: readonly Value[];
  if (Array.isArray(v)) items = v;
  else if (v instanceof SetValue) items = v.sorted();
  else throw oneOfError(pos, v, 'array', 'set');
  const out: string[] = [];
  for (const x of items) {
    if (typeof x !== 'string') throw elementError(pos, v, x, 'string');
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
