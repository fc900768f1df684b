// `opa check --strict`'s checks over parsed modules (OPA's strict mode, enforced by default
// since OPA 1.0 in `opa check`): duplicate imports, unused imports, unused local assignments
// and function arguments, input/data used as rule or variable names, and deprecated builtins.
// Plus the check OPA makes in every mode: a var declared with `some x` and never used.
// Each finding is a RegoError at the file:line:col of the offending name.
import { eachChild, type Literal, type Module, type Rule, type Term, type With } from './ast.js';
import { compileError, type RegoError } from './errors.js';

/** Builtins OPA deprecated (strict mode refuses calls of them). */
const DEPRECATED = new Set([
  'any',
  'all',
  're_match',
  'net.cidr_overlap',
  'set_diff',
  'cast_array',
  'cast_set',
  'cast_string',
  'cast_boolean',
  'cast_null',
  'cast_object',
]);

interface Occurrence {
  name: string;
  term: Term;
  kind: 'assign' | 'some' | 'use';
}

export function checkModules(modules: readonly Module[], strict: boolean): RegoError[] {
  const errs: RegoError[] = [];
  // Rule names per package, over all its files (a call of a package's own `any` is no builtin).
  const pkgRules = new Map<string, Set<string>>();
  for (const m of modules) {
    const k = m.pkg.join('\u0000');
    if (!pkgRules.has(k)) pkgRules.set(k, new Set());
    for (const r of m.rules) if (r.ref[0]!.type === 'var') pkgRules.get(k)!.add(r.ref[0].name);
  }
  for (const m of modules) {
    const own = pkgRules.get(m.pkg.join('\u0000'))!;
    const used = new Set<string>();
    for (const rule of m.rules) {
      // A function's arguments are used if any branch of its else chain uses them.
      const chainUses = new Set<string>();
      for (let r: Rule | undefined = rule; r; r = r.elseRule) {
        const occ = ruleOccurrences(r);
        for (const o of occ) if (o.kind === 'use') used.add(o.name), chainUses.add(o.name);
        checkBody(occ, strict, errs);
        if (strict) deprecatedCalls(r, own, errs);
      }
      if (strict) checkArgs(rule, chainUses, errs);
      if (strict && rule.ref[0]!.type === 'var' && (rule.ref[0].name === 'input' || rule.ref[0].name === 'data')) {
        errs.push(
          compileError(`rules must not shadow ${rule.ref[0].name} (use a different rule name)`, rule.ref[0].loc),
        );
      }
    }
    if (!strict) continue;
    const seen = new Map<string, string>();
    for (const imp of m.imports) {
      const path = importPath(imp.path);
      if (path[0] === 'future' || path[0] === 'rego') continue;
      const alias = imp.alias ?? path[path.length - 1]!;
      if (seen.has(alias)) errs.push(compileError(`import must not shadow import ${seen.get(alias)}`, imp.loc));
      else seen.set(alias, path.join('.'));
      if (!used.has(alias))
        errs.push(compileError(`import ${path.join('.')}${imp.alias ? ` as ${imp.alias}` : ''} unused`, imp.loc));
    }
  }
  errs.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0),
  );
  return errs;
}

function checkBody(occ: Occurrence[], strict: boolean, errs: RegoError[]): void {
  const uses = new Set(occ.filter((o) => o.kind === 'use').map((o) => o.name));
  for (const o of occ) {
    if (o.name === '_' || o.name.startsWith('$')) continue;
    if (o.kind === 'some' && !uses.has(o.name)) errs.push(compileError(`declared var ${o.name} unused`, o.term.loc));
    if (!strict || o.kind !== 'assign') continue;
    if (o.name === 'input' || o.name === 'data')
      errs.push(compileError(`variables must not shadow ${o.name} (use a different variable name)`, o.term.loc));
    else if (!uses.has(o.name)) errs.push(compileError(`assigned var ${o.name} unused`, o.term.loc));
  }
}

function checkArgs(r: Rule, uses: Set<string>, errs: RegoError[]): void {
  if (!r.args) return;
  for (const a of r.args) {
    const names: Term[] = [];
    patternVars(a, names);
    for (const v of names) {
      const name = (v as { name: string }).name;
      if (name !== '_' && !uses.has(name))
        errs.push(compileError(`unused argument ${name}. (hint: use _ (wildcard variable) instead)`, v.loc));
    }
  }
}

function deprecatedCalls(r: Rule, own: Set<string>, errs: RegoError[]): void {
  const visit = (t: Term): void => {
    if (t.type === 'call') {
      const name = t.fn.join('.');
      if (DEPRECATED.has(name) && !(t.fn.length === 1 && own.has(name)))
        errs.push(compileError(`deprecated built-in function calls in expression: ${name}`, t.loc, 'rego_type_error'));
    }
  };
  walkRule(r, (t) => visit(t));
}

