// Top-down evaluation with backtracking, in continuation-passing style: every step takes a
// callback that receives each solution and returns `true` to stop the enumeration (early
// exit for `not`, complete rules with a constant value, ...). Bindings live in a per-rule
// frame (an array indexed by slot) and are undone when the continuation returns, so no
// binding maps are copied. Deterministic terms and literals take the compiled closures of
// fastpath.ts; this file handles enumeration, unification, rules, calls and `with`.
import type { Loc } from './ast.js';
import { BuiltinError } from './builtins/operands.js';
import type { BuiltinContext } from './builtins/registry.js';
import { QueryContext } from './context.js';
import { dataGet, getKey, isPrefix, mergeObjects, pathEqual, setPath } from './doc.js';
import { RegoError } from './errors.js';
import { isConst, noElements, oneOf, ruleSteps, type Step, StepKind, stepsOf } from './fastpath.js';
import {
  type CallTarget,
  type CallTerm,
  type CLit,
  type CRule,
  type CTerm,
  type CWith,
  type DataDispatch,
  K,
  L,
  type RuleNode,
} from './ir.js';
import {
  BUSY,
  type CachedValue,
  type EvalState,
  type Frame,
  MULTI,
  type Mock,
  type One,
  type Override,
  type SharedValues,
  UNDEF,
} from './state.js';
import type { Tracer, TraceOp } from './trace.js';
import { equal, formatRego, hashKey, ObjectValue, SetValue, type Value } from './value.js';

type Cont = () => boolean;
type VCont = (v: Value) => boolean;

const NO_OVERRIDES: Override[] = [];
/**
 * The frame of a rule without variables, and of a rule body before it binds anything
 * (fastPrefix): nothing is ever written to it, so one is shared.
 */
const NO_SLOTS: Frame = [];

export interface EvalLimits {
  /** Maximum evaluation steps (literals and rule calls); 0 = unlimited. */
  maxSteps?: number;
  /** Absolute deadline in ms since the epoch (Date.now()); 0 = none. */
  deadline?: number;
}

/** Guard value not read yet for the current input. */
const UNREAD = Symbol('unread');

export class Evaluator implements EvalState {
  // EvalState: what the compiled closures of fastpath.ts read (documented there).
  input: Value | undefined;
  cache!: CachedValue[];
  dataEmpty!: boolean;
  baseAt!: (Value | typeof UNDEF | undefined)[];
  overrides: readonly Override[] = [];
  mocks: Map<string, Mock> | undefined;
  shared!: SharedValues;

  private data!: Value;
  private readonly nodeCount: number;
  private steps = 0;
  private maxSteps!: number;
  private deadline!: number;

  constructor(
    private readonly root: RuleNode,
    nodeCount: number,
    /** The input paths rule guards test, by slot (CompiledPolicy.guardPaths). */
    private readonly guardPaths: string[][],
  ) {
    this.nodeCount = nodeCount;
    this.guardVals = new Array(guardPaths.length).fill(undefined);
    this.guardRead = new Array(guardPaths.length).fill(-1);
  }

  /**
   * Prepares this evaluator for a new query (evaluators are reused: construction is not free).
   * shared: the values kept across queries on this data document (see purity.ts); maxSteps and
   * deadline (ms since the epoch): 0 for none.
   */
  reset(
    input: Value | undefined,
    shared: SharedValues,
    print: ((msg: string) => void) | undefined,
    maxSteps: number,
    deadline: number,
    tracer?: Tracer,
  ): void {
    this.overrides = NO_OVERRIDES;
    this.mocks = undefined;
    this.steps = 0;
    this.input = input;
    this.data = shared.data;
    this.dataEmpty = shared.dataEmpty;
    this.cache = new Array(this.nodeCount);
    this.baseAt = shared.baseAt;
    this.maxSteps = maxSteps;
    this.deadline = deadline;
    this.check = this.nextCheck(0);
    this.strict = shared.strict;
    this.shared = shared;
    this.ctx.reset(this.strict, print, tracer === undefined ? undefined : this.note);
    this.guardInput = UNREAD;
    this.tracer = tracer;
    this.qid = 0;
    this.lastQid = 0;
    if (tracer !== undefined) this.qidParents.clear();
  }

  // ------------------------------------------------------------------ tracing (trace.ts)

  /** Set for a traced query only: bodies, rules and functions then take the traced paths below. */
  private tracer: Tracer | undefined;
  /** The body being evaluated (0: the query), and the last id given to a body. */
  private qid = 0;
  private lastQid = 0;
  private readonly qidParents = new Map<number, number>();
  /** The literal being evaluated, whose location a trace() note takes. */
  private traceLoc: Loc | undefined;
  private ruleNames: Map<CRule, string> | undefined;

  private readonly note = (message: string): void => {
    this.tracer!.event({
      op: 'Note',
      qid: this.qid,
      parent: this.qidParents.get(this.qid) ?? 0,
      loc: this.traceLoc,
      message,
    });
  };

  private newQid(parent: number): number {
    const qid = ++this.lastQid;
    this.qidParents.set(qid, parent);
    return qid;
  }

  private traceLit(op: TraceOp, lit: CLit, qid: number, parent: number): void {
    this.tracer!.event({ op, qid, parent, loc: lit.loc, lit });
  }

  private traceRule(op: TraceOp, r: CRule, qid: number, parent: number): void {
    this.tracer!.event({ op, qid, parent, loc: r.loc, rule: this.ruleName(r) });
  }

  /** The path of the rule node a compiled rule (or an else branch of it) belongs to. */
  private ruleName(r: CRule): string {
    if (this.ruleNames === undefined) {
      const names = new Map<CRule, string>();
      const visit = (n: RuleNode): void => {
        for (const top of [...n.rules, ...(n.defaultRule ? [n.defaultRule] : [])])
          for (let x: CRule | undefined = top; x; x = x.elseRule) names.set(x, n.name);
        for (const c of n.children.values()) visit(c);
      };
      visit(this.root);
      this.ruleNames = names;
    }
    return this.ruleNames.get(r) ?? '';
  }

  /** A body in a body of its own (a comprehension, `not`, `every`, the query). */
  private tracedBody(lits: CLit[], i: number, f: Frame, k: Cont): boolean {
    const parent = this.qid;
    const qid = this.newQid(parent);
    const body = lits.slice(i);
    const loc = lits[i]?.loc;
    const tracer = this.tracer!;
    tracer.event({ op: 'Enter', qid, parent, loc, body });
    // A body that succeeds exits; asked for another solution, it is redone.
    const exit = (): boolean => {
      tracer.event({ op: 'Exit', qid, parent, loc, body });
      if (k()) return true;
      tracer.event({ op: 'Redo', qid, parent, loc, body });
      return false;
    };
    this.qid = qid;
    try {
      return this.tracedStep(lits, i, f, exit, qid, parent);
    } finally {
      this.qid = parent;
    }
  }

  /**
   * Literal i of a traced body: Eval, then each solution goes on to the next literal; going back
   * for another is a Redo; no solution at all is a Fail. The continuation of the whole body runs
   * in the enclosing body.
   */
  private tracedStep(lits: CLit[], i: number, f: Frame, k: Cont, qid: number, parent: number): boolean {
    if (i === lits.length) {
      this.qid = parent;
      try {
        return k();
      } finally {
        this.qid = qid;
      }
    }
    const lit = lits[i]!;
    this.tick(lit.loc);
    this.traceLit('Eval', lit, qid, parent);
    this.traceLoc = lit.loc;
    let any = false;
    const r = this.literal(lit, f, () => {
      any = true;
      if (this.tracedStep(lits, i + 1, f, k, qid, parent)) return true;
      this.traceLit('Redo', lit, qid, parent);
      return false;
    });
    if (!any) this.traceLit('Fail', lit, qid, parent);
    return r;
  }

