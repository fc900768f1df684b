// The Rego syntax tree produced by the parser. Every node carries its source location so that
// compile and evaluation errors can name file:line:column. Infix operators are already
// desugared into calls of their builtin names (`a == b` is a call of "equal").
import type { Value } from './value.js';

export interface Loc {
  file: string;
  line: number;
  col: number;
}

export type Term =
  | { type: 'scalar'; value: Value; loc: Loc }
  | { type: 'var'; name: string; loc: Loc }
  /** head followed by path elements: `a.b[c]` is head var a, path ["b" scalar, c var]. */
  | { type: 'ref'; head: Term; path: Term[]; loc: Loc }
  | { type: 'array'; items: Term[]; loc: Loc }
  | { type: 'object'; entries: [Term, Term][]; loc: Loc }
  | { type: 'set'; items: Term[]; loc: Loc }
  /** fn is the operator/function name as a ref path (["data","x","f"], ["count"], ["equal"]). */
  | { type: 'call'; fn: string[]; fnTerm: Term; args: Term[]; loc: Loc }
  | { type: 'arraycomp'; term: Term; body: Literal[]; loc: Loc }
  | { type: 'setcomp'; term: Term; body: Literal[]; loc: Loc }
  | { type: 'objcomp'; key: Term; value: Term; body: Literal[]; loc: Loc }
  /** $"a {x} b": literal text parts and embedded terms, in order. */
  /** withs[i]: `with` modifiers inside part i (`{a with input as x}`). */
  | { type: 'template'; parts: (string | Term)[]; withs?: (With[] | undefined)[]; loc: Loc };

export interface With {
  target: Term;
  value: Term;
  loc: Loc;
}

export type Literal =
  | { type: 'expr'; term: Term; negated: boolean; with: With[]; loc: Loc }
  | { type: 'some'; vars: Term[]; loc: Loc }
  /** some k, v in coll   (key absent for `some v in coll`) */
  | { type: 'somein'; key?: Term; value: Term; coll: Term; with: With[]; loc: Loc }
  | { type: 'every'; key?: Term; value: Term; domain: Term; body: Literal[]; with: With[]; loc: Loc };

export interface Rule {
  /** Head reference; ref[0] is a var term naming the rule, the rest scalar or var/composite terms. */
  ref: Term[];
  /** Function arguments (function rules only). */
  args?: Term[];
  /** Multi-value (`contains`) rules: the element. */
  key?: Term;
  /** Single-value rules: the value (true when the head has none). */
  value: Term;
  /** The head used `:=`. */
  assign: boolean;
  isDefault: boolean;
  /** multi-value set rule (`p contains x`, v0 `p[x]`). */
  multi: boolean;
  body: Literal[];
  elseRule?: Rule;
  loc: Loc;
  module: Module;
  /** `# METADATA` annotations written above the rule (with their scope filled in). */
  annotations?: Value;
}

export interface Import {
  path: Term; // a ref rooted at data, input or future/rego
  alias?: string;
  loc: Loc;
}

export interface Module {
  file: string;
  pkg: string[];
  pkgLoc: Loc;
  imports: Import[];
  rules: Rule[];
  /** Parsed with OPA 0.x syntax. */
  v0: boolean;
  /** `# METADATA` annotations written above the package clause. */
  pkgAnnotations?: Value;
}

/**
 * Calls `term` on each term directly inside `t` and `body` on each body nested in it
 * (comprehensions): the one list of a term's children that every AST walk shares.
 */
export function eachChild(t: Term, term: (t: Term) => void, body: (b: Literal[]) => void): void {
  switch (t.type) {
    case 'ref':
      term(t.head);
      t.path.forEach(term);
      return;
    case 'array':
    case 'set':
      t.items.forEach(term);
      return;
    case 'object':
      for (const [k, v] of t.entries) term(k), term(v);
      return;
    case 'call':
      t.args.forEach(term);
      return;
    case 'arraycomp':
    case 'setcomp':
      term(t.term);
      body(t.body);
      return;
    case 'objcomp':
      term(t.key);
      term(t.value);
      body(t.body);
      return;
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string') term(p);
      return;
    default:
      return;
  }
}
