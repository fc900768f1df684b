// GraphQL schema building and validation for the graphql.* builtins (family B), following
// gqlparser's ValidateSchemaDocument (prelude merged in, extensions applied, definitions checked).
import { parseSchemaDocument, type Node, type Pos } from './graphql-parser.js';

// ---------------------------------------------------------------------------------------------
// Schema

const PRELUDE = `
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
directive @defer(if: Boolean = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT
scalar Int
scalar Float
scalar String
scalar Boolean
scalar ID
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] inputFields(includeDeprecated: Boolean = false): [__InputValue!] ofType: __Type specifiedByURL: String isOneOf: Boolean }
type __Field { name: String! description: String args(includeDeprecated: Boolean = false): [__InputValue!]! type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String isDeprecated: Boolean! deprecationReason: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Directive { name: String! description: String locations: [__DirectiveLocation!]! args(includeDeprecated: Boolean = false): [__InputValue!]! isRepeatable: Boolean! }
enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }
`;

export class ValidationError extends Error {
  constructor(
    readonly msg: string,
    readonly pos: Pos | undefined,
  ) {
    super(msg);
  }
}

export interface Schema {
  types: Map<string, Node>;
  directives: Map<string, Node>;
  possible: Map<string, Node[]>;
  query?: Node;
  mutation?: Node;
  subscription?: Node;
}

export const list = <T>(x: T[] | null | undefined): T[] => x ?? [];

export function typeName(t: Node): string {
  return t.NamedType ? t.NamedType : t.Elem ? typeName(t.Elem) : '';
}

export function typeString(t: Node): string {
  const base = t.NamedType ? t.NamedType : `[${t.Elem ? typeString(t.Elem) : ''}]`;
  return base + (t.NonNull ? '!' : '');
}

export function fail(msg: string, pos?: Pos): never {
  throw new ValidationError(msg, pos);
}

function validateName(name: string, pos?: Pos): void {
  if (name.startsWith('__'))
    fail(`Name "${name}" must not begin with "__", which is reserved by GraphQL introspection.`, pos);
}

export function isInputKind(k: string | undefined): boolean {
  return k === 'SCALAR' || k === 'ENUM' || k === 'INPUT_OBJECT';
}

let preludeDoc: Node | undefined;

