// The compiled form the evaluator runs: names are resolved (locals to frame slots, globals to
// rule-tree nodes, builtins to their definitions), bodies are in safe evaluation order, and
// every node knows whether it contains variables (ground terms take a fast path).
import type { Loc } from './ast.js';
import type { BuiltinDef } from './builtins/registry.js';
import type { Value } from './value.js';

export const enum K {
  Const,
  Var,
  Array,
  Object,
  Set,
  /** A ref with an arbitrary head (a local var, a composite, a call result). */
  Ref,
  /** A ref rooted at `data`. */
  Data,
  /** A ref rooted at `input` (path may be empty). */
  Input,
  Call,
  ArrayComp,
  SetComp,
  ObjComp,
  Template,
}

/**
 * What evaluation keeps on a compiled term or rule, filled on first use (the closure a term
 * compiles to, the plan of a rule body). Empty here so that the IR depends on nothing of
 * evaluation: fastpath.ts declares the fields by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in fastpath.ts
export interface TermMemo {}
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in fastpath.ts
export interface RuleMemo {}

/**
 * `data.P[x].r...` with a computed key x at path[at], where data.P is a rule-free node of the
 * rule tree: the rule node each child key of P leads to along the constant path after x,
 * resolved at compile time. A key with no entry takes the general rule-tree walk (base data,
 * children with no rule on that path).
 */
export interface DataDispatch {
  at: number;
  leaves: Map<unknown, RuleNode>;
  /**
   * Every child of P either has an entry or lacks a key of the constant path after x: with x
   * unbound and no base document at P, the entries' rule nodes are all `data.P[x].r` can reach.
   */
  enumerable: boolean;
}

export type CTerm = (
  | { k: K.Const; v: Value; vars: false; loc: Loc }
  | { k: K.Var; slot: number; name: string; vars: true; loc: Loc }
  | { k: K.Array; items: CTerm[]; vars: boolean; loc: Loc }
  | { k: K.Object; keys: CTerm[]; vals: CTerm[]; vars: boolean; loc: Loc }
  | { k: K.Set; items: CTerm[]; vars: boolean; loc: Loc }
  | { k: K.Ref; head: CTerm; path: CTerm[]; vars: boolean; loc: Loc }
  /** leaf: the rule node the constant path prefix reaches (depth elements consumed), resolved at compile time. */
  | {
      k: K.Data;
      path: CTerm[];
      vars: boolean;
      loc: Loc;
      leaf?: RuleNode;
      depth?: number;
      dispatch?: DataDispatch;
    }
  | { k: K.Input; path: CTerm[]; vars: boolean; loc: Loc }
  | { k: K.Call; fn: CallTarget; args: CTerm[]; vars: boolean; loc: Loc }
  | { k: K.ArrayComp; term: CTerm; body: CLit[]; vars: boolean; loc: Loc }
  | { k: K.SetComp; term: CTerm; body: CLit[]; vars: boolean; loc: Loc }
  | { k: K.ObjComp; key: CTerm; value: CTerm; body: CLit[]; vars: boolean; loc: Loc }
  /** partLits[i]: part i evaluated as a literal because it carries `with` modifiers. */
  | { k: K.Template; parts: (string | CTerm)[]; partLits?: (CLit | undefined)[]; vars: boolean; loc: Loc }
) &
  TermMemo;

/** A call term: a builtin, a user function or an operator with special evaluation. */
export type CallTerm = Extract<CTerm, { k: K.Call }>;

/** What a call invokes: a user function (by rule-tree node) or a builtin. `name` is what `with` mocks key on. */
export interface CallTarget {
  name: string;
  node?: RuleNode;
  builtin?: BuiltinDef;
  /** The call passes one more argument than the function takes: the last one receives the result. */
  hasOutput: boolean;
  /** Operators with special evaluation (eq, assign, member). */
  special?: 'eq' | 'assign' | 'member_2' | 'member_3' | 'print';
}

export const enum L {
  Expr,
  Not,
  SomeIn,
  Every,
  Noop,
}

export interface CWith {
  /** "input", "data" or a function/builtin name being mocked. */
  kind: 'input' | 'data' | 'fn';
  path: Value[];
  fnName: string;
  value: CTerm;
  /** The replacement is a function (user or builtin) rather than a value. */
  fnValue?: CallTarget;
}

export type CLit =
  /** capture: query literals record their value in this slot (OPA's RewriteToCaptureValue). */
  | { l: L.Expr; term: CTerm; with: CWith[]; loc: Loc; capture?: number; keepFalse?: boolean }
  | { l: L.Not; body: CLit[]; with: CWith[]; loc: Loc }
  | { l: L.SomeIn; key?: CTerm; value: CTerm; coll: CTerm; with: CWith[]; loc: Loc }
  | { l: L.Every; key?: CTerm; value: CTerm; domain: CTerm; body: CLit[]; with: CWith[]; loc: Loc; slots: number[] }
  | { l: L.Noop; with: CWith[]; loc: Loc };

/**
 * An index guard: `input.PATH == value` must hold for a rule body to succeed. `slot` numbers
 * the distinct guard paths of a policy (CompiledPolicy.guardPaths): the evaluator reads each
 * path of the input once per query, not once per rule.
 */
export interface Guard {
  path: string[];
  value: Value;
  slot: number;
}

/** One rule definition, compiled. */
export interface CRule extends RuleMemo {
  /** Dynamic part of the head ref below the node it is attached to (empty for plain rules). */
  rest: CTerm[];
  args?: CTerm[];
  key?: CTerm;
  value: CTerm;
  body: CLit[];
  nslots: number;
  multi: boolean;
  isDefault: boolean;
  elseRule?: CRule;
  loc: Loc;
  /** The value is the same constant for every solution: one solution decides the rule. */
  constValue: boolean;
  /** Index: equality checks `input.PATH == CONST` that must hold for the body to succeed. */
  guards?: Guard[];
  /** How many leading body literals are guards: the body starts after them once the guards passed. */
  guardLits?: number;
}

export interface RuleNode {
  /** Dense index for the evaluator's per-query rule cache. */
  id: number;
  /** Rules with no dynamic head part (rest empty), computed after compilation. */
  exact: CRule[];
  /**
   * Rule index over `exact`: when many rules test the same `input.PATH == CONST`, the rules to
   * try for an input value are looked up instead of scanned (OPA's rule indexing). `byValue`
   * maps a value's hash key to its candidate rules (guarded ones plus `others`).
   */
  index?: { path: string[]; slot: number; byValue: Map<unknown, CRule[]>; others: CRule[] };
  /** Every exact rule yields the same constant (e.g. `allow if ...`): the first solution decides. */
  allConst: boolean;
  key: Value;
  path: Value[];
  /** `data.a.b` as text, for messages and mocks. */
  name: string;
  children: Map<unknown, RuleNode>;
  /** Rules whose ground head prefix ends exactly here. */
  rules: CRule[];
  defaultRule?: CRule;
  isFunction: boolean;
  /** Some rule (or default rule) is defined at exactly this node. */
  hasRuleDefs?: boolean;
  /** A package: defined (at least `{}`) even without rules. */
  isPackage?: boolean;
  /** This node or a descendant has rules. */
  hasRules: boolean;
  /** Some rule here has a dynamic rest (refhead with vars, partial object). */
  dynamic: boolean;
  /** No child nodes and no dynamic rules: the node's value is its rules' value alone. */
  simple: boolean;
  /** Index for function dispatch and rule selection; built lazily. */
  arity?: number;
  /** The value depends on data only (purity.ts): it may be kept across queries on the same data. */
  pure?: boolean;
}
