// The builtin function registry: declarations (name, arity) and implementations in one place,
// each family registering itself from its own file (strings.ts, regex.ts, ...).
//
// A builtin receives evaluated argument values and returns a Value, or `undefined` for "no
// result" (the expression is then undefined). Errors are thrown as BuiltinError; the evaluator
// turns them into OPA's behaviour: raised when strict builtin errors are on (or for
// errors that always halt), otherwise the expression is undefined.
import { typeName, type Value } from '../value.js';

export type ErrorCode = 'eval_builtin_error' | 'eval_type_error';

export class BuiltinError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a builtin may ask of the evaluation that calls it. */
export interface BuiltinContext {
  /** Strict builtin errors are on for this query. */
  readonly strict: boolean;
  /**
   * Per-query memo for builtins whose result must be stable within one query
   * (time.now_ns, rand.intn, uuid.rfc4122 with the same arguments...).
   */
  readonly queryCache: Map<string, Value>;
  /** Nanoseconds since the epoch, fixed when the query started. */
  readonly nowNs: bigint;
  /** Output of `print` and `trace`. */
  print(message: string): void;
}

export interface BuiltinDef {
  /** Full dotted name, e.g. "strings.replace_n". */
  name: string;
  /** Number of arguments, not counting the output. */
  arity: number;
  /** Single-valued builtin. */
  fn?: (args: Value[], ctx: BuiltinContext) => Value | undefined;
  /** Builtin that produces zero or more results (e.g. walk). */
  multi?: (args: Value[], ctx: BuiltinContext) => Iterable<Value>;
  /** Results vary between calls with the same arguments (rand, time.now_ns): never constant-folded. */
  nondeterministic?: boolean;
  /** Deprecated builtins are refused by the v1 compiler unless a policy asks for them. */
  deprecated?: boolean;
}

const registry = new Map<string, BuiltinDef>();

export function register(def: BuiltinDef): void {
  if (registry.has(def.name)) throw new Error(`builtin ${def.name} registered twice`);
  if (!def.fn === !def.multi) throw new Error(`builtin ${def.name}: exactly one of fn and multi`);
  registry.set(def.name, def);
}

export function lookupBuiltin(name: string): BuiltinDef | undefined {
  return registry.get(name);
}

export function builtinNames(): IterableIterator<string> {
  return registry.keys();
}

// ---------------------------------------------------------------------------------------------
// Operand helpers producing OPA's exact messages, e.g.
//   "strings.replace_n: operand 2 must be string but got number"

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

export function expectString(builtin: string, pos: number, v: Value): string {
  if (typeof v !== 'string') throw operandError(builtin, pos, 'string', v);
  return v;
}