  /** A rule as OPA traces it: Enter, its whole body (no fast prefix), Exit per solution. */
  private tracedRule(r: CRule, cb: (rest: Value[] | undefined, v: Value) => boolean): boolean {
    if (r.guards && this.mocks === undefined && !this.guardsPass(r)) return false;
    const parent = this.qid;
    const qid = this.newQid(parent);
    this.traceRule('Enter', r, qid, parent);
    const f: Frame = new Array(r.nslots);
    const out = r.multi ? r.key! : r.value;
    let found = false;
    let stop: boolean;
    this.qid = qid;
    try {
      stop = this.tracedStep(
        r.body,
        0,
        f,
        () => {
          this.traceRule('Exit', r, qid, parent);
          // A head value that is undefined fails the body (OPA evaluates it as the body's last
          // expression): the else chain is tried then.
          const emit = (rest: Value[] | undefined, v: Value) => {
            found = true;
            return cb(rest, v);
          };
          const res =
            r.rest.length === 0
              ? this.term(out, f, (v) => emit(undefined, v))
              : this.items(r.rest, 0, new Array(r.rest.length), f, (rest) => this.term(out, f, (v) => emit(rest, v)));
          if (!res) this.traceRule('Redo', r, qid, parent);
          return res;
        },
        qid,
        parent,
      );
    } finally {
      this.qid = parent;
    }
    if (!found && r.elseRule) return this.ruleSolutions(r.elseRule, cb);
    return stop;
  }

  /** A function definition, traced as a rule: its parameters bound to the arguments first. */
  private tracedFunction(r: CRule, args: Value[], cb: VCont): void {
    const parent = this.qid;
    const qid = this.newQid(parent);
    this.traceRule('Enter', r, qid, parent);
    const f: Frame = new Array(r.nslots);
    const params = r.args!;
    let found = false;
    const bindArgs = (i: number): boolean => {
      if (i < params.length) return this.unifyValue(params[i]!, args[i]!, f, () => bindArgs(i + 1));
      return this.tracedStep(
        r.body,
        0,
        f,
        () => {
          this.traceRule('Exit', r, qid, parent);
          const res = this.term(r.value, f, (v) => {
            found = true;
            return cb(v);
          });
          if (!res) this.traceRule('Redo', r, qid, parent);
          return res;
        },
        qid,
        parent,
      );
    };
    this.qid = qid;
    try {
      bindArgs(0);
    } finally {
      this.qid = parent;
    }
    if (!found && r.elseRule) this.functionRule(r.elseRule, args, cb);
  }

  /** The input's value at each guard path; valid where guardRead[slot] is guardEpoch. */
  private readonly guardVals: (Value | undefined)[];
  private readonly guardRead: number[];
  /** Counts the inputs guard values were read from (a new query, a `with input`). */
  private guardEpoch = 0;
  private guardInput: Value | undefined | typeof UNREAD = UNREAD;

  /**
   * The input's value at a guard path: read once per query and input (every rule guarded on
   * `input.request.action` would otherwise walk the input again). `with input` replaces
   * this.input, which starts a fresh set of values.
   */
  private guardValue(slot: number): Value | undefined {
    const input = this.input;
    if (this.guardInput !== input) {
      this.guardInput = input;
      this.guardEpoch++;
    }
    if (this.guardRead[slot] === this.guardEpoch) return this.guardVals[slot];
    const path = this.guardPaths[slot]!;
    let x = input;
    for (let i = 0; i < path.length && x !== undefined; i++) x = x instanceof ObjectValue ? x.get(path[i]!) : undefined;
    this.guardVals[slot] = x;
    this.guardRead[slot] = this.guardEpoch;
    return x;
  }

  /** The set a partial set rule being computed adds its solutions to. */
  private sink: SetValue | undefined;
  private readonly addToSink = (_rest: Value[] | undefined, v: Value): boolean => {
    this.sink!.add(v);
    return false;
  };

  private strict!: boolean;

  /** The context builtins see: one per evaluator, reset per query (creating one is not free). */
  private readonly ctx = new QueryContext();

  get bctx(): BuiltinContext {
    return this.ctx;
  }

  // ------------------------------------------------------------------ queries

  /** Runs a compiled body; `k` sees each solution with the frame holding the bindings. */
  run(body: CLit[], nslots: number, k: (f: Frame) => boolean): void {
    const f: Frame = new Array(nslots);
    this.body(body, stepsOf(body), 0, f, () => k(f));
  }

  /** The value of a data node (rule or package), or undefined. */
  nodeValue(node: RuleNode, base: Value | undefined): Value | undefined {
    return this.evalNode(node, base);
  }

  // ------------------------------------------------------------------ bodies and literals

  /** Counts a step; one comparison until the next step that must check a limit. */
  private tick(loc: Loc): void {
    if (++this.steps >= this.check) this.checkLimits(loc);
  }

  private checkLimits(loc: Loc): void {
    const s = this.steps;
    if (this.maxSteps && s > this.maxSteps)
      throw new RegoError(
        'eval_budget_error',
        `evaluation exceeded the step budget of ${this.maxSteps}`,
        loc.file,
        loc.line,
      );
    if (this.deadline && (s & 1023) === 0 && Date.now() > this.deadline)
      throw new RegoError('eval_cancel_error', 'evaluation deadline exceeded', loc.file, loc.line);
    this.check = this.nextCheck(s);
  }

  /** The next step at which a limit is due: past the step budget, or the deadline every 1024 steps. */
  private nextCheck(s: number): number {
    let n = Number.MAX_SAFE_INTEGER;
    if (this.maxSteps) n = this.maxSteps + 1;
    if (this.deadline) n = Math.min(n, (s | 1023) + 1);
    return n;
  }

  /** See tick. */
  private check = 0;

  private body(lits: CLit[], steps: Step[], i: number, f: Frame, k: Cont): boolean {
    if (this.tracer !== undefined) return this.tracedBody(lits, i, f, k);
    // Deterministic literals (checks and `x := value` with a single value) run in a loop
    // without continuation closures; the slots they bind are released when the rest returns.
    let bound: number[] | undefined;
    for (; i < steps.length; i++) {
      const lit = steps[i]!;
      const kind = lit.kind;
      if (kind === StepKind.General) break;
      if (kind === StepKind.Assign) {
        const slot = lit.slot;
        if (f[slot] !== undefined) break;
        const o = lit.fn!(this, f);
        if (o === MULTI) break;
        this.tick(lit.loc);
        if (o === undefined) return this.release(f, bound, false);
        f[slot] = o;
        (bound ??= []).push(slot);
        continue;
      }
      if (kind === StepKind.Destructure) {
        const slots = lit.slots!;
        if (slots.some((x) => f[x] !== undefined)) break;
        const o = lit.fn!(this, f);
        if (o === MULTI) break;
        this.tick(lit.loc);
        if (!Array.isArray(o) || o.length !== slots.length) return this.release(f, bound, false);
        for (let j = 0; j < slots.length; j++) f[slots[j]!] = o[j]!;
        (bound ??= []).push(...slots);
        continue;
      }
      if (kind === StepKind.SomeIn) {
        const o = this.someInKey(lit, f);
        if (o === MULTI) {
          if (!this.someInEmpty(lit, f)) break;
          this.tick(lit.loc);
          return this.release(f, bound, false);
        }
        this.tick(lit.loc);
        if (o === undefined) return this.release(f, bound, false);
        const slot = lit.slots![0]!;
        f[slot] = o;
        (bound ??= []).push(slot);
        continue;
      }
      const o = lit.fn!(this, f);
      if (o === MULTI) break;
      this.tick(lit.loc);
      if (kind === StepKind.Not) {
        if (o !== undefined && o !== false) return this.release(f, bound, false);
      } else if (o === undefined || o === false) return this.release(f, bound, false);
    }
    if (bound === undefined) return this.bodyStep(lits, steps, i, f, k);
    let r: boolean;
    try {
      r = this.bodyStep(lits, steps, i, f, k);
    } finally {
      for (const s of bound) f[s] = undefined;
    }
    return r;
  }