export function buildSchema(userDoc: Node): Schema {
  preludeDoc ??= parseSchemaDocument(PRELUDE, true);
  const clone = (d: Node): Node => structuredClone(d);
  const p = clone(preludeDoc);
  const u = clone(userDoc);
  const doc: Node = {};
  for (const k of ['Schema', 'SchemaExtension', 'Directives', 'Definitions', 'Extensions'])
    doc[k] = [...list(p[k]), ...list(u[k])];
  const s: Schema = { types: new Map(), directives: new Map(), possible: new Map() };
  for (const def of doc.Definitions as Node[]) {
    if (s.types.has(def.Name)) fail(`Cannot redeclare type ${def.Name}.`, def._pos);
    s.types.set(def.Name, def);
  }
  const defs: Node[] = [...doc.Definitions];
  for (const ext of doc.Extensions as Node[]) {
    let def = s.types.get(ext.Name);
    if (!def) {
      def = { Kind: ext.Kind, Name: ext.Name, _pos: ext._pos, BuiltIn: false };
      s.types.set(ext.Name, def);
      defs.push(def);
    }
    if (def.Kind !== ext.Kind)
      fail(`Cannot extend type ${ext.Name} because the base type is a ${def.Kind}, not ${ext.Kind}.`, ext._pos);
    for (const k of ['Directives', 'Interfaces', 'Fields', 'Types', 'EnumValues']) {
      const add = list(ext[k]);
      if (add.length) def[k] = [...list(def[k]), ...add];
    }
  }
  const addPossible = (name: string, def: Node | undefined) => {
    if (!def) return;
    const l = s.possible.get(name) ?? [];
    if (!l.includes(def)) l.push(def);
    s.possible.set(name, l);
  };
  for (const def of defs) {
    if (def.Kind === 'UNION') for (const t of list<string>(def.Types)) addPossible(def.Name, s.types.get(t));
    else if (def.Kind === 'OBJECT' || def.Kind === 'INPUT_OBJECT') {
      for (const i of list<string>(def.Interfaces)) addPossible(i, def);
      addPossible(def.Name, def);
    } else if (def.Kind === 'INTERFACE') for (const i of list<string>(def.Interfaces)) addPossible(i, def);
  }
  for (const dir of doc.Directives as Node[]) {
    if (
      s.directives.has(dir.Name) &&
      !['include', 'skip', 'deprecated', 'specifiedBy', 'oneOf', 'defer'].includes(dir.Name)
    ) {
      fail(`Cannot redeclare directive ${dir.Name}.`, dir._pos);
    }
    if (!s.directives.has(dir.Name)) s.directives.set(dir.Name, dir);
  }
  const schemas = doc.Schema as Node[];
  if (schemas.length > 1)
    fail('Cannot have multiple schema entry points, consider schema extensions instead.', schemas[1]!._pos);
  const roots = (ops: Node[]) => {
    for (const e of ops) {
      const def = s.types.get(e.Type);
      if (!def) fail(`Schema root ${e.Operation} refers to a type ${e.Type} that does not exist.`, e._pos);
      if (e.Operation === 'query') s.query = def;
      else if (e.Operation === 'mutation') s.mutation = def;
      else if (e.Operation === 'subscription') s.subscription = def;
    }
  };
  if (schemas.length === 1) roots(list(schemas[0]!.OperationTypes));
  for (const ext of doc.SchemaExtension as Node[]) roots(list(ext.OperationTypes));
  for (const name of [...s.types.keys()].sort()) validateDefinition(s, s.types.get(name)!);
  for (const name of [...s.directives.keys()].sort()) {
    const d = s.directives.get(name)!;
    validateName(d.Name, d._pos);
    validateArgs(s, list(d.Arguments), d);
  }
  if (schemas.length === 0) {
    s.query ??= s.types.get('Query');
    s.mutation ??= s.types.get('Mutation');
    s.subscription ??= s.types.get('Subscription');
  }
  if (s.query) {
    s.query.Fields = [
      ...list(s.query.Fields),
      { Name: '__schema', Type: { NamedType: '__Schema', NonNull: true } },
      {
        Name: '__type',
        Type: { NamedType: '__Type', NonNull: false },
        Arguments: [{ Name: 'name', Type: { NamedType: 'String', NonNull: true } }],
      },
    ];
  }
  return s;
}

function validateTypeRef(s: Schema, t: Node): void {
  if (!s.types.has(typeName(t))) fail(`Undefined type ${typeName(t)}.`, t._pos);
}

function validateArgs(s: Schema, args: Node[], current?: Node): void {
  for (const a of args) {
    validateName(a.Name, a._pos);
    validateTypeRef(s, a.Type);
    const def = s.types.get(typeName(a.Type));
    if (!isInputKind(def?.Kind))
      fail(
        `cannot use ${typeString(a.Type)} as argument ${a.Name} because ${def?.Kind} is not a valid input type`,
        a._pos,
      );
    validateDirectives(s, list(a.Directives), 'ARGUMENT_DEFINITION', current);
  }
}

function validateDirectives(s: Schema, dirs: Node[], location: string, current?: Node): void {
  for (const d of dirs) {
    validateName(d.Name, d._pos);
    if (current && d.Name === current.Name) fail(`Directive ${current.Name} cannot refer to itself.`, d._pos);
    const def = s.directives.get(d.Name);
    if (!def) fail(`Undefined directive ${d.Name}.`, d._pos);
    if (!list<string>(def.Locations).includes(location))
      fail(`Directive ${d.Name} is not applicable on ${location}.`, d._pos);
  }
}

function isCovariant(s: Schema, req: Node, act: Node): boolean {
  if (req.NonNull && !act.NonNull) return false;
  if (req.NamedType) {
    if (req.NamedType === act.NamedType) return true;
    return (s.possible.get(req.NamedType) ?? []).some((p) => p.Name === act.NamedType);
  }
  if (req.Elem && !act.Elem) return false;
  return isCovariant(s, req.Elem, act.Elem);
}

