// Recursive-descent parser for Rego modules and queries (OPA 1.x syntax by default, 0.x with
// `v0: true`). Operator precedence follows OPA: `in` < relations < `|` < `&` < `+ -` < `* / %`.
import type { Literal, Loc, Module, Rule, Term, With, Import } from './ast.js';
import { RegoError } from './errors.js';
import { skipBraces, tokenize, type Comment, type Token } from './lexer.js';
import { parseAnnotations } from './annotations.js';
import { parseNumberText } from './json-parse.js';
import type { Value } from './value.js';

export interface ParseOptions {
  /** OPA 0.x syntax (rule bodies without `if`, `p[x]` partial sets, `default p = v`). */
  v0?: boolean;
  /**
   * Read `# METADATA` blocks (default true). Off only for a policy known not to call
   * rego.metadata.*, whose METADATA is documentation read elsewhere: the YAML parser then stays
   * out of the process.
   */
  metadata?: boolean;
}

const KEYWORDS = new Set([
  'as',
  'default',
  'else',
  'every',
  'false',
  'if',
  'import',
  'in',
  'contains',
  'not',
  'null',
  'package',
  'some',
  'true',
  'with',
]);
/**
 * Keywords that OPA 0.x modules have only when imported (`import future.keywords[.X]` or
 * `import rego.v1`); without the import they are plain names (a rule `contains`, a var `every`).
 */
const FUTURE_KEYWORDS = ['in', 'every', 'if', 'contains'];

const RELATIONS: Record<string, string> = {
  '==': 'equal',
  '!=': 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
};
const ARITH: Record<string, string> = { '+': 'plus', '-': 'minus' };
const FACTOR: Record<string, string> = { '*': 'mul', '/': 'div', '%': 'rem' };

export function parseModule(text: string, file: string, opts: ParseOptions = {}): Module {
  return new Parser(text, file, !!opts.v0, opts.metadata ?? true).module();
}

/** Parses a query (a body of literals). */
export function parseQuery(text: string, file = 'query', opts: ParseOptions = {}): Literal[] {
  return parseQueryWithText(text, file, opts).body;
}

/** Parses a query and returns each literal's source text (what `opa eval` reports as "text"). */
export function parseQueryWithText(
  text: string,
  file = 'query',
  opts: ParseOptions = {},
): { body: Literal[]; texts: string[] } {
  const p = new Parser(text, file, !!opts.v0);
  const body = p.bodyUntilEof();
  return { body, texts: p.spans.map(([a, b]) => text.slice(a, b)) };
}

class Parser {
  private toks: Token[];
  private i = 0;
  private readonly comments: Comment[] = [];
  private commentLines: Map<number, string> | undefined;
  /** Source offsets [start, end) of each top-level query literal, in order. */
  readonly spans: [number, number][] = [];
  /** Depth counter: inside [...] and {...} the `|` starts a comprehension instead of a union. */
  private noOr = 0;

  constructor(
    src: string,
    private readonly file: string,
    private readonly v0: boolean,
    private readonly readMetadata = true,
  ) {
    // Comments matter only to METADATA blocks: without them none is kept.
    this.toks = tokenize(src, file, readMetadata ? this.comments : undefined);
  }