  /**
   * Runs the leading deterministic literals of a body in a fresh frame (bindings are not undone:
   * the frame is discarded with the rule). Returns -1 when one fails, else the index of the first
   * literal left for the general evaluator (body.length when all ran), with the frame in
   * this.prefixFrame. f may be NO_SLOTS, read as a fresh frame: the frame is then allocated at
   * the first binding, so a rule failing before it binds anything (most rules of a decision)
   * allocates none.
   */
  private fastPrefix(r: CRule, f: Frame, from: number): number {
    let i = from;
    const steps = ruleSteps(r);
    for (; i < steps.length; i++) {
      const lit = steps[i]!;
      const kind = lit.kind;
      if (kind === StepKind.General) break;
      if (kind === StepKind.Assign) {
        const slot = lit.slot;
        if (f[slot] !== undefined) break;
        const o = lit.fn!(this, f);
        if (o === MULTI) break;
        this.tick(lit.loc);
        if (o === undefined) return -1;
        if (f === NO_SLOTS) f = new Array(r.nslots);
        f[slot] = o;
        continue;
      }
      if (kind === StepKind.Destructure) {
        const slots = lit.slots!;
        if (slots.some((x) => f[x] !== undefined)) break;
        const o = lit.fn!(this, f);
        if (o === MULTI) break;
        this.tick(lit.loc);
        if (!Array.isArray(o) || o.length !== slots.length) return -1;
        if (f === NO_SLOTS) f = new Array(r.nslots);
        for (let j = 0; j < slots.length; j++) f[slots[j]!] = o[j]!;
        continue;
      }
      if (kind === StepKind.SomeIn) {
        const o = this.someInKey(lit, f);
        if (o === MULTI) {
          if (!this.someInEmpty(lit, f)) break;
          this.tick(lit.loc);
          return -1;
        }
        this.tick(lit.loc);
        if (o === undefined) return -1;
        if (f === NO_SLOTS) f = new Array(r.nslots);
        f[lit.slots![0]!] = o;
        continue;
      }
      const o = lit.fn!(this, f);
      if (o === MULTI) break;
      this.tick(lit.loc);
      if (kind === StepKind.Not ? o !== undefined && o !== false : o === undefined || o === false) return -1;
    }
    this.prefixFrame = f;
    return i;
  }

  /** The frame fastPrefix ended with (see there). */
  private prefixFrame: Frame = NO_SLOTS;

  /**
   * A `some ... in coll` literal (fresh vars) over a collection with nothing to bind: it fails
   * without the enumeration machinery. False means "enumerate it the general way".
   */
  private someInEmpty(lit: Step, f: Frame): boolean {
    const slots = lit.slots!;
    if (f[slots[0]!] !== undefined || (slots.length > 1 && f[slots[1]!] !== undefined)) return false;
    const coll = lit.fn!(this, f);
    return coll !== MULTI && noElements(coll);
  }

  /**
   * `some k, v in coll` with k bound and v fresh (also what `coll[k]` with a variable k compiles
   * to): a lookup, as literalNoWith does it. The entry at k for v, undefined when there is none
   * (the literal fails), or MULTI when the general evaluator must enumerate.
   */
  private someInKey(lit: Step, f: Frame): One {
    const slots = lit.slots!;
    if (slots.length < 2 || f[slots[0]!] !== undefined) return MULTI;
    const key = f[slots[1]!];
    if (key === undefined) return MULTI;
    const coll = lit.fn!(this, f);
    if (coll === MULTI) return MULTI;
    if ((typeof key === 'string' || typeof key === 'number') && (coll instanceof ObjectValue || Array.isArray(coll)))
      return getKey(coll, key);
    // Nothing to enumerate (undefined, a scalar, an empty collection): no solution either way.
    return noElements(coll) ? undefined : MULTI;
  }

  private release(f: Frame, bound: number[] | undefined, r: boolean): boolean {
    if (bound) for (const s of bound) f[s] = undefined;
    return r;
  }

  private bodyStep(lits: CLit[], steps: Step[], i: number, f: Frame, k: Cont): boolean {
    if (i === lits.length) return k();
    const lit = lits[i]!;
    this.tick(lit.loc);
    if (i === lits.length - 1) return this.literal(lit, f, k);
    return this.literal(lit, f, () => this.body(lits, steps, i + 1, f, k));
  }

  private literal(lit: CLit, f: Frame, k: Cont): boolean {
    if (lit.with.length > 0) return this.withLiteral(lit, f, k);
    return this.literalNoWith(lit, f, k);
  }

  private literalNoWith(lit: CLit, f: Frame, k: Cont): boolean {
    switch (lit.l) {
      case L.Expr:
        if (lit.capture !== undefined) return this.captured(lit.term, lit.capture, f, k, lit.keepFalse === true);
        return this.expr(lit.term, f, k);
      case L.Not: {
        let found = false;
        this.body(lit.body, stepsOf(lit.body), 0, f, () => {
          found = true;
          return true;
        });
        return found ? false : k();
      }
      case L.SomeIn: {
        // Common shape: `some x in coll` / `some k, v in coll` with fresh vars and one collection.
        const vt = lit.value;
        const kt = lit.key;
        if (
          vt.k === K.Var &&
          f[vt.slot] === undefined &&
          (!kt || (kt.k === K.Var && kt.slot !== vt.slot && f[kt.slot] === undefined))
        ) {
          const coll = this.one(lit.coll, f);
          if (coll !== MULTI)
            return coll === undefined ? false : this.eachBinding(coll, kt ? kt.slot : -1, vt.slot, f, k);
        }
        // `some k, v in coll` with k already bound (e.g. by an earlier loop) and v fresh: the one
        // entry at k is looked up, not found by unifying k with every key of coll.
        if (
          kt &&
          vt.k === K.Var &&
          f[vt.slot] === undefined &&
          kt.k === K.Var &&
          kt.slot !== vt.slot &&
          f[kt.slot] !== undefined
        ) {
          const key = f[kt.slot]!;
          const coll = this.one(lit.coll, f);
          if (
            coll !== MULTI &&
            (typeof key === 'string' || typeof key === 'number') &&
            (coll instanceof ObjectValue || Array.isArray(coll))
          ) {
            const v = getKey(coll, key);
            if (v === undefined) return false;
            f[vt.slot] = v;
            try {
              return k();
            } finally {
              f[vt.slot] = undefined;
            }
          }
        }
        return this.term(lit.coll, f, (coll) =>
          this.iterate(coll, (key, val) => {
            if (lit.key) return this.unifyValue(lit.key, key, f, () => this.unifyValue(lit.value, val, f, k));
            return this.unifyValue(lit.value, val, f, k);
          }),
        );
      }
      case L.Every:
        return this.term(lit.domain, f, (dom) => {
          if (!(Array.isArray(dom) || dom instanceof ObjectValue || dom instanceof SetValue)) return false;
          let all = true;
          const steps = stepsOf(lit.body);
          this.iterate(dom, (key, val) => {
            const bodyK = (): boolean => {
              let ok = false;
              this.body(lit.body, steps, 0, f, () => {
                ok = true;
                return true;
              });
              return ok;
            };
            const matched = lit.key
              ? this.unifyValue(lit.key, key, f, () => this.unifyValue(lit.value, val, f, bodyK))
              : this.unifyValue(lit.value, val, f, bodyK);
            if (!matched) {
              all = false;
              return true;
            }
            return false;
          });
          return all ? k() : false;
        });
      case L.Noop:
        return k();
    }
  }

  /** Binds slots (ks: key slot or -1, vs: value slot or -1) to each entry of a collection in turn. */
  private eachBinding(coll: Value, ks: number, vs: number, f: Frame, k: Cont): boolean {
    try {
      if (Array.isArray(coll)) {
        for (let i = 0; i < coll.length; i++) {
          if (ks >= 0) f[ks] = i;
          if (vs >= 0) f[vs] = coll[i]!;
          if (k()) return true;
        }
      } else if (coll instanceof ObjectValue) {
        for (const [key, val] of coll.sortedEntries()) {
          if (ks >= 0) f[ks] = key;
          if (vs >= 0) f[vs] = val;
          if (k()) return true;
        }
      } else if (coll instanceof SetValue) {
        for (const val of coll.sorted()) {
          if (ks >= 0) f[ks] = val;
          if (vs >= 0) f[vs] = val;
          if (k()) return true;
        }
      }
      return false;
    } finally {
      if (ks >= 0) f[ks] = undefined;
      if (vs >= 0) f[vs] = undefined;
    }
  }

