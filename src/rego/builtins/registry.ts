// The builtin function registry. Each family module (strings.ts, regex.ts, ...) exports the
// table of its builtins; builtins/index.ts lists every family and adds it here, at once or (for
// a family that only some policies call) when the compiler first looks up one of its names.
//
// A builtin receives evaluated argument values and returns a Value, or `undefined` for "no
// result" (the expression is then undefined). Errors are thrown as BuiltinError (operands.ts);
// the evaluator turns them into OPA's behaviour: raised when strict builtin errors are on (or
// for errors that always halt), otherwise the expression is undefined.
import type { Value } from '../value.js';

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
  /** trace(): records a Note when the query is traced (true), else false. */
  note?(message: string): boolean;
}

export type Reads = 'clock' | 'random' | 'network' | 'context';

export interface BuiltinDef {
  /** Full dotted name, e.g. "strings.replace_n". */
  name: string;
  /** Number of arguments, not counting the output. */
  arity: number;
  /** Single-valued builtin. */
  fn?: (args: Value[], ctx: BuiltinContext) => Value | undefined;
  /** Builtin that produces zero or more results (e.g. walk). */
  multi?: (args: Value[], ctx: BuiltinContext) => Iterable<Value>;
  /**
   * What the builtin reads besides its arguments; absent: nothing, so equal arguments give equal
   * results and a rule calling it may be kept across queries (purity.ts). `clock`: the time
   * (time.now_ns, certificate and token validity); `random`: randomness; `network`: I/O outside
   * the evaluation; `context`: the query's context (runtime information, trace output).
   */
  reads?: Reads;
  /** Deprecated builtins are refused by the v1 compiler unless a policy asks for them. */
  deprecated?: boolean;
}

const registry = new Map<string, BuiltinDef>();

/** Adds a family's builtins. */
export function addBuiltins(defs: readonly BuiltinDef[]): void {
  for (const def of defs) {
    if (registry.has(def.name)) throw new Error(`builtin ${def.name} registered twice`);
    if (!def.fn === !def.multi) throw new Error(`builtin ${def.name}: exactly one of fn and multi`);
    registry.set(def.name, def);
  }
}

/** A family added on first use: the names it defines and how to load its table. */
export interface LazyFamily {
  name: string;
  names: readonly string[];
  load: () => readonly BuiltinDef[];
}

/** Families not loaded yet, by each name they define. */
const pending = new Map<string, LazyFamily>();
const loaded: string[] = [];

/** Declares a family by its names; its module is loaded when one of them is first looked up. */
export function addLazyFamily(family: LazyFamily): void {
  for (const name of family.names) {
    if (registry.has(name) || pending.has(name)) throw new Error(`builtin ${name} registered twice`);
    pending.set(name, family);
  }
}

/** The builtin of that name (loading its family on first use), or undefined. */
export function lookupBuiltin(name: string): BuiltinDef | undefined {
  const def = registry.get(name);
  if (def !== undefined) return def;
  const family = pending.get(name);
  if (family === undefined) return undefined;
  loadFamily(family);
  return registry.get(name);
}

function loadFamily(family: LazyFamily): void {
  for (const name of family.names) pending.delete(name);
  const defs = family.load();
  const declared = new Set(family.names);
  for (const def of defs)
    if (!declared.has(def.name)) throw new Error(`builtin ${def.name} not declared by family ${family.name}`);
  addBuiltins(defs);
  loaded.push(family.name);
}

/** Every builtin name, loaded or not. */
export function builtinNames(): string[] {
  return [...registry.keys(), ...pending.keys()];
}

/** The lazy families loaded so far, in load order. */
export function loadedFamilies(): readonly string[] {
  return loaded;
}
