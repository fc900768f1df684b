// Builtin family "graphql" (family B): graphql.parse_query / parse_schema / parse /
// parse_and_verify / is_valid / schema_is_valid, matching OPA (gqlparser) outputs: the AST as
// Go's JSON with Position, nulls and empty collections pruned; errors "MSG in GraphQL string at
// location L:C". Schema validation follows gqlparser's ValidateSchemaDocument; query validation
// implements the commonly hit rules of the GraphQL spec's validation section.
import { ObjectValue, toJS, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, str as expectString, typeError } from './operands.js';
import {
  GQLError,
  parseQueryDocument,
  parseSchemaDocument,
  VALUE_KIND,
  type Node,
  type Pos,
} from './graphql-parser.js';
import {
  buildSchema,
  fail,
  isInputKind,
  list,
  typeName,
  typeString,
  ValidationError,
  type Schema,
} from './graphql-schema.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

// ---------------------------------------------------------------------------------------------
// AST <-> Value

/** OPA's pruneIrrelevantGraphQLASTNodes over our AST objects (internal `_` keys dropped). */
function prune(x: unknown): Value | undefined {
  if (x === null || x === undefined) return undefined;
  if (Array.isArray(x)) {
    const out: Value[] = [];
    for (const e of x) {
      const v = prune(e);
      if (v === undefined) continue;
      if ((Array.isArray(v) && v.length === 0) || (v instanceof ObjectValue && v.size === 0)) continue;
      out.push(v);
    }
    return out;
  }
  if (typeof x === 'object') {
    const o = new ObjectValue();
    for (const [k, e] of Object.entries(x as Node)) {
      if (k.startsWith('_') || k === 'Position') continue;
      const v = prune(e);
      if (v === undefined) continue;
      if ((Array.isArray(v) && v.length === 0) || (v instanceof ObjectValue && v.size === 0)) continue;
      o.set(k, v);
    }
    return o;
  }
  return x as Value;
}

function toValue(doc: Node): Value {
  return prune(doc) ?? new ObjectValue();
}

function gqlErr(e: unknown): never {
  if (e instanceof GQLError) throw builtinError(e.message);
  throw e;
}

function loadQuery(v: Value): Node {
  if (typeof v === 'string') return parseQueryDocument(v);
  return toJS(v) as Node;
}

function loadSchema(v: Value): Node {
  if (typeof v === 'string') return parseSchemaDocument(v);
  return toJS(v) as Node;
}

// ---------------------------------------------------------------------------------------------
// Query validation

function selKind(n: Node): string {
  if (n._kind) return n._kind;
  if ('Alias' in n) return 'Field';
  if ('TypeCondition' in n || 'SelectionSet' in n) return 'InlineFragment';
  return 'FragmentSpread';
}

const LEAF = new Set(['SCALAR', 'ENUM']);

class QueryValidator {
  private usedFragments = new Set<string>();
  private fragments = new Map<string, Node>();

  constructor(
    private readonly s: Schema,
    private readonly doc: Node,
  ) {}

  run(): void {
    const ops = list<Node>(this.doc.Operations);
    const frags = list<Node>(this.doc.Fragments);
    for (const f of frags) {
      if (this.fragments.has(f.Name)) fail(`There can be only one fragment named "${f.Name}".`, f._pos);
      this.fragments.set(f.Name, f);
    }
    const names = new Set<string>();
    for (const op of ops) {
      if (!op.Name && ops.length > 1) fail('This anonymous operation must be the only defined operation.', op._pos);
      if (op.Name) {
        if (names.has(op.Name)) fail(`There can be only one operation named "${op.Name}".`, op._pos);
        names.add(op.Name);
      }
    }
    for (const op of ops) this.operation(op);
    for (const f of frags) {
      const t = this.s.types.get(f.TypeCondition);
      if (!t) fail(`Unknown type "${f.TypeCondition}".`, f._pos);
      if (LEAF.has(t.Kind) || t.Kind === 'INPUT_OBJECT')
        fail(`Fragment "${f.Name}" cannot condition on non composite type "${f.TypeCondition}".`, f._pos);
      if (!this.usedFragments.has(f.Name)) fail(`Fragment "${f.Name}" is never used.`, f._pos);
    }
  }