  /** Iterates a collection as (key, value): arrays by index, objects by key, sets as (v, v). */
  private iterate(coll: Value, cb: (k: Value, v: Value) => boolean): boolean {
    if (Array.isArray(coll)) {
      for (let i = 0; i < coll.length; i++) if (cb(i, coll[i]!)) return true;
    } else if (coll instanceof ObjectValue) {
      for (const [k, v] of coll.sortedEntries()) if (cb(k, v)) return true;
    } else if (coll instanceof SetValue) {
      for (const v of coll.sorted()) if (cb(v, v)) return true;
    }
    return false;
  }

  private expr(t: CTerm, f: Frame, k: Cont): boolean {
    if (t.k === K.Call) {
      const sp = t.fn.special;
      if (sp === 'eq' || sp === 'assign') return this.unify(t.args[0]!, t.args[1]!, f, k);
      if (sp === 'print') return this.print(t, f, k);
      if (t.fn.hasOutput) return this.call(t, f, () => k());
    }
    // Deterministic expressions (the common case) need no enumeration closures.
    const o = this.one(t, f);
    if (o !== MULTI) return o !== undefined && o !== false ? k() : false;
    return this.term(t, f, (v) => (v !== false ? k() : false));
  }

  /** A query expression whose value is reported: a plain term succeeds even when false. */
  private captured(t: CTerm, slot: number, f: Frame, k: Cont, keepFalse: boolean): boolean {
    const isCall = t.k === K.Call && !keepFalse;
    return this.term(t, f, (v) => {
      if (isCall && v === false) return false;
      f[slot] = v;
      try {
        return k();
      } finally {
        f[slot] = undefined;
      }
    });
  }

  private print(t: CallTerm, f: Frame, k: Cont): boolean {
    const parts: string[] = [];
    for (const a of t.args) {
      const vals: Value[] = [];
      this.term(a, f, (v) => {
        vals.push(v);
        return false;
      });
      parts.push(
        vals.length === 0 ? '<undefined>' : vals.map((v) => (typeof v === 'string' ? v : formatRego(v))).join(', '),
      );
    }
    this.ctx.print(parts.join(' '));
    return k();
  }

  // ------------------------------------------------------------------ with

  private withLiteral(lit: CLit, f: Frame, k: Cont): boolean {
    // Evaluate the replacement values in the current context first.
    const values: Value[] = [];
    for (const w of lit.with) {
      if (w.kind === 'fn' && w.fnValue) {
        values.push(null);
        continue;
      }
      let v: Value | undefined;
      this.term(w.value, f, (x) => {
        v = x;
        return true;
      });
      if (v === undefined) return false;
      values.push(v);
    }
    const saved = { input: this.input, overrides: this.overrides, mocks: this.mocks, cache: this.cache };
    let input = this.input;
    let overrides = this.overrides;
    let mocks = this.mocks;
    lit.with.forEach((w: CWith, i) => {
      const v = values[i]!;
      if (w.kind === 'input') input = w.path.length === 0 ? v : setPath(input, w.path, v);
      else if (w.kind === 'data')
        overrides = [...overrides.filter((o) => !isPrefix(w.path, o.path)), { path: w.path, value: v }];
      else {
        mocks = new Map(mocks ?? []);
        mocks.set(w.fnName, w.fnValue ? { target: w.fnValue } : { value: v });
      }
    });
    const newCache: CachedValue[] = new Array(this.nodeCount);
    const apply = (): void => {
      this.input = input;
      this.overrides = overrides;
      this.mocks = mocks;
      this.cache = newCache;
    };
    const restore = (): void => {
      this.input = saved.input;
      this.overrides = saved.overrides;
      this.mocks = saved.mocks;
      this.cache = saved.cache;
    };
    apply();
    try {
      return this.literalNoWith(lit, f, () => {
        restore();
        try {
          return k();
        } finally {
          apply();
        }
      });
    } finally {
      restore();
    }
  }

  // ------------------------------------------------------------------ terms

  /**
   * Evaluates a term without enumeration when possible: the value, undefined, or MULTI when
   * an unbound variable means the caller must enumerate with term().
   */
  one(t: CTerm, f: Frame): One {
    return oneOf(t)(this, f);
  }

  /** The general (switch-based) form of one(), used by the compiled closures for rare shapes. */
  oneSlow(t: CTerm, f: Frame): One {
    switch (t.k) {
      case K.Const:
        return t.v;
      case K.Var: {
        const v = f[t.slot];
        return v === undefined ? MULTI : v;
      }
      case K.Input: {
        let v = this.input;
        const p = t.path;
        if (p.every(isConst)) {
          // Constant path: no recursion into one() for the keys.
          for (let i = 0; i < p.length && v !== undefined; i++) v = getKey(v, (p[i] as { v: Value }).v);
          return v;
        }
        for (let i = 0; i < p.length && v !== undefined; i++) {
          const key = this.one(p[i]!, f);
          if (key === MULTI) return MULTI;
          if (key === undefined) return undefined;
          v = getKey(v, key);
        }
        return v;
      }
      case K.Data: {
        if (t.vars) {
          for (const p of t.path) if (p.vars && this.one(p, f) === MULTI) return MULTI;
        }
        if (t.leaf && this.overrides.length === 0) {
          // Resolved rule node: value, then a deterministic walk of the rest.
          let v = this.leafValue(t.leaf);
          for (let i = t.depth!; i < t.path.length && v !== undefined; i++) {
            const key = this.one(t.path[i]!, f);
            if (key === undefined) return undefined;
            if (key === MULTI) return MULTI;
            v = getKey(v, key);
          }
          return v;
        }
        if (t.dispatch && this.overrides.length === 0) {
          // `data.P[x].r...`: the rule node x names, without walking the rule tree.
          const key = this.one(t.path[t.dispatch.at]!, f);
          if (key === undefined) return undefined;
          const leaf = key === MULTI ? undefined : t.dispatch.leaves.get(hashKey(key));
          if (leaf) {
            let v = this.leafValue(leaf);
            for (let i = leaf.path.length; i < t.path.length && v !== undefined; i++) {
              const kk = this.one(t.path[i]!, f);
              if (kk === undefined) return undefined;
              if (kk === MULTI) return MULTI;
              v = getKey(v, kk);
            }
            return v;
          }
        }
        let out: Value | undefined;
        this.dataRef(t.path, f, (v) => {
          out = v;
          return true;
        });
        return out;
      }
      case K.Call: {
        if (t.fn.hasOutput || t.fn.special || t.fn.builtin?.multi) return MULTI;
        const args: Value[] = new Array(t.args.length);
        for (let i = 0; i < t.args.length; i++) {
          const a = this.one(t.args[i]!, f);
          if (a === MULTI) return MULTI;
          if (a === undefined) return undefined;
          args[i] = a;
        }
        let out: Value | undefined;
        this.invoke(t, args, (v) => {
          out = v;
          return true;
        });
        return out;
      }
      case K.Array: {
        const arr: Value[] = new Array(t.items.length);
        for (let i = 0; i < t.items.length; i++) {
          const a = this.one(t.items[i]!, f);
          if (a === MULTI || a === undefined) return a;
          arr[i] = a;
        }
        return arr;
      }
      default:
        return MULTI;
    }
  }