function validateDefinition(s: Schema, def: Node): void {
  const fields = list<Node>(def.Fields);
  for (const f of fields) {
    validateName(f.Name, f._pos);
    validateTypeRef(s, f.Type);
    validateArgs(s, list(f.Arguments));
    validateDirectives(
      s,
      list(f.Directives),
      def.Kind === 'INPUT_OBJECT' ? 'INPUT_FIELD_DEFINITION' : 'FIELD_DEFINITION',
    );
  }
  for (const t of list<string>(def.Types)) {
    const td = s.types.get(t);
    if (!td) fail(`Undefined type "${t}".`, def._pos);
    if (td.Kind !== 'OBJECT') fail(`${def.Kind} type "${t}" must be OBJECT.`, def._pos);
  }
  for (const i of list<string>(def.Interfaces)) {
    const intf = s.types.get(i);
    if (!intf) fail(`Undefined type "${i}".`, def._pos);
    if (intf.Kind !== 'INTERFACE') fail(`"${i}" is a non interface type ${intf.Kind}.`, def._pos);
    for (const rf of list<Node>(intf.Fields)) {
      const ff = fields.find((f) => f.Name === rf.Name);
      if (!ff) fail(`For ${def.Name} to implement ${intf.Name} it must have a field called ${rf.Name}.`, def._pos);
      if (!isCovariant(s, rf.Type, ff.Type))
        fail(
          `For ${def.Name} to implement ${intf.Name} the field ${rf.Name} must have type ${typeString(rf.Type)}.`,
          ff._pos,
        );
      for (const ra of list<Node>(rf.Arguments)) {
        const fa = list<Node>(ff.Arguments).find((a) => a.Name === ra.Name);
        if (!fa)
          fail(
            `For ${def.Name} to implement ${intf.Name} the field ${rf.Name} must have the same arguments but it is missing ${ra.Name}.`,
            ff._pos,
          );
        if (typeString(ra.Type) !== typeString(fa.Type))
          fail(
            `For ${def.Name} to implement ${intf.Name} the field ${rf.Name} must have the same arguments but ${ra.Name} has the wrong type.`,
            fa._pos,
          );
      }
      for (const fa of list<Node>(ff.Arguments)) {
        if (!list<Node>(rf.Arguments).some((a) => a.Name === fa.Name) && fa.Type.NonNull && !fa.DefaultValue) {
          fail(
            `For ${def.Name} to implement ${intf.Name} any additional arguments on ${ff.Name} must be optional or have a default value but ${fa.Name} is required.`,
            fa._pos,
          );
        }
      }
    }
    for (const tr of list<string>(intf.Interfaces)) {
      if (!list<string>(def.Interfaces).includes(tr)) {
        if (tr === def.Name)
          fail(`Type ${def.Name} cannot implement ${i} because it would create a circular reference.`, def._pos);
        fail(`Type ${def.Name} must implement ${tr} because it is implemented by ${i}.`, def._pos);
      }
    }
  }
  switch (def.Kind) {
    case 'OBJECT':
    case 'INTERFACE':
      if (fields.length === 0) fail(`${def.Kind} ${def.Name}: must define one or more fields.`, def._pos);
      for (const f of fields) {
        const t = s.types.get(typeName(f.Type));
        if (t && !['SCALAR', 'OBJECT', 'INTERFACE', 'UNION', 'ENUM'].includes(t.Kind))
          fail(`${def.Kind} ${def.Name}: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.`, f._pos);
      }
      break;
    case 'ENUM':
      if (list(def.EnumValues).length === 0)
        fail(`${def.Kind} ${def.Name}: must define one or more unique enum values.`, def._pos);
      for (const v of list<Node>(def.EnumValues))
        if (['true', 'false', 'null'].includes(v.Name))
          fail(`${def.Kind} ${def.Name}: non-enum value ${v.Name}.`, def._pos);
      break;
    case 'INPUT_OBJECT':
      if (fields.length === 0) fail(`${def.Kind} ${def.Name}: must define one or more input fields.`, def._pos);
      for (const f of fields) {
        const t = s.types.get(typeName(f.Type));
        if (t && !isInputKind(t.Kind))
          fail(`${t.Kind} ${f.Name}: field must be one of SCALAR, ENUM, INPUT_OBJECT.`, f._pos);
      }
      break;
  }
  for (let i = 0; i < fields.length; i++) {
    for (let j = i + 1; j < fields.length; j++)
      if (fields[i]!.Name === fields[j]!.Name)
        fail(`Field ${def.Name}.${fields[j]!.Name} can only be defined once.`, fields[j]!._pos);
  }
  if (!def.BuiltIn) validateName(def.Name, def._pos);
  validateDirectives(s, list(def.Directives), def.Kind);
}