  private operation(op: Node): void {
    const opType = op.Operation || 'query';
    const root = opType === 'query' ? this.s.query : opType === 'mutation' ? this.s.mutation : this.s.subscription;
    if (!root) fail(`Schema does not support operation type "${opType}"`, op._pos);
    const defined = new Map<string, Node>();
    for (const v of list<Node>(op.VariableDefinitions)) {
      if (defined.has(v.Variable)) fail(`There can be only one variable named "$${v.Variable}".`, v._pos);
      defined.set(v.Variable, v);
      const t = this.s.types.get(typeName(v.Type));
      if (!t) fail(`Unknown type "${typeName(v.Type)}".`, v._pos);
      if (!isInputKind(t.Kind))
        fail(`Variable "$${v.Variable}" cannot be non-input type "${typeString(v.Type)}".`, v._pos);
      if (v.DefaultValue) this.value(v.DefaultValue, v.Type);
    }
    const used = new Set<string>();
    this.directives(list(op.Directives), opType.toUpperCase(), used);
    this.selections(list(op.SelectionSet), root, used, new Set());
    for (const u of used) {
      if (!defined.has(u))
        fail(
          op.Name ? `Variable "$${u}" is not defined by operation "${op.Name}".` : `Variable "$${u}" is not defined.`,
          op._pos,
        );
    }
    for (const [name, v] of defined) {
      if (!used.has(name))
        fail(
          op.Name
            ? `Variable "$${name}" is never used in operation "${op.Name}".`
            : `Variable "$${name}" is never used.`,
          v._pos,
        );
    }
  }

  private directives(dirs: Node[], location: string, used: Set<string>): void {
    const seen = new Set<string>();
    for (const d of dirs) {
      const def = this.s.directives.get(d.Name);
      if (!def) fail(`Unknown directive "@${d.Name}".`, d._pos);
      if (!list<string>(def.Locations).includes(location))
        fail(`Directive "@${d.Name}" may not be used on ${location}.`, d._pos);
      if (seen.has(d.Name) && !def.IsRepeatable)
        fail(`The directive "@${d.Name}" can only be used once at this location.`, d._pos);
      seen.add(d.Name);
      this.arguments(
        list(d.Arguments),
        list(def.Arguments),
        used,
        (a) => `Unknown argument "${a}" on directive "@${d.Name}".`,
        (a, t) => `Directive "@${d.Name}" argument "${a}" of type "${t}" is required, but it was not provided.`,
        d._pos,
      );
    }
  }

  private arguments(
    args: Node[],
    defs: Node[],
    used: Set<string>,
    unknown: (a: string) => string,
    missing: (a: string, t: string) => string,
    pos?: Pos,
  ): void {
    const seen = new Set<string>();
    for (const a of args) {
      if (seen.has(a.Name)) fail(`There can be only one argument named "${a.Name}".`, a._pos);
      seen.add(a.Name);
      const def = defs.find((d) => d.Name === a.Name);
      if (!def) fail(unknown(a.Name), a._pos);
      this.collectVars(a.Value, used);
      this.value(a.Value, def.Type);
    }
    for (const d of defs) {
      if (d.Type?.NonNull && !d.DefaultValue && !args.some((a) => a.Name === d.Name))
        fail(missing(d.Name, typeString(d.Type)), pos);
    }
  }

  private collectVars(v: Node | null | undefined, used: Set<string>): void {
    if (!v) return;
    if (v.Kind === VALUE_KIND.Variable) used.add(v.Raw);
    for (const c of list<Node>(v.Children)) this.collectVars(c.Value, used);
  }