  /** Enumerates the values of a term. */
  term(t: CTerm, f: Frame, k: VCont): boolean {
    switch (t.k) {
      case K.Const:
        return k(t.v);
      case K.Var: {
        const v = f[t.slot];
        return v === undefined ? false : k(v);
      }
      case K.Input:
        if (this.input === undefined) return false;
        return this.walk(this.input, t.path, 0, f, k);
      case K.Data:
        if (t.leaf && this.overrides.length === 0) {
          const v = this.leafValue(t.leaf);
          return v === undefined ? false : this.walk(v, t.path, t.depth!, f, k);
        }
        if (t.dispatch && this.overrides.length === 0) {
          // `data.P[x].r...` with x bound: the rule node x names, without walking the rule tree.
          const key = this.one(t.path[t.dispatch.at]!, f);
          if (key === undefined) return false;
          if (key !== MULTI) {
            const leaf = t.dispatch.leaves.get(hashKey(key));
            if (leaf) {
              const v = this.leafValue(leaf);
              return v === undefined ? false : this.walk(v, t.path, leaf.path.length, f, k);
            }
          } else if (t.dispatch.enumerable) {
            const x = t.path[t.dispatch.at]!;
            if (x.k === K.Var && f[x.slot] === undefined) return this.dataChildren(t, t.dispatch, x.slot, f, k);
          }
        }
        return this.dataRef(t.path, f, k);
      case K.Ref:
        return this.term(t.head, f, (h) => this.walk(h, t.path, 0, f, k));
      case K.Call:
        return this.call(t, f, k);
      case K.Array:
        return this.items(t.items, 0, new Array(t.items.length), f, (vals) => k(vals));
      case K.Set:
        return this.items(t.items, 0, new Array(t.items.length), f, (vals) => k(SetValue.from(vals)));
      case K.Object: {
        const n = t.keys.length;
        return this.items([...t.keys, ...t.vals], 0, new Array(2 * n), f, (vals) => {
          const o = new ObjectValue();
          for (let i = 0; i < n; i++) o.set(vals[i]!, vals[n + i]!);
          return k(o);
        });
      }
      case K.ArrayComp: {
        const out: Value[] = [];
        const push = (v: Value): boolean => (out.push(v), false);
        this.body(t.body, stepsOf(t.body), 0, f, () => this.each(t.term, f, push));
        return k(out);
      }
      case K.SetComp: {
        const out = new SetValue();
        const add = (v: Value): boolean => (out.add(v), false);
        this.body(t.body, stepsOf(t.body), 0, f, () => this.each(t.term, f, add));
        return k(out);
      }
      case K.ObjComp: {
        const out = new ObjectValue();
        this.body(t.body, stepsOf(t.body), 0, f, () =>
          this.each(t.key, f, (key) =>
            this.each(t.value, f, (val) => {
              const prev = out.get(key);
              if (prev !== undefined && !equal(prev, val))
                throw this.err('eval_conflict_error', 'object keys must be unique', t.loc);
              out.set(key, val);
              return false;
            }),
          ),
        );
        return k(out);
      }
      case K.Template: {
        let s = '';
        for (const p of t.parts) {
          if (typeof p === 'string') {
            s += p;
            continue;
          }
          let v: Value | undefined;
          let n = 0;
          const partLit = t.partLits?.[t.parts.indexOf(p)];
          if (partLit) {
            const slot = (partLit as { capture: number }).capture;
            this.literal(partLit, f, () => {
              v = f[slot];
              n++;
              return false;
            });
          } else
            this.term(p, f, (x) => {
              v = x;
              n++;
              return false;
            });
          if (n > 1) throw this.err('eval_conflict_error', 'template expression produced multiple values', p.loc);
          s += v === undefined ? '<undefined>' : typeof v === 'string' ? v : formatRego(v);
        }
        return k(s);
      }
    }
  }

  /** term() with the deterministic fast path tried first. */
  private each(t: CTerm, f: Frame, k: VCont): boolean {
    const o = this.one(t, f);
    if (o !== MULTI) return o === undefined ? false : k(o);
    return this.term(t, f, k);
  }

  private items(items: CTerm[], i: number, acc: Value[], f: Frame, k: (vals: Value[]) => boolean): boolean {
    for (; i < items.length; i++) {
      const o = this.one(items[i]!, f);
      if (o === undefined) return false;
      if (o === MULTI) {
        return this.term(items[i]!, f, (v) => {
          const copy = acc.slice();
          copy[i] = v;
          return this.items(items, i + 1, copy, f, k);
        });
      }
      acc[i] = o;
    }
    return k(acc);
  }

  /** Walks path[i..] from v, enumerating unbound vars. */
  private walk(v: Value, path: CTerm[], i: number, f: Frame, k: VCont): boolean {
    for (; i < path.length; i++) {
      const p = path[i]!;
      const key = this.one(p, f);
      if (key === undefined) return false;
      if (key === MULTI) {
        const rest = i + 1;
        if (p.k === K.Var) {
          // `coll[x]` with x unbound: bind x to each key, no unification closures.
          const slot = p.slot;
          const node = v;
          const step = (): boolean => {
            const nv = getKey(node, f[slot]!);
            return nv === undefined ? false : this.walk(nv, path, rest, f, k);
          };
          return this.eachBinding(v, slot, -1, f, step);
        }
        if (isPattern(p, f)) {
          return this.iterate(v, (ck, cv) => this.unifyValue(p, ck, f, () => this.walk(cv, path, rest, f, k)));
        }
        return this.term(p, f, (kv) => {
          const nv = getKey(v, kv);
          return nv === undefined ? false : this.walk(nv, path, rest, f, k);
        });
      }
      const nv = getKey(v, key);
      if (nv === undefined) return false;
      v = nv;
    }
    return k(v);
  }

  // ------------------------------------------------------------------ data and rules

  /** The value of a compile-time resolved rule node (a base document there shadows it). */
  leafValue(leaf: RuleNode): Value | undefined {
    if (!this.dataEmpty) {
      // The base document at a rule's path is looked up once per data document (SharedValues;
      // `with data` overrides take another path).
      const baseAt = this.baseAt;
      let base = baseAt[leaf.id];
      if (base === undefined) {
        const path = leaf.path;
        let b: Value | undefined = this.data;
        for (let i = 0; i < path.length && b !== undefined; i++) b = dataGet(b, path[i]!);
        baseAt[leaf.id] = base = b === undefined ? UNDEF : b;
      }
      if (base !== UNDEF && !leaf.isFunction) return base;
    }
    return this.evalNode(leaf, undefined);
  }

  private dataRef(path: CTerm[], f: Frame, k: VCont): boolean {
    if (this.overrides.length > 0) return this.dataRefOverridden(path, f, k);
    let node = this.root;
    let base: Value | undefined = this.data;
    let i = 0;
    for (; i < path.length; i++) {
      const key = this.one(path[i]!, f);
      if (key === undefined) return false;
      if (key === MULTI) break;
      const child = node.children.get(hashKey(key));
      if (child) {
        const cbase: Value | undefined = base === undefined ? undefined : dataGet(base, key);
        if (child.rules.length > 0 || child.defaultRule || child.isFunction) {
          // A base document at a rule's path shadows the rule (OPA: base/virtual conflicts).
          const v = cbase !== undefined && !child.isFunction ? cbase : this.evalNode(child, cbase);
          return v === undefined ? false : this.walk(v, path, i + 1, f, k);
        }
        node = child;
        base = cbase;
        continue;
      }
      if (node.dynamic) break;
      if (base === undefined) return false;
      // Plain base data from here on.
      let nb: Value | undefined = dataGet(base, key);
      for (i++; i < path.length && nb !== undefined; i++) {
        const kk = this.one(path[i]!, f);
        if (kk === MULTI) break;
        if (kk === undefined) return false;
        nb = dataGet(nb, kk);
      }
      if (nb === undefined) return false;
      return this.walk(nb, path, i, f, k);
    }
    const v = this.evalNode(node, base);
    return v === undefined ? false : this.walk(v, path, i, f, k);
  }

  /**
   * `data.P[x].r...` with x unbound: x takes each child key of P whose rule node (the dispatch
   * entry) has a value, as OPA enumerates the rule tree, without computing the rest of each
   * child. Base data at P takes the general walk (its keys and merges decide there).
   */
  private dataChildren(t: Extract<CTerm, { k: K.Data }>, d: DataDispatch, slot: number, f: Frame, k: VCont): boolean {
    if (!this.dataEmpty) {
      let base: Value | undefined = this.data;
      for (let i = 0; i < d.at && base !== undefined; i++) base = dataGet(base, (t.path[i] as { v: Value }).v);
      if (base !== undefined) return this.dataRef(t.path, f, k);
    }
    const values = new ObjectValue();
    for (const leaf of d.leaves.values()) {
      const v = this.evalNode(leaf, undefined);
      if (v !== undefined) values.set(leaf.path[d.at]!, v);
    }
    return this.eachBinding(values, slot, -1, f, () => {
      const key = f[slot]!;
      const leaf = d.leaves.get(hashKey(key))!;
      return this.walk(values.get(key)!, t.path, leaf.path.length, f, k);
    });
  }