  // ------------------------------------------------------------------ token helpers
  private get t(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.toks[this.i]!;
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isOp(s: string, t = this.t): boolean {
    return t.kind === 'op' && t.text === s;
  }
  private isKw(s: string, t = this.t): boolean {
    return (
      t.kind === 'ident' &&
      t.text === s &&
      (this.future === undefined || !FUTURE_KEYWORDS.includes(s) || this.future.has(s))
    );
  }
  /** A word that is a keyword here (future keywords of a 0.x module only once imported). */
  private isKeyword(text: string): boolean {
    return (
      KEYWORDS.has(text) && (this.future === undefined || !FUTURE_KEYWORDS.includes(text) || this.future.has(text))
    );
  }
  /**
   * The future keywords a 0.x module has imported so far; undefined: all of them (1.x modules,
   * and queries, which OPA parses with every keyword).
   */
  private future: Set<string> | undefined;
  /** A keyword in keyword position: not the head of a ref such as `else.foo` or `import.x`. */
  private isKwHere(s: string): boolean {
    if (!this.isKw(s)) return false;
    const n = this.peek();
    return !(n.kind === 'op' && !n.ws && (n.text === '.' || n.text === '['));
  }
  private loc(t = this.t): Loc {
    return { file: this.file, line: t.line, col: t.col };
  }
  fail(msg: string, t = this.t): never {
    throw new RegoError('rego_parse_error', msg, this.file, t.line, t.col);
  }
  private unexpected(expected?: string): never {
    const t = this.t;
    const what =
      t.kind === 'eof'
        ? 'eof token'
        : t.kind === 'ident'
          ? this.isKeyword(t.text)
            ? `${t.text} keyword`
            : 'ident token'
          : `${t.text} token`;
    this.fail(`unexpected ${what}${expected ? `: expected ${expected}` : ''}`);
  }
  private expectOp(s: string): Token {
    if (!this.isOp(s)) this.unexpected(s);
    return this.next();
  }
  expectEof(): void {
    if (this.t.kind !== 'eof') this.unexpected();
  }

  // ------------------------------------------------------------------ module
  module(): Module {
    if (!this.isKw('package')) this.fail('package expected');
    const pkgTok = this.next();
    const pkgRef = this.refTerm();
    const pkg = this.refToPath(pkgRef, pkgTok);
    const mod: Module = { file: this.file, pkg, pkgLoc: this.loc(pkgTok), imports: [], rules: [], v0: this.v0 };
    mod.pkgAnnotations = this.annotationsBefore(pkgTok, 'package');
    if (this.v0) this.future = new Set();
    while (this.t.kind !== 'eof') {
      // OPA takes an import anywhere after the package clause (a future.keywords import
      // changes the syntax of the rules after it only).
      if (this.isKwHere('import')) {
        const imp = this.importDecl();
        mod.imports.push(imp);
        this.enableFuture(imp.path);
        continue;
      }
      if (this.isKwHere('package')) this.fail('unexpected package keyword');
      const startTok = this.t;
      const rules = this.rule(mod);
      const ann = this.annotationsBefore(startTok, 'rule');
      if (ann !== undefined) for (const r of rules) r.annotations = ann;
      mod.rules.push(...rules);
    }
    return mod;
  }

  /** The `# METADATA` block ending on the line just above `t`, parsed (undefined when none). */
  private annotationsBefore(t: Token, defaultScope: 'package' | 'rule'): Value | undefined {
    if (!this.readMetadata) return undefined;
    const byLine = (this.commentLines ??= new Map(this.comments.map((c) => [c.line, c.text])));
    let line = t.line - 1;
    const block: string[] = [];
    while (byLine.has(line)) {
      block.unshift(byLine.get(line)!);
      if (byLine.get(line)!.trim() === 'METADATA') break;
      line--;
    }
    if (block.length === 0 || block[0]!.trim() !== 'METADATA') return undefined;
    try {
      return parseAnnotations(block.slice(1), defaultScope);
    } catch (e) {
      throw new RegoError('rego_parse_error', `invalid METADATA: ${(e as Error).message}`, this.file, line, 1);
    }
  }

  private refToPath(t: Term, at: Token): string[] {
    if (t.type === 'var') return [t.name];
    if (t.type !== 'ref' || t.head.type !== 'var') this.fail('package name must be a reference', at);
    const out = [t.head.name];
    for (const p of t.path) {
      if (p.type !== 'scalar' || typeof p.value !== 'string') this.fail('package path must contain only strings', at);
      out.push(p.value);
    }
    if (out[0] === 'data') out.shift();
    return out;
  }

  /** `import future.keywords`, `import future.keywords.X` and `import rego.v1` turn keywords on in a 0.x module. */
  private enableFuture(path: Term): void {
    if (this.future === undefined || path.type !== 'ref' || path.head.type !== 'var') return;
    const parts = path.path.map((p) => (p.type === 'scalar' ? p.value : undefined));
    const head = path.head.name;
    if (
      (head === 'rego' && parts.length === 1 && parts[0] === 'v1') ||
      (head === 'future' && parts.length === 1 && parts[0] === 'keywords')
    ) {
      for (const k of FUTURE_KEYWORDS) this.future.add(k);
    } else if (
      head === 'future' &&
      parts.length === 2 &&
      parts[0] === 'keywords' &&
      typeof parts[1] === 'string' &&
      FUTURE_KEYWORDS.includes(parts[1])
    ) {
      this.future.add(parts[1]);
    }
  }

  private importDecl(): Import {
    const t = this.next();
    const path = this.refTerm();
    const head =
      path.type === 'var' ? path.name : path.type === 'ref' && path.head.type === 'var' ? path.head.name : '';
    if (!['data', 'input', 'future', 'rego'].includes(head))
      this.fail('invalid path: path must begin with input or data', t);
    let alias: string | undefined;
    if (this.isKw('as') && !this.t.nl) {
      this.next();
      if (this.t.kind !== 'ident') this.unexpected('ident');
      alias = this.next().text;
    }
    return { path, alias, loc: this.loc(t) };
  }

  /** A reference made of an identifier (keywords allowed after the first part) followed by .x / [t]. */
  private refTerm(): Term {
    const t = this.t;
    if (t.kind !== 'ident') this.unexpected('ident');
    this.next();
    const term: Term = { type: 'var', name: t.text, loc: this.loc(t) };
    return this.postfix(term, false);
  }

  // ------------------------------------------------------------------ rules
  private rule(mod: Module): Rule[] {
    const start = this.t;
    let isDefault = false;
    if (this.isKw('default') && !this.isOp('.', this.peek()) && !this.isOp('[', this.peek())) {
      this.next();
      isDefault = true;
    }
    if (this.t.kind !== 'ident') this.unexpected();
    const headTok = this.t;
    const headIdx = this.i;
    const refT = this.refTerm();
    const ref = this.headRef(refT, headTok);
    const loc = this.loc(start);
    let args: Term[] | undefined;
    if (this.isOp('(') && !this.t.ws) {
      this.next();
      args = [];
      if (!this.isOp(')')) {
        for (;;) {
          args.push(this.termExpr());
          if (this.isOp(',')) {
            this.next();
            if (this.isOp(')')) break; // trailing comma
            continue;
          }
          break;
        }
      }
      this.expectOp(')');
      // `r() = {...}`: OPA keeps a head without arguments a plain rule, not a function.
      if (args.length === 0) args = undefined;
    }
    const rule: Rule = {
      ref,
      args,
      value: { type: 'scalar', value: true, loc },
      assign: false,
      isDefault,
      multi: false,
      body: [],
      loc,
      module: mod,
    };
    if (isDefault) {
      if (!this.isOp('=') && !this.isOp(':=')) this.fail('default rules must have a value assignment');
      rule.assign = this.next().text === ':=';
      rule.value = this.termExpr();
      return [rule];
    }
    if (this.isKwHere('contains') && !this.t.nl) {
      this.next();
      rule.multi = true;
      rule.key = this.termExpr();
    } else if (this.isOp('=') || this.isOp(':=')) {
      rule.assign = this.next().text === ':=';
      rule.value = this.termExpr();
    } else if (this.v0 && !args && ref.length === 2 && this.isOp('[', this.toks[headIdx + 1]) && !this.isKw('if')) {
      // v0: `p[x] { ... }` is a partial set whose element is the last ref element.
      const last = ref[ref.length - 1]!;
      rule.ref = ref.slice(0, -1);
      rule.multi = true;
      rule.key = last;
    }
    // Body
    let hasBody = false;
    if (this.isKwHere('if') && !this.t.nl) {
      this.next();
      rule.body = this.ifBody();
      hasBody = true;
    } else if (this.isOp('{') && !this.t.nl) {
      if (!this.v0) this.fail('`if` keyword is required before rule body');
      rule.body = this.block();
      hasBody = true;
    } else if (this.isOp('{') && this.v0) {
      rule.body = this.block();
      hasBody = true;
    }
    if (!hasBody) {
      rule.body = [];
    }
    // else chain
    let cur = rule;
    while (this.isKwHere('else')) {
      const et = this.next();
      if (rule.multi) this.fail('else keyword cannot be used on multi-value rules', et);
      const e: Rule = {
        ...rule,
        elseRule: undefined,
        value: { type: 'scalar', value: true, loc: this.loc(et) },
        body: [],
        loc: this.loc(et),
      };
      if (this.isOp('=') || this.isOp(':=')) {
        this.next();
        e.value = this.termExpr();
      }
      if (this.isKw('if')) {
        this.next();
        e.body = this.ifBody();
      } else if (this.isOp('{')) {
        if (!this.v0) this.fail('`if` keyword is required before rule body');
        e.body = this.block();
      }
      cur.elseRule = e;
      cur = e;
    }
    const rules = [rule];
    // v0 allows `p { a } { b }`: extra bodies are further definitions of the same head.
    while (this.v0 && hasBody && this.isOp('{') && !this.t.nl) {
      rules.push({ ...rule, body: this.block(), elseRule: undefined });
    }
    return rules;
  }

  private headRef(t: Term, at: Token): Term[] {
    if (t.type === 'var') return [t];
    if (t.type === 'ref' && t.head.type === 'var') return [t.head, ...t.path];
    this.fail('invalid rule head', at);
  }

  private ifBody(): Literal[] {
    if (this.isOp('{')) {
      // `if {` opens a body block, unless it is a single literal starting with a
      // comprehension or object (`if {x: i | ...}`): try the block, fall back to a literal.
      const save = this.i;
      try {
        return this.block();
      } catch (e) {
        this.i = save;
        try {
          return [this.literal()];
        } catch {
          throw e;
        }
      }
    }
    return [this.literal()];
  }

  private block(): Literal[] {
    this.expectOp('{');
    const saved = this.noOr;
    this.noOr = 0;
    const body = this.literals('}');
    this.noOr = saved;
    this.expectOp('}');
    if (body.length === 0) this.fail('found empty body');
    return body;
  }

  bodyUntilEof(): Literal[] {
    const body = this.literals('eof');
    if (body.length === 0) this.fail('empty query');
    return body;
  }

  private literals(end: '}' | 'eof'): Literal[] {
    const out: Literal[] = [];
    const atEnd = (): boolean => (end === 'eof' ? this.t.kind === 'eof' : this.isOp('}'));
    while (!atEnd()) {
      const startOff = this.t.offset;
      out.push(this.literal());
      if (end === 'eof') this.spans.push([startOff, this.toks[this.i - 1]!.end]);
      if (this.isOp(';')) {
        this.next();
        continue;
      }
      if (atEnd()) break;
      if (!this.t.nl) this.unexpected();
    }
    return out;
  }

  // ------------------------------------------------------------------ literals
  literal(): Literal {
    const start = this.t;
    const loc = this.loc(start);
    // `some [a, b] in xs` declares a pattern; `some[x]` (no space) would be a ref to a var.
    if (this.isKw('some') && !this.isOp('.', this.peek()) && (!this.isOp('[', this.peek()) || this.peek().ws)) {
      this.next();
      const terms: Term[] = [this.termRel()];
      while (this.isOp(',')) {
        this.next();
        terms.push(this.termRel());
      }
      if (this.isKw('in')) {
        this.next();
        if (terms.length > 2) this.fail('unexpected , token: expected at most two terms before in');
        const coll = this.termRel();
        const w = this.withs();
        return terms.length === 2
          ? { type: 'somein', key: terms[0], value: terms[1]!, coll, with: w, loc }
          : { type: 'somein', value: terms[0]!, coll, with: w, loc };
      }
      for (const v of terms) if (v.type !== 'var') this.fail('expected var in some declaration', start);
      return { type: 'some', vars: terms, loc };
    }
    if (this.isKw('every') && !this.isOp('.', this.peek()) && !this.isOp('[', this.peek())) {
      this.next();
      const first = this.termRel();
      let key: Term | undefined;
      let value = first;
      if (this.isOp(',')) {
        this.next();
        key = first;
        value = this.termRel();
      }
      // `every x in xs` takes its `in` even where only future.keywords.every was imported.
      if (!(this.t.kind === 'ident' && this.t.text === 'in')) this.unexpected('in');
      this.next();
      const domain = this.termRel();
      const body = this.block();
      return { type: 'every', key, value, domain, body, with: this.withs(), loc };
    }
    let negated = false;
    if (this.isKw('not') && !this.isOp('.', this.peek()) && !this.isOp('[', this.peek())) {
      this.next();
      negated = true;
    }
    const term = this.exprTerm();
    return { type: 'expr', term, negated, with: this.withs(), loc };
  }

  withs(): With[] {
    const out: With[] = [];
    while (this.isKwHere('with')) {
      const t = this.next();
      const target = this.termRel();
      if (!this.isKw('as')) this.unexpected('as');
      this.next();
      const value = this.termRel();
      out.push({ target, value, loc: this.loc(t) });
    }
    return out;
  }

  /** An expression at literal level: `a = b`, `a := b`, `k, v in xs`, or any term. */
  private exprTerm(): Term {
    const startTok = this.t;
    const lhs = this.termIn(true);
    if (this.isOp('=') || this.isOp(':=')) {
      const op = this.next().text;
      const rhs = this.termIn();
      return this.call([op === '=' ? 'eq' : 'assign'], [lhs, rhs], startTok);
    }
    return lhs;
  }

  private call(fn: string[], args: Term[], at: Token): Term {
    const loc = this.loc(at);
    return { type: 'call', fn, fnTerm: { type: 'var', name: fn.join('.'), loc }, args, loc };
  }

  /** A full term including infix operators but not assignment (used for values and arguments). */
  termExpr(): Term {
    return this.termIn();
  }

  private termIn(allowComma = false): Term {
    const start = this.t;
    let lhs = this.termRel();
    if (allowComma && this.isOp(',')) {
      // `k, v in xs` (only where a comma cannot separate list items: literal level, parens).
      const save = this.i;
      this.next();
      const v = this.termRel();
      if (this.isKw('in')) {
        this.next();
        lhs = this.call(['internal', 'member_3'], [lhs, v, this.termRel()], start);
      } else this.i = save;
    }
    while (this.isKwHere('in')) {
      this.next();
      const rhs = this.termRel();
      lhs = this.call(['internal', 'member_2'], [lhs, rhs], start);
    }
    return lhs;
  }

  private termRel(): Term {
    const start = this.t;
    let lhs = this.termOr();
    while (this.t.kind === 'op' && RELATIONS[this.t.text]) {
      const op = RELATIONS[this.next().text]!;
      const rhs = this.termOr();
      lhs = this.call([op], [lhs, rhs], start);
    }
    return lhs;
  }

  private termOr(): Term {
    const start = this.t;
    let lhs = this.termAnd();
    while (this.isOp('|') && this.noOr === 0) {
      this.next();
      lhs = this.call(['or'], [lhs, this.termAnd()], start);
    }
    return lhs;
  }

  private termAnd(): Term {
    const start = this.t;
    let lhs = this.termArith();
    while (this.isOp('&')) {
      this.next();
      lhs = this.call(['and'], [lhs, this.termArith()], start);
    }
    return lhs;
  }

  private termArith(): Term {
    const start = this.t;
    let lhs = this.termFactor();
    while (this.t.kind === 'op' && ARITH[this.t.text]) {
      const opTok = this.t;
      // `a -1` on one line is subtraction; a newline before the operator ends the expression.
      if (opTok.nl) break;
      this.next();
      lhs = this.call([ARITH[opTok.text]!], [lhs, this.termFactor()], start);
    }
    return lhs;
  }

  private termFactor(): Term {
    const start = this.t;
    let lhs = this.primary();
    while (this.t.kind === 'op' && FACTOR[this.t.text]) {
      if (this.t.nl) break;
      const op = FACTOR[this.next().text]!;
      lhs = this.call([op], [lhs, this.primary()], start);
    }
    return lhs;
  }

  // ------------------------------------------------------------------ terms
  private primary(): Term {
    const t = this.t;
    const loc = this.loc(t);
    switch (t.kind) {
      case 'number':
        this.next();
        return this.postfix({ type: 'scalar', value: parseNumberText(t.text), loc }, true);
      case 'string':
      case 'rawstring':
        this.next();
        return this.postfix({ type: 'scalar', value: t.value, loc }, true);
      case 'template':
        this.next();
        return this.template(t);
      case 'eof':
        this.unexpected();
    }
    if (t.kind === 'ident') {
      const nextTok = this.peek();
      const continues = !nextTok.ws && (this.isOp('.', nextTok) || this.isOp('[', nextTok));
      switch (t.text) {
        case 'true':
        case 'false':
          if (continues) break;
          this.next();
          return this.postfix({ type: 'scalar', value: t.text === 'true', loc }, true);
        case 'null':
          if (continues) break;
          this.next();
          return this.postfix({ type: 'scalar', value: null, loc }, true);
        case 'set':
          if (this.isOp('(', nextTok) && !nextTok.ws && this.isOp(')', this.peek(2))) {
            this.next();
            this.next();
            this.next();
            return this.postfix({ type: 'set', items: [], loc }, true);
          }
          break;
        default:
          // `contains(s, x)` is the builtin; keywords may also head a ref (`as.foo`).
          if (
            this.isKeyword(t.text) &&
            !continues &&
            !(t.text === 'contains' && this.isOp('(', nextTok) && !nextTok.ws)
          )
            this.unexpected();
      }
      this.next();
      return this.postfix({ type: 'var', name: t.text, loc }, true);
    }
    // punctuation
    switch (t.text) {
      case '(': {
        this.next();
        const saved = this.noOr;
        this.noOr = 0;
        const inner = this.termIn(true);
        this.noOr = saved;
        this.expectOp(')');
        return this.postfix(inner, true);
      }
      case '[':
        return this.postfix(this.arrayOrComp(), true);
      case '{':
        return this.postfix(this.braceTerm(), true);
      case '-': {
        this.next();
        const n = this.t;
        if (n.kind === 'number' && !n.ws) {
          this.next();
          return this.postfix({ type: 'scalar', value: negate(parseNumberText(n.text)), loc }, true);
        }
        const operand = this.primary();
        return this.call(['minus'], [{ type: 'scalar', value: 0, loc }, operand], t);
      }
    }
    this.unexpected();
  }

  /** Continues a term with `.name`, `[term]` and `(args)` when they follow without whitespace. */
  private postfix(term: Term, allowCall: boolean): Term {
    for (;;) {
      const t = this.t;
      if (t.ws || t.kind !== 'op') return term;
      if (t.text === '.') {
        this.next();
        const n = this.t;
        if (n.kind !== 'ident' || n.ws) this.unexpected('ident');
        this.next();
        term = appendRef(term, { type: 'scalar', value: n.text, loc: this.loc(n) });
      } else if (t.text === '[') {
        this.next();
        const saved = this.noOr;
        this.noOr = 0;
        const key = this.termExpr();
        this.noOr = saved;
        this.expectOp(']');
        term = appendRef(term, key);
      } else if (t.text === '(' && allowCall && (term.type === 'var' || term.type === 'ref')) {
        const fn = callPath(term);
        if (!fn) return term;
        this.next();
        const saved = this.noOr;
        this.noOr = 0;
        const args: Term[] = [];
        if (!this.isOp(')')) {
          for (;;) {
            args.push(this.termExpr());
            if (this.isOp(',')) {
              this.next();
              if (this.isOp(')')) break; // trailing comma
              continue;
            }
            break;
          }
        }
        this.noOr = saved;
        this.expectOp(')');
        term = { type: 'call', fn, fnTerm: term, args, loc: term.loc };
      } else {
        return term;
      }
    }
  }

  private arrayOrComp(): Term {
    const open = this.next();
    const loc = this.loc(open);
    if (this.isOp(']')) {
      this.next();
      return { type: 'array', items: [], loc };
    }
    this.noOr++;
    const first = this.termExpr();
    this.noOr--;
    if (this.isOp('|')) {
      this.next();
      const body = this.compBody(']');
      return { type: 'arraycomp', term: first, body, loc };
    }
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isOp(']')) break;
      items.push(this.element());
    }
    this.expectOp(']');
    return { type: 'array', items, loc };
  }

  private compBody(close: string): Literal[] {
    const saved = this.noOr;
    this.noOr = 0;
    const body: Literal[] = [];
    while (!this.isOp(close)) {
      body.push(this.literal());
      if (this.isOp(';')) {
        this.next();
        continue;
      }
      if (this.isOp(close)) break;
      if (!this.t.nl) this.unexpected();
    }
    this.noOr = saved;
    this.expectOp(close);
    if (body.length === 0) this.fail('found empty body');
    return body;
  }

  private braceTerm(): Term {
    const open = this.next();
    const loc = this.loc(open);
    if (this.isOp('}')) {
      this.next();
      return { type: 'object', entries: [], loc };
    }
    this.noOr++;
    const first = this.termExpr();
    this.noOr--;
    if (this.isOp(':')) {
      this.next();
      this.noOr++;
      const v = this.termExpr();
      this.noOr--;
      if (this.isOp('|')) {
        this.next();
        return { type: 'objcomp', key: first, value: v, body: this.compBody('}'), loc };
      }
      const entries: [Term, Term][] = [[first, v]];
      while (this.isOp(',')) {
        this.next();
        if (this.isOp('}')) break;
        const k = this.element();
        this.expectOp(':');
        entries.push([k, this.element()]);
      }
      this.expectOp('}');
      return { type: 'object', entries, loc };
    }
    if (this.isOp('|')) {
      this.next();
      return { type: 'setcomp', term: first, body: this.compBody('}'), loc };
    }
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isOp('}')) break;
      items.push(this.element());
    }
    this.expectOp('}');
    return { type: 'set', items, loc };
  }

  /**
   * An element of a collection literal after its first one: only the first term can open a
   * comprehension (`[x | body]`), so from the second on `|` is set union, as in OPA.
   */
  private element(): Term {
    const saved = this.noOr;
    this.noOr = 0;
    try {
      return this.termExpr();
    } finally {
      this.noOr = saved;
    }
  }

  /** $"text {expr} text": `\{` is a literal brace; other escapes are JSON's. */
  private template(t: Token): Term {
    const loc = this.loc(t);
    const raw = t.value;
    const parts: (string | Term)[] = [];
    let text = '';
    let i = 0;
    const isRaw = t.text.startsWith('$`');
    const withs: (With[] | undefined)[] = [];
    let hasWith = false;
    while (i < raw.length) {
      const c = raw[i]!;
      if (c === '\\' && (!isRaw || raw[i + 1] === '{' || raw[i + 1] === '}')) {
        const d = raw[i + 1]!;
        if (d === '{' || d === '}') {
          text += d;
          i += 2;
          continue;
        }
        // Decode one JSON escape.
        const len = d === 'u' ? 6 : 2;
        try {
          text += JSON.parse('"' + raw.slice(i, i + len) + '"') as string;
        } catch {
          this.fail('illegal escape sequence in template string', t);
        }
        i += len;
        continue;
      }
      if (c === '{') {
        // Find the matching brace (strings and nested templates inside may contain braces).
        const j = skipBraces(raw, i, (m) => this.fail(m, t)) - 1;
        if (text) parts.push(text);
        text = '';
        const inner = raw.slice(i + 1, j);
        const sub = new Parser(inner, this.file, this.v0);
        // Locations inside the template point at the template itself.
        for (const tok of sub.toks) {
          tok.line = t.line;
          tok.col = t.col;
        }
        const term = sub.termExpr();
        const w = sub.withs();
        sub.expectEof();
        parts.push(term);
        if (w.length > 0) (withs[parts.length - 1] = w), (hasWith = true);
        i = j + 1;
        continue;
      }
      text += c;
      i++;
    }
    if (text) parts.push(text);
    return hasWith ? { type: 'template', parts, withs, loc } : { type: 'template', parts, loc };
  }
}

function negate(v: ReturnType<typeof parseNumberText>): ReturnType<typeof parseNumberText> {
  if (typeof v === 'number') return -v;
  return parseNumberText('-' + v.n.toString());
}

function appendRef(term: Term, el: Term): Term {
  if (term.type === 'ref') return { type: 'ref', head: term.head, path: [...term.path, el], loc: term.loc };
  return { type: 'ref', head: term, path: [el], loc: term.loc };
}

/** The dotted name of a callable ref (`a.b.c`), or undefined if it has dynamic parts. */
function callPath(t: Term): string[] | undefined {
  if (t.type === 'var') return [t.name];
  if (t.type !== 'ref' || t.head.type !== 'var') return undefined;
  const out = [t.head.name];
  for (const p of t.path) {
    if (p.type !== 'scalar' || typeof p.value !== 'string') return undefined;
    out.push(p.value);
  }
  return out;
}