  /** ValuesOfCorrectType for literals (variables are accepted). */
  private value(v: Node | null | undefined, t: Node): void {
    if (!v || v.Kind === VALUE_KIND.Variable) return;
    const pos = v._pos;
    if (v.Kind === VALUE_KIND.Null) {
      if (t.NonNull) fail(`Expected value of type "${typeString(t)}", found null.`, pos);
      return;
    }
    if (t.Elem) {
      if (v.Kind === VALUE_KIND.List) for (const c of list<Node>(v.Children)) this.value(c.Value, t.Elem);
      else this.value(v, t.Elem);
      return;
    }
    const def = this.s.types.get(t.NamedType);
    if (!def) return;
    const bad = () =>
      fail(
        `Expected value of type "${typeString(t)}", found ${v.Kind === VALUE_KIND.String ? JSON.stringify(v.Raw) : v.Raw}.`,
        pos,
      );
    if (def.Kind === 'ENUM') {
      if (v.Kind !== VALUE_KIND.Enum || !list<Node>(def.EnumValues).some((e) => e.Name === v.Raw)) bad();
    } else if (def.Kind === 'INPUT_OBJECT') {
      if (v.Kind !== VALUE_KIND.Object) bad();
      const fields = list<Node>(def.Fields);
      for (const c of list<Node>(v.Children)) {
        const f = fields.find((x) => x.Name === c.Name);
        if (!f) fail(`Field "${c.Name}" is not defined by type "${def.Name}".`, c._pos);
        this.value(c.Value, f.Type);
      }
      for (const f of fields) {
        if (f.Type.NonNull && !f.DefaultValue && !list<Node>(v.Children).some((c) => c.Name === f.Name))
          fail(`Field "${def.Name}.${f.Name}" of required type "${typeString(f.Type)}" was not provided.`, pos);
      }
    } else if (def.Kind === 'SCALAR') {
      const k = v.Kind;
      switch (def.Name) {
        case 'Int':
          if (k !== VALUE_KIND.Int) bad();
          break;
        case 'Float':
          if (k !== VALUE_KIND.Int && k !== VALUE_KIND.Float) bad();
          break;
        case 'String':
          if (k !== VALUE_KIND.String && k !== VALUE_KIND.Block) bad();
          break;
        case 'Boolean':
          if (k !== VALUE_KIND.Boolean) bad();
          break;
        case 'ID':
          if (k !== VALUE_KIND.String && k !== VALUE_KIND.Block && k !== VALUE_KIND.Int) bad();
          break;
      }
    } else bad();
  }

  private selections(sels: Node[], parent: Node, used: Set<string>, visiting: Set<string>): void {
    for (const sel of sels) {
      switch (selKind(sel)) {
        case 'Field':
          this.field(sel, parent, used, visiting);
          break;
        case 'InlineFragment': {
          let t = parent;
          if (sel.TypeCondition) {
            const td = this.s.types.get(sel.TypeCondition);
            if (!td) fail(`Unknown type "${sel.TypeCondition}".`, sel._pos);
            if (LEAF.has(td.Kind) || td.Kind === 'INPUT_OBJECT')
              fail(`Fragment cannot condition on non composite type "${sel.TypeCondition}".`, sel._pos);
            t = td;
          }
          this.directives(list(sel.Directives), 'INLINE_FRAGMENT', used);
          this.selections(list(sel.SelectionSet), t, used, visiting);
          break;
        }
        default: {
          const f = this.fragments.get(sel.Name);
          if (!f) fail(`Unknown fragment "${sel.Name}".`, sel._pos);
          this.usedFragments.add(sel.Name);
          this.directives(list(sel.Directives), 'FRAGMENT_SPREAD', used);
          if (visiting.has(sel.Name)) fail(`Cannot spread fragment "${sel.Name}" within itself.`, sel._pos);
          const t = this.s.types.get(f.TypeCondition);
          if (!t) fail(`Unknown type "${f.TypeCondition}".`, f._pos);
          visiting.add(sel.Name);
          this.directives(list(f.Directives), 'FRAGMENT_DEFINITION', used);
          this.selections(list(f.SelectionSet), t, used, visiting);
          visiting.delete(sel.Name);
        }
      }
    }
  }

  private field(sel: Node, parent: Node, used: Set<string>, visiting: Set<string>): void {
    let fdef: Node | undefined;
    if (sel.Name === '__typename') fdef = { Name: '__typename', Type: { NamedType: 'String', NonNull: true } };
    else fdef = list<Node>(parent.Fields).find((f) => f.Name === sel.Name);
    if (!fdef) fail(`Cannot query field "${sel.Name}" on type "${parent.Name}".`, sel._pos);
    this.arguments(
      list(sel.Arguments),
      list(fdef.Arguments),
      used,
      (a) => `Unknown argument "${a}" on field "${parent.Name}.${sel.Name}".`,
      (a, t) => `Field "${sel.Name}" argument "${a}" of type "${t}" is required, but it was not provided.`,
      sel._pos,
    );
    this.directives(list(sel.Directives), 'FIELD', used);
    const t = this.s.types.get(typeName(fdef.Type));
    const subs = list<Node>(sel.SelectionSet);
    if (t && LEAF.has(t.Kind)) {
      if (subs.length)
        fail(
          `Field "${sel.Name}" must not have a selection since type "${typeString(fdef.Type)}" has no subfields.`,
          sel._pos,
        );
    } else if (t) {
      if (!subs.length)
        fail(
          `Field "${sel.Name}" of type "${typeString(fdef.Type)}" must have a selection of subfields. Did you mean "${sel.Name} { ... }"?`,
          sel._pos,
        );
      this.selections(subs, t, used, visiting);
    }
  }
}