  /** Data access while `with data.x as ...` overrides are active: the straightforward way. */
  private dataRefOverridden(path: CTerm[], f: Frame, k: VCont): boolean {
    let node: RuleNode | undefined = this.root;
    let base: Value | undefined = this.data;
    const keys: Value[] = [];
    let i = 0;
    for (; i < path.length; i++) {
      const key = this.one(path[i]!, f);
      if (key === undefined) return false;
      if (key === MULTI) break;
      keys.push(key);
      const ov = this.overrides.find((o) => pathEqual(o.path, keys));
      if (ov) return this.walk(ov.value, path, i + 1, f, k);
      const child: RuleNode | undefined = node ? node.children.get(hashKey(key)) : undefined;
      const cbase: Value | undefined = base === undefined ? undefined : getKey(base, key);
      if (
        child &&
        (child.rules.length > 0 || child.defaultRule || child.isFunction) &&
        !this.overrides.some((o) => isPrefix(keys, o.path) && o.path.length > keys.length)
      ) {
        const v = this.evalNode(child, cbase);
        return v === undefined ? false : this.walk(v, path, i + 1, f, k);
      }
      if (!child && node?.dynamic) {
        keys.pop();
        break;
      }
      node = child;
      base = cbase;
      if (!node && base === undefined && !this.overrides.some((o) => isPrefix(keys, o.path))) return false;
    }
    let v: Value | undefined = node ? this.evalNode(node, base) : base;
    // Apply overrides below this point.
    for (const o of this.overrides) {
      if (o.path.length > keys.length && isPrefix(keys, o.path))
        v = setPath(v ?? new ObjectValue(), o.path.slice(keys.length), o.value);
    }
    return v === undefined ? false : this.walk(v, path, i, f, k);
  }

  private evalNode(node: RuleNode, base: Value | undefined): Value | undefined {
    if (node.isFunction) return undefined;
    if (!node.hasRules) return base;
    const c = this.cache[node.id];
    if (c !== undefined) {
      if (c === BUSY) {
        const r = node.rules[0] ?? node.defaultRule;
        throw this.err('rego_recursion_error', `rule ${node.name} is recursive`, r!.loc);
      }
      return c === UNDEF ? undefined : c;
    }
    // A data-only node computed by an earlier query on the same data: its value cannot differ.
    // Not under `with` (overridden data or mocked functions change what it computes).
    const shared = node.pure && this.overrides.length === 0 && this.mocks === undefined ? this.shared : undefined;
    if (shared !== undefined) {
      const s = shared.values[node.id];
      if (s !== undefined) {
        this.cache[node.id] = s;
        return s === UNDEF ? undefined : (s as Value);
      }
    }
    const cache = this.cache;
    cache[node.id] = BUSY;
    let v: Value | undefined;
    try {
      v = this.computeNode(node, base);
    } finally {
      cache[node.id] = undefined;
    }
    const c2 = v === undefined ? UNDEF : v;
    this.cache[node.id] = c2;
    if (shared !== undefined) shared.values[node.id] = c2;
    return v;
  }

  private computeNode(node: RuleNode, base: Value | undefined): Value | undefined {
    const exact = node.index && this.mocks === undefined ? this.candidates(node) : node.exact;
    if (node.exact.length > 0 || node.defaultRule) {
      const first = node.exact[0] ?? node.defaultRule!;
      if (first.multi) {
        const set = new SetValue();
        // Rules whose index guards fail add nothing: when no rule is left (a request no rule
        // of the set is about), the set is empty without the machinery below.
        let i = 0;
        if (this.mocks === undefined)
          while (i < exact.length && exact[i]!.guards !== undefined && !this.guardsPass(exact[i]!)) i++;
        if (i === exact.length) return set;
        // Solutions go to this.sink through one callback made per evaluator (no closure per
        // node); nested partial sets computed meanwhile put their own sink back when done.
        const saved = this.sink;
        this.sink = set;
        try {
          for (; i < exact.length; i++) this.ruleSolutions(exact[i]!, this.addToSink);
        } finally {
          this.sink = saved;
        }
        return set;
      }
      if (node.simple) return this.completeValue(node, exact);
      const v = this.completeValue(node, exact);
      if (v !== undefined || node.children.size === 0) return v;
    }
    // An object assembled from child nodes, base data and dynamic (ref-head) rules.
    const obj = base instanceof ObjectValue ? base.clone() : new ObjectValue();
    const owned = new Set<ObjectValue>([obj]);
    for (const child of node.children.values()) {
      if (!child.hasRules || child.isFunction) continue;
      const cv = this.evalNode(child, base instanceof ObjectValue ? base.get(child.key) : undefined);
      const existing = obj.get(child.key);
      if (cv !== undefined && existing instanceof ObjectValue && cv instanceof ObjectValue) {
        // Base and virtual documents under one key merge; the base wins on conflicts.
        const merged = mergeObjects(cv, existing);
        owned.add(merged);
        obj.set(child.key, merged);
      } else if (cv !== undefined && existing === undefined) {
        if (cv instanceof ObjectValue) {
          // Children may be extended by dynamic rules below: keep a private copy.
          const copy = cv.clone();
          owned.add(copy);
          obj.set(child.key, copy);
        } else obj.set(child.key, cv);
      }
    }
    for (const r of node.rules) {
      if (r.rest.length === 0) continue;
      this.ruleSolutions(r, (rest, v) => {
        this.insert(obj, owned, rest!, v, r);
        return false;
      });
    }
    return obj;
  }

  /** Inserts a ref-head rule's solution at obj[rest...]. */
  private insert(obj: ObjectValue, owned: Set<ObjectValue>, rest: Value[], v: Value, r: CRule): void {
    let cur = obj;
    const last = r.multi ? rest.length : rest.length - 1;
    for (let i = 0; i < last; i++) {
      const key = rest[i]!;
      const next = cur.get(key);
      if (next instanceof ObjectValue) {
        if (owned.has(next)) cur = next;
        else {
          const copy = next.clone();
          owned.add(copy);
          cur.set(key, copy);
          cur = copy;
        }
      } else if (next === undefined) {
        if (r.multi && i === last - 1) break;
        const fresh = new ObjectValue();
        owned.add(fresh);
        cur.set(key, fresh);
        cur = fresh;
      } else {
        if (r.multi && i === last - 1 && next instanceof SetValue) break;
        throw this.err('eval_conflict_error', 'object keys must be unique', r.loc);
      }
    }
    if (r.multi) {
      // The set lives at rest[last-1] (or obj itself when rest is empty).
      const key = rest[rest.length - 1]!;
      let s = cur.get(key);
      if (s === undefined) {
        s = new SetValue();
        cur.set(key, s);
      } else if (!(s instanceof SetValue)) throw this.err('eval_conflict_error', 'object keys must be unique', r.loc);
      (s as SetValue).add(v);
      return;
    }
    const key = rest[rest.length - 1]!;
    const prev = cur.get(key);
    if (prev !== undefined) {
      if (equal(prev, v)) return;
      throw this.err('eval_conflict_error', 'object keys must be unique', r.loc);
    }
    cur.set(key, v);
  }

