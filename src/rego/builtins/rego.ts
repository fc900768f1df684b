// rego.parse_module (family B): parses a module with the engine's parser and returns OPA's JSON
// AST shape ({"package": {"path": [...]}, "imports": [...], "rules": [...]}), terms as
// {"type": ..., "value": ...}.
import type { Literal, Module, Rule, Term } from '../ast.js';
import { RegoError } from '../errors.js';
import { parseModule } from '../parser.js';
import { BigNum, ObjectValue, SetValue, typeName, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, str } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const O = (rec: Record<string, Value | undefined>): ObjectValue => {
  const o = new ObjectValue();
  for (const k of Object.keys(rec)) if (rec[k] !== undefined) o.set(k, rec[k]!);
  return o;
};

function scalarTerm(v: Value): ObjectValue {
  if (v === null) return O({ type: 'null', value: null });
  if (typeof v === 'number' || v instanceof BigNum) return O({ type: 'number', value: v });
  if (v instanceof ObjectValue)
    return O({ type: 'object', value: v.sortedEntries().map(([k, x]) => [scalarTerm(k), scalarTerm(x)]) });
  if (v instanceof SetValue) return O({ type: 'set', value: v.sorted().map(scalarTerm) });
  if (Array.isArray(v)) return O({ type: 'array', value: v.map(scalarTerm) });
  return O({ type: typeName(v), value: v });
}

function refPath(head: Term, path: Term[]): Value[] {
  return [term(head), ...path.map(term)];
}

function callName(fn: string[]): ObjectValue {
  return O({
    type: 'ref',
    value: fn.map((p, i) => (i === 0 ? O({ type: 'var', value: p }) : O({ type: 'string', value: p }))),
  });
}

function term(t: Term): ObjectValue {
  switch (t.type) {
    case 'scalar':
      return scalarTerm(t.value);
    case 'var':
      return O({ type: 'var', value: t.name });
    case 'ref':
      return O({ type: 'ref', value: refPath(t.head, t.path) });
    case 'array':
      return O({ type: 'array', value: t.items.map(term) });
    case 'set':
      return O({ type: 'set', value: t.items.map(term) });
    case 'object':
      return O({ type: 'object', value: t.entries.map(([k, v]) => [term(k), term(v)]) });
    case 'call':
      return O({ type: 'call', value: [callName(t.fn), ...t.args.map(term)] });
    case 'arraycomp':
      return O({ type: 'arraycomprehension', value: O({ term: term(t.term), body: body(t.body) }) });
    case 'setcomp':
      return O({ type: 'setcomprehension', value: O({ term: term(t.term), body: body(t.body) }) });
    case 'objcomp':
      return O({
        type: 'objectcomprehension',
        value: O({ key: term(t.key), value: term(t.value), body: body(t.body) }),
      });
    case 'template':
      return O({
        type: 'templatestring',
        value: t.parts.map((p) => (typeof p === 'string' ? O({ type: 'string', value: p }) : term(p))),
      });
  }
}

function withs(ws: { target: Term; value: Term }[]): Value[] | undefined {
  return ws.length ? ws.map((w) => O({ target: term(w.target), value: term(w.value) })) : undefined;
}

function body(lits: Literal[]): Value[] {
  return lits.map((l, index) => {
    switch (l.type) {
      case 'expr': {
        const t = l.term;
        const terms: Value = t.type === 'call' ? [callName(t.fn), ...t.args.map(term)] : term(t);
        return O({ index, terms, negated: l.negated || undefined, with: withs(l.with) });
      }
      case 'some':
        return O({ index, terms: O({ type: 'somedecl', value: l.vars.map(term) }) });
      case 'somein': {
        const args = [...(l.key ? [term(l.key)] : []), term(l.value), term(l.coll)];
        const member = O({ type: 'call', value: [callName(['internal', l.key ? 'member_3' : 'member_2']), ...args] });
        return O({ index, terms: O({ type: 'somedecl', value: [member] }), with: withs(l.with) });
      }
      case 'every':
        return O({
          index,
          terms: O({
            key: l.key ? term(l.key) : null,
            value: term(l.value),
            domain: term(l.domain),
            body: body(l.body),
          }),
          with: withs(l.with),
        });
      default:
        return l satisfies never;
    }
  });
}

function rule(r: Rule): ObjectValue {
  const first = r.ref[0]!;
  const name = first.type === 'var' ? first.name : '';
  const head = O({
    name: r.ref.length === 1 ? name : undefined,
    ref: r.ref.map(term),
    args: r.args ? r.args.map(term) : undefined,
    key: r.key ? term(r.key) : undefined,
    value: r.multi ? undefined : term(r.value),
    assign: r.assign || undefined,
  });
  const b = r.body.length ? body(r.body) : [O({ index: 0, terms: O({ type: 'boolean', value: true }) })];
  return O({ default: r.isDefault || undefined, head, body: b, else: r.elseRule ? rule(r.elseRule) : undefined });
}

function moduleValue(m: Module): ObjectValue {
  const pkgPath = [O({ type: 'var', value: 'data' }), ...m.pkg.map((p) => O({ type: 'string', value: p }))];
  const imports = m.imports.map((i) => {
    const path = i.path.type === 'ref' ? O({ type: 'ref', value: refPath(i.path.head, i.path.path) }) : term(i.path);
    return O({ path, alias: i.alias });
  });
  return O({
    package: O({ path: pkgPath }),
    imports: imports.length ? imports : undefined,
    rules: m.rules.length ? m.rules.map(rule) : undefined,
  });
}

builtins.push({
  name: 'rego.parse_module',
  arity: 2,
  fn: ([f, s]) => {
    const file = str(1, f!);
    const text = str(2, s!);
    try {
      return moduleValue(parseModule(text, file));
    } catch (e) {
      if (e instanceof RegoError) throw builtinError(e.message);
      throw e;
    }
  },
});