/** Parses/loads both documents, validates schema and query; throws GQLError-compatible errors. */
function check(query: Node, schemaDoc: Node): void {
  let s: Schema;
  try {
    s = buildSchema(schemaDoc);
  } catch (e) {
    if (e instanceof ValidationError)
      throw new GQLError(`Error in gqlparser SchemaDocument to Schema conversion: ${e.msg}`, undefined);
    throw e;
  }
  try {
    new QueryValidator(s, query).run();
  } catch (e) {
    if (e instanceof ValidationError) throw new GQLError(e.msg.replace(/\.$/, ''), e.pos);
    throw e;
  }
}

function schemaValid(doc: Node): boolean {
  try {
    buildSchema(doc);
    return true;
  } catch (e) {
    if (e instanceof ValidationError || e instanceof TypeError) return false;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Builtins

builtins.push({
  name: 'graphql.parse_query',
  arity: 1,
  fn: ([q]) => {
    const str = expectString(1, q!);
    try {
      return toValue(parseQueryDocument(str));
    } catch (e) {
      gqlErr(e);
    }
  },
});

builtins.push({
  name: 'graphql.parse_schema',
  arity: 1,
  fn: ([q]) => {
    const str = expectString(1, q!);
    try {
      return toValue(parseSchemaDocument(str));
    } catch (e) {
      gqlErr(e);
    }
  },
});

function bothDocs(q: Value, s: Value): [Node, Node] {
  if (typeof q !== 'string' && !(q instanceof ObjectValue))
    throw typeError(`operand 0 must be one of {string, object} but got ${typeof q}`);
  const query = loadQuery(q);
  if (typeof s !== 'string' && !(s instanceof ObjectValue))
    throw typeError(`operand 1 must be one of {string, object} but got ${typeof s}`);
  return [query, loadSchema(s)];
}

builtins.push({
  name: 'graphql.parse',
  arity: 2,
  fn: ([q, s]) => {
    try {
      const [query, schema] = bothDocs(q!, s!);
      const qv = toValue(query);
      const sv = toValue(schema);
      check(query, schema);
      return [qv, sv];
    } catch (e) {
      gqlErr(e);
    }
  },
});

builtins.push({
  name: 'graphql.parse_and_verify',
  arity: 2,
  fn: ([q, s]) => {
    try {
      if (
        (typeof q !== 'string' && !(q instanceof ObjectValue)) ||
        (typeof s !== 'string' && !(s instanceof ObjectValue))
      )
        throw new GQLError('type', undefined);
      const query = loadQuery(q);
      const schema = loadSchema(s);
      const qv = toValue(query);
      const sv = toValue(schema);
      check(query, schema);
      return [true, qv, sv];
    } catch (e) {
      if (e instanceof GQLError || e instanceof TypeError) return [false, new ObjectValue(), new ObjectValue()];
      throw e;
    }
  },
});

builtins.push({
  name: 'graphql.is_valid',
  arity: 2,
  fn: ([q, s]) => {
    try {
      if (
        (typeof q !== 'string' && !(q instanceof ObjectValue)) ||
        (typeof s !== 'string' && !(s instanceof ObjectValue))
      )
        return false;
      check(loadQuery(q), loadSchema(s));
      return true;
    } catch (e) {
      if (e instanceof GQLError || e instanceof TypeError) return false;
      throw e;
    }
  },
});

builtins.push({
  name: 'graphql.schema_is_valid',
  arity: 1,
  fn: ([s]) => {
    try {
      if (typeof s !== 'string' && !(s instanceof ObjectValue)) return false;
      return schemaValid(loadSchema(s));
    } catch (e) {
      if (e instanceof GQLError || e instanceof TypeError) return false;
      throw e;
    }
  },
});