  private completeValue(node: RuleNode, rules: CRule[]): Value | undefined {
    // Solutions go through one collector made per evaluator (no closure per node); a complete
    // rule computed meanwhile (inside a body) saves and restores the collector's state.
    const saved = this.complete;
    const savedStop = this.completeStop;
    const savedRule = this.completeRule;
    this.complete = undefined;
    this.completeStop = node.allConst;
    let value: Value | undefined;
    try {
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i]!;
        this.completeRule = r;
        if (this.ruleSolutions(r, this.collectComplete) && node.allConst) break;
      }
      value = this.complete;
    } finally {
      this.complete = saved;
      this.completeStop = savedStop;
      this.completeRule = savedRule;
    }
    return value === undefined && node.defaultRule ? this.defaultValue(node.defaultRule) : value;
  }

  /** The value of a `default` rule: its value term, evaluated in a frame of its own. */
  private defaultValue(d: CRule): Value | undefined {
    let value: Value | undefined;
    this.term(d.value, new Array(d.nslots), (v) => {
      value = v;
      return true;
    });
    if (this.tracer !== undefined && value !== undefined) {
      const qid = this.newQid(this.qid);
      this.traceRule('Enter', d, qid, this.qid);
      this.traceRule('Exit', d, qid, this.qid);
    }
    return value;
  }

  /** The value of the complete rule being computed (see completeValue). */
  private complete: Value | undefined;
  /** Every rule of the node yields the same constant: the first solution decides. */
  private completeStop = false;
  /** The rule whose solutions are being collected, for conflict messages. */
  private completeRule: CRule | undefined;
  private readonly collectComplete = (_rest: Value[] | undefined, v: Value): boolean => {
    if (this.complete === undefined) {
      this.complete = v;
      return this.completeStop;
    }
    if (!equal(this.complete, v))
      throw this.err('eval_conflict_error', 'complete rules must not produce multiple outputs', this.completeRule!.loc);
    return false;
  };

  /** The rules of an indexed node that can match the current input. */
  private candidates(node: RuleNode): CRule[] {
    const ix = node.index!;
    const v = this.guardValue(ix.slot);
    if (v === undefined) return ix.others;
    return ix.byValue.get(hashKey(v)) ?? ix.others;
  }

  private guardsPass(r: CRule): boolean {
    const gs = r.guards!;
    for (let i = 0; i < gs.length; i++) {
      const g = gs[i]!;
      const v = this.guardValue(g.slot);
      if (v === undefined || !equal(v, g.value)) return false;
    }
    return true;
  }

  /** Runs a (non-function) rule: cb gets the ground rest of its ref and its value (element for multi). */
  private ruleSolutions(r: CRule, cb: (rest: Value[] | undefined, v: Value) => boolean): boolean {
    if (this.tracer !== undefined) return this.tracedRule(r, cb);
    // Rule index: a failed `input.x == const` guard means the body cannot succeed.
    // Guards that passed are leading body literals already checked: the body starts after them.
    let from = 0;
    if (r.guards && this.mocks === undefined) {
      if (!this.guardsPass(r)) return false;
      from = r.guardLits!;
    }
    const out = r.multi ? r.key! : r.value;
    // A fresh frame: the deterministic prefix of the body may bind without undo.
    const start = this.fastPrefix(r, NO_SLOTS, from);
    if (start < 0) return r.elseRule ? this.ruleSolutions(r.elseRule, cb) : false;
    let f = this.prefixFrame;
    if (f === NO_SLOTS && r.nslots > 0) f = new Array(r.nslots);
    if (start === r.body.length && r.rest.length === 0) {
      const o = this.one(out, f);
      if (o !== MULTI) {
        if (o !== undefined) return cb(undefined, o);
        return r.elseRule ? this.ruleSolutions(r.elseRule, cb) : false;
      }
    }
    return this.ruleBody(r, f, start, out, cb);
  }

  /**
   * The rest of a rule body that needs enumeration. Kept apart from ruleSolutions so that the
   * common case (the deterministic prefix fails or decides) allocates no closure context.
   */
  private ruleBody(
    r: CRule,
    f: Frame,
    start: number,
    out: CTerm,
    cb: (rest: Value[] | undefined, v: Value) => boolean,
  ): boolean {
    let found = false;
    // Only a head value that is defined makes the body succeed (else: the else chain is tried).
    const emit = (rest: Value[] | undefined, v: Value) => {
      found = true;
      return cb(rest, v);
    };
    const stop = this.body(r.body, ruleSteps(r), start, f, () => {
      if (r.rest.length === 0) {
        const o = this.one(out, f);
        if (o !== MULTI) return o === undefined ? false : emit(undefined, o);
        return this.term(out, f, (v) => emit(undefined, v));
      }
      return this.items(r.rest, 0, new Array(r.rest.length), f, (rest) => this.term(out, f, (v) => emit(rest, v)));
    });
    if (!found && r.elseRule) return this.ruleSolutions(r.elseRule, cb);
    return stop;
  }

  // ------------------------------------------------------------------ calls

  private call(t: CallTerm, f: Frame, k: VCont): boolean {
    const n = t.fn.hasOutput ? t.args.length - 1 : t.args.length;
    const run = (args: Value[]): boolean => {
      if (t.fn.hasOutput) return this.invoke(t, args, (v) => this.unifyValue(t.args[n]!, v, f, () => k(true)));
      return this.invoke(t, args, k);
    };
    return this.items(n === t.args.length ? t.args : t.args.slice(0, n), 0, new Array(n), f, run);
  }

  /** A deterministic call with evaluated arguments: its value or undefined. */
  callOne(t: CallTerm, args: Value[]): Value | undefined {
    const b = t.fn.builtin;
    if (this.mocks === undefined && b?.fn) {
      try {
        const v = b.fn(args, this.ctx);
        return v;
      } catch (e) {
        return this.builtinFailure(e, t.fn, t);
      }
    }
    if (this.mocks === undefined && t.fn.node) return this.functionValue(t.fn.node, args, t.loc);
    let out: Value | undefined;
    this.invoke(t, args, (v) => {
      out = v;
      return true;
    });
    return out;
  }

  private builtinFailure(e: unknown, target: CallTarget, t: CallTerm): undefined {
    if (e instanceof RegoError) throw e;
    if (e instanceof RangeError && /call stack/.test(e.message)) throw e;
    if (this.strict) throw this.builtinErr(e, target, t);
    return undefined;
  }

  private invoke(t: CallTerm, args: Value[], k: VCont): boolean {
    let target = t.fn;
    if (this.mocks) {
      const m = this.mocks.get(target.name);
      if (m) {
        if (m.value !== undefined) return k(m.value);
        if (m.target) target = m.target;
      }
    }
    if (target.special === 'print') return k(true);
    if (target !== t.fn) {
      // A mock replacement runs without the mocks, so it can call what it replaces.
      const saved = this.mocks;
      this.mocks = undefined;
      try {
        if (target.node) {
          let out: Value | undefined;
          this.callFunction(target.node, args, t.loc, (v) => ((out = v), true));
          if (out === undefined) return false;
          this.mocks = saved;
          return k(out);
        }
        return this.invokeBuiltin(target, t, args, (v) => {
          this.mocks = saved;
          return k(v);
        });
      } finally {
        this.mocks = saved;
      }
    }
    if (target.node) return this.callFunction(target.node, args, t.loc, k);
    return this.invokeBuiltin(target, t, args, k);
  }

  private invokeBuiltin(target: CallTarget, t: CallTerm, args: Value[], k: VCont): boolean {
    const b = target.builtin;
    if (!b) throw this.err('eval_internal_error', `unknown function ${target.name}`, t.loc);
    try {
      if (b.fn) {
        const v = b.fn(args, this.ctx);
        return v === undefined ? false : k(v);
      }
      for (const v of b.multi!(args, this.ctx)) if (k(v)) return true;
      return false;
    } catch (e) {
      if (e instanceof RegoError) throw e;
      if (e instanceof RangeError && /call stack/.test(e.message)) throw e;
      if (this.strict) throw this.builtinErr(e, target, t);
      return false;
    }
  }

  /**
   * A builtin's failure as OPA reports it: the name of the builtin that was called, then the
   * reason; an operand's type error keeps its code, any other failure is a builtin error.
   */
  private builtinErr(e: unknown, target: CallTarget, t: CallTerm): RegoError {
    const code = e instanceof BuiltinError ? e.code : 'eval_builtin_error';
    return this.err(code, `${target.name}: ${(e as Error).message}`, t.loc);
  }

  private callFunction(node: RuleNode, args: Value[], loc: Loc, k: VCont): boolean {
    const value = this.functionValue(node, args, loc);
    return value === undefined ? false : k(value);
  }

  /** The value of a user function for these arguments (all definitions, conflicts, default). */
  private functionValue(node: RuleNode, args: Value[], loc: Loc): Value | undefined {
    this.tick(loc);
    // One collector per evaluator (no closure per call), as for complete rules: a function
    // called meanwhile (inside a body) saves and restores its state. When every definition
    // returns the same constant (`f(x) if ...`), the first success decides.
    const saved = this.fnResult;
    const savedStop = this.fnStop;
    const savedRule = this.fnRule;
    this.fnResult = undefined;
    this.fnStop = node.allConst;
    let value: Value | undefined;
    try {
      const rules = node.rules;
      for (let i = 0; i < rules.length; i++) {
        this.fnRule = rules[i]!;
        this.functionRule(rules[i]!, args, this.collectFunction);
        if (node.allConst && this.fnResult !== undefined) break;
      }
      value = this.fnResult;
    } finally {
      this.fnResult = saved;
      this.fnStop = savedStop;
      this.fnRule = savedRule;
    }
    return value === undefined && node.defaultRule ? this.defaultValue(node.defaultRule) : value;
  }

  /** The value of the function call being computed (see functionValue). */
  private fnResult: Value | undefined;
  private fnStop = false;
  /** The definition whose solutions are being collected, for conflict messages. */
  private fnRule: CRule | undefined;
  private readonly collectFunction = (v: Value): boolean => {
    if (this.fnResult === undefined) this.fnResult = v;
    else if (!equal(this.fnResult, v))
      throw this.err(
        'eval_conflict_error',
        'functions must not produce multiple outputs for same inputs',
        this.fnRule!.loc,
      );
    return this.fnStop;
  };

  private functionRule(r: CRule, args: Value[], cb: VCont): void {
    if (this.tracer !== undefined) {
      this.tracedFunction(r, args, cb);
      return;
    }
    const f: Frame = r.nslots === 0 ? NO_SLOTS : new Array(r.nslots);
    const params = r.args!;
    // Plain `f(x, "/")` parameters (fresh vars and constants): bind or compare directly.
    let plain = true;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      if (p.k === K.Const) {
        if (equal(p.v, args[i]!)) continue;
        // This definition (and its else chain, which shares the parameters) does not apply.
        return;
      }
      if (p.k !== K.Var || f[p.slot] !== undefined) {
        plain = false;
        break;
      }
      f[p.slot] = args[i]!;
    }
    if (!plain) {
      this.functionUnify(r, f, args, cb);
      return;
    }
    const start = this.fastPrefix(r, f, 0);
    if (start === r.body.length) {
      const o = this.one(r.value, f);
      if (o !== MULTI) {
        if (o !== undefined) cb(o);
        else if (r.elseRule) this.functionRule(r.elseRule, args, cb);
        return;
      }
    }
    if (start < 0) {
      if (r.elseRule) this.functionRule(r.elseRule, args, cb);
      return;
    }
    this.functionBody(r, f, start, args, cb);
  }

  // The enumerating parts of functionRule live apart so that its common path (plain parameters,
  // a deterministic body) allocates no closure context.

  private functionBody(r: CRule, f: Frame, start: number, args: Value[], cb: VCont): void {
    let found = false;
    const emit = (v: Value) => {
      found = true;
      return cb(v);
    };
    this.body(r.body, ruleSteps(r), start, f, () => {
      const o = this.one(r.value, f);
      if (o !== MULTI) return o === undefined ? false : emit(o);
      return this.term(r.value, f, emit);
    });
    if (!found && r.elseRule) this.functionRule(r.elseRule, args, cb);
  }

  private functionUnify(r: CRule, f: Frame, args: Value[], cb: VCont): void {
    let found = false;
    const params = r.args!;
    for (const p of params) if (p.k === K.Var) f[p.slot] = undefined;
    const bindArgs = (i: number): boolean => {
      if (i === params.length) {
        return this.body(r.body, ruleSteps(r), 0, f, () =>
          this.term(r.value, f, (v) => {
            found = true;
            return cb(v);
          }),
        );
      }
      return this.unifyValue(params[i]!, args[i]!, f, () => bindArgs(i + 1));
    };
    bindArgs(0);
    if (!found && r.elseRule) this.functionRule(r.elseRule, args, cb);
  }

  // ------------------------------------------------------------------ unification

  private unify(a: CTerm, b: CTerm, f: Frame, k: Cont): boolean {
    if (isPattern(a, f)) {
      if (isPattern(b, f)) {
        if (a.k === K.Array && b.k === K.Array) {
          if (a.items.length !== b.items.length) return false;
          return this.unifyPairs(a.items, b.items, 0, f, k);
        }
        if (a.k === K.Object && b.k === K.Object) return this.unifyObjects(a, b, f, k);
        // var = composite pattern or var = var: evaluate the side that can be evaluated.
        const ob = this.one(b, f);
        if (ob !== MULTI) return ob === undefined ? false : this.unifyValue(a, ob, f, k);
        const oa = this.one(a, f);
        if (oa !== MULTI) return oa === undefined ? false : this.unifyValue(b, oa, f, k);
        throw this.err('eval_internal_error', 'unification of two unbound patterns', a.loc);
      }
      return this.term(b, f, (v) => this.unifyValue(a, v, f, k));
    }
    const oa = this.one(a, f);
    if (oa !== MULTI) return oa === undefined ? false : this.unifyValue(b, oa, f, k);
    return this.term(a, f, (v) => this.unifyValue(b, v, f, k));
  }

  private unifyPairs(as: CTerm[], bs: CTerm[], i: number, f: Frame, k: Cont): boolean {
    if (i === as.length) return k();
    return this.unify(as[i]!, bs[i]!, f, () => this.unifyPairs(as, bs, i + 1, f, k));
  }

  private unifyObjects(
    a: Extract<CTerm, { k: K.Object }>,
    b: Extract<CTerm, { k: K.Object }>,
    f: Frame,
    k: Cont,
  ): boolean {
    if (a.keys.length !== b.keys.length) return false;
    const bk = b.keys.map((t) => this.one(t, f));
    const pairsA: CTerm[] = [];
    const pairsB: CTerm[] = [];
    for (let i = 0; i < a.keys.length; i++) {
      const ka = this.one(a.keys[i]!, f);
      if (ka === MULTI || ka === undefined) return false;
      const j = bk.findIndex((x) => x !== MULTI && x !== undefined && equal(x, ka));
      if (j < 0) return false;
      pairsA.push(a.vals[i]!);
      pairsB.push(b.vals[j]!);
    }
    return this.unifyPairs(pairsA, pairsB, 0, f, k);
  }

  /** Unifies a term with a value, binding the term's unbound vars. */
  unifyValue(t: CTerm, v: Value, f: Frame, k: Cont): boolean {
    switch (t.k) {
      case K.Const:
        return equal(t.v, v) ? k() : false;
      case K.Var: {
        const cur = f[t.slot];
        if (cur === undefined) {
          f[t.slot] = v;
          try {
            return k();
          } finally {
            f[t.slot] = undefined;
          }
        }
        return equal(cur, v) ? k() : false;
      }
      case K.Array: {
        if (!t.vars) break;
        if (!Array.isArray(v) || v.length !== t.items.length) return false;
        const step = (i: number): boolean =>
          i === v.length ? k() : this.unifyValue(t.items[i]!, v[i]!, f, () => step(i + 1));
        return step(0);
      }
      case K.Object: {
        if (!t.vars) break;
        if (!(v instanceof ObjectValue) || v.size !== t.keys.length) return false;
        const vals: Value[] = [];
        for (const kt of t.keys) {
          const key = this.one(kt, f);
          if (key === MULTI || key === undefined) return false;
          const x = v.get(key);
          if (x === undefined) return false;
          vals.push(x);
        }
        const step = (i: number): boolean =>
          i === vals.length ? k() : this.unifyValue(t.vals[i]!, vals[i]!, f, () => step(i + 1));
        return step(0);
      }
    }
    return this.term(t, f, (x) => (equal(x, v) ? k() : false));
  }

  private err(code: RegoError['code'], msg: string, loc: Loc): RegoError {
    return new RegoError(code, msg, loc.file, loc.line);
  }
}

/** A term that can bind variables by unification: an unbound var, or an array/object containing one. */
function isPattern(t: CTerm, f: Frame): boolean {
  if (t.k === K.Var) return f[t.slot] === undefined;
  if (t.k === K.Array) {
    if (!t.vars) return false;
    for (const x of t.items) if (isPattern(x, f)) return true;
    return false;
  }
  if (t.k === K.Object) {
    if (!t.vars) return false;
    for (const x of t.vals) if (isPattern(x, f)) return true;
    return false;
  }
  return false;
}