function importPath(t: Term): string[] {
  if (t.type === 'var') return [t.name];
  if (t.type !== 'ref') return [];
  const out = [t.head.type === 'var' ? t.head.name : ''];
  for (const p of t.path) out.push(p.type === 'scalar' ? String(p.value) : '');
  return out;
}

/** Vars a pattern binds: a var, or vars inside array/object(values)/set literals. */
function patternVars(t: Term, out: Term[]): void {
  if (t.type === 'var') out.push(t);
  else if (t.type === 'array' || t.type === 'set') for (const x of t.items) patternVars(x, out);
  else if (t.type === 'object') for (const [, v] of t.entries) patternVars(v, out);
}

/** Every var occurrence in a rule (head and body, nested bodies included), by kind. */
function ruleOccurrences(r: Rule): Occurrence[] {
  const out: Occurrence[] = [];
  const use = (t: Term): void => termVars(t, out);
  for (const t of r.ref.slice(1)) use(t);
  if (r.key) use(r.key);
  use(r.value);
  bodyVars(r.body, out);
  return out;
}

function bodyVars(body: readonly Literal[], out: Occurrence[]): void {
  for (const l of body) {
    switch (l.type) {
      case 'some':
        for (const v of l.vars) if (v.type === 'var') out.push({ name: v.name, term: v, kind: 'some' });
        break;
      case 'somein':
        if (l.key) termVars(l.key, out);
        termVars(l.value, out);
        termVars(l.coll, out);
        withVars(l.with, out);
        break;
      case 'every':
        if (l.key) termVars(l.key, out);
        termVars(l.value, out);
        termVars(l.domain, out);
        bodyVars(l.body, out);
        withVars(l.with, out);
        break;
      case 'expr': {
        const t = l.term;
        if (!l.negated && t.type === 'call' && t.fn.length === 1 && t.fn[0] === 'assign' && t.args.length === 2) {
          const lhs: Term[] = [];
          patternVars(t.args[0]!, lhs);
          for (const v of lhs) out.push({ name: (v as { name: string }).name, term: v, kind: 'assign' });
          // Non-var parts of the pattern (keys, scalars) and the right side are uses.
          if (t.args[0]!.type !== 'var') termVars(t.args[0]!, out, new Set(lhs));
          termVars(t.args[1]!, out);
        } else termVars(t, out);
        withVars(l.with, out);
        break;
      }
    }
  }
}

function withVars(ws: readonly With[], out: Occurrence[]): void {
  for (const w of ws) {
    termVars(w.target, out);
    termVars(w.value, out);
  }
}

function termVars(t: Term, out: Occurrence[], skip?: Set<Term>): void {
  switch (t.type) {
    case 'var':
      if (!skip?.has(t)) out.push({ name: t.name, term: t, kind: 'use' });
      return;
    case 'ref':
      termVars(t.head, out, skip);
      for (const p of t.path) termVars(p, out, skip);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) termVars(x, out, skip);
      return;
    case 'object':
      for (const [k, v] of t.entries) termVars(k, out, skip), termVars(v, out, skip);
      return;
    case 'call':
      // The function's name counts as a use of its first part (an import alias, a local).
      out.push({ name: t.fn[0]!, term: t.fnTerm, kind: 'use' });
      for (const a of t.args) termVars(a, out, skip);
      return;
    case 'arraycomp':
    case 'setcomp':
      termVars(t.term, out);
      bodyVars(t.body, out);
      return;
    case 'objcomp':
      termVars(t.key, out);
      termVars(t.value, out);
      bodyVars(t.body, out);
      return;
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string') termVars(p, out, skip);
      for (const w of t.withs ?? []) if (w) withVars(w, out);
      return;
    default:
      return;
  }
}

/** Calls `f` on every term of a rule (head, body, nested bodies). */
function walkRule(r: Rule, f: (t: Term) => void): void {
  const term = (t: Term): void => {
    f(t);
    eachChild(t, term, body);
  };
  const withs = (ws: readonly With[]): void => {
    for (const w of ws) term(w.value);
  };
  const body = (b: readonly Literal[]): void => {
    for (const l of b) {
      if (l.type === 'expr') term(l.term), withs(l.with);
      else if (l.type === 'somein') term(l.coll), withs(l.with);
      else if (l.type === 'every') term(l.domain), body(l.body), withs(l.with);
    }
  };
  r.ref.slice(1).forEach(term);
  r.args?.forEach(term);
  if (r.key) term(r.key);
  term(r.value);
  body(r.body);
}
