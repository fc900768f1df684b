// What the compiled closures of fastpath.ts see of an evaluation in progress: the frame of
// bindings, the per-query rule cache, the values kept across queries on one data document, and
// the few evaluator operations a closure falls back to. The Evaluator (evaluator.ts) implements
// EvalState; the closures depend on this interface only, so the dependencies run one way:
// ir.ts ← state.ts ← fastpath.ts ← evaluator.ts.
import type { CallTarget, CallTerm, CTerm, RuleNode } from './ir.js';
import { ObjectValue, type Value } from './value.js';

/** The bindings of one rule body or query, indexed by slot. */
export type Frame = (Value | undefined)[];

/** Returned when a term needs enumeration (an unbound var somewhere). */
export const MULTI = Symbol('multi');
export type One = Value | undefined | typeof MULTI;

/** Rule cache markers: evaluated and undefined; being evaluated (recursion detection). */
export const UNDEF = Symbol('undef');
export const BUSY = Symbol('busy');

/** A rule value cached for one query: the value, UNDEF (undefined), BUSY (being computed) or not yet. */
export type CachedValue = Value | typeof UNDEF | typeof BUSY | undefined;

/** Per compiled policy, data document and strictness: values of pure nodes by node id. */
export interface SharedValues {
  data: Value;
  strict: boolean;
  values: (Value | typeof UNDEF | undefined)[];
  /**
   * The base document at each resolved rule node's path (UNDEF: none), filled on first use.
   * It depends on data alone, so it is looked up once per data document, not once per query.
   */
  baseAt: (Value | typeof UNDEF | undefined)[];
  /** data is an empty object: no base document can shadow a rule. */
  dataEmpty: boolean;
}

/** A fresh SharedValues for a data document. */
export function sharedValues(data: Value, strict: boolean, nodeCount: number): SharedValues {
  return {
    data,
    strict,
    values: new Array(nodeCount),
    baseAt: new Array(nodeCount),
    dataEmpty: data instanceof ObjectValue && data.size === 0,
  };
}

/** A `with` replacement of a function: a value, or another function to call instead. */
export interface Mock {
  value?: Value;
  target?: CallTarget;
}

/** A `with data.PATH as value` replacement in force. */
export interface Override {
  path: Value[];
  value: Value;
}

/** The evaluation state a compiled closure reads, and the evaluator operations it falls back to. */
export interface EvalState {
  /** The input document of the query (replaced inside `with input`). */
  readonly input: Value | undefined;
  /** Per-query rule values by node id. */
  readonly cache: CachedValue[];
  /** data is an empty object: no base document can shadow a rule. */
  readonly dataEmpty: boolean;
  /** The base document at each resolved rule node (UNDEF: none): SharedValues.baseAt. */
  readonly baseAt: (Value | typeof UNDEF | undefined)[];
  /** `with data` replacements in force (empty outside `with`). */
  readonly overrides: readonly Override[];
  /** `with` function replacements in force (undefined outside `with`). */
  readonly mocks: ReadonlyMap<string, Mock> | undefined;
  /** The values kept across queries on the current data document. */
  readonly shared: SharedValues;
  /** The general (switch-based) evaluation of a term without enumeration. */
  oneSlow(t: CTerm, f: Frame): One;
  /** The value of a compile-time resolved rule node (a base document there shadows it). */
  leafValue(leaf: RuleNode): Value | undefined;
  /** A deterministic call with evaluated arguments: its value or undefined. */
  callOne(t: CallTerm, args: Value[]): Value | undefined;
}

/** A term compiled to a closure: its value, undefined, or MULTI when it must be enumerated. */
export type OneFn = (ev: EvalState, f: Frame) => One;
