// GraphQL lexer and parser for the graphql.* builtins (family B). Produces plain objects with
// the field names of gqlparser's Go AST (what OPA's builtins expose), plus source positions
// under `_pos` (dropped when converted to Rego values). Error texts follow gqlparser.

import { GQLError, Lexer, tokenString, type Kind, type Pos, type Token } from './graphql-lexer.js';

export { GQLError, type Pos } from './graphql-lexer.js';

// ---------------------------------------------------------------------------------------------
// AST (Go field names)

// biome-ignore lint/suspicious/noExplicitAny: nodes are read by Go field name throughout the validator, as the Go AST they mirror
export type Node = Record<string, any>;

const LOCATIONS = new Set([
  'QUERY',
  'MUTATION',
  'SUBSCRIPTION',
  'FIELD',
  'FRAGMENT_DEFINITION',
  'FRAGMENT_SPREAD',
  'INLINE_FRAGMENT',
  'VARIABLE_DEFINITION',
  'SCHEMA',
  'SCALAR',
  'OBJECT',
  'FIELD_DEFINITION',
  'ARGUMENT_DEFINITION',
  'INTERFACE',
  'UNION',
  'ENUM',
  'ENUM_VALUE',
  'INPUT_OBJECT',
  'INPUT_FIELD_DEFINITION',
]);

export const VALUE_KIND = {
  Variable: 0,
  Int: 1,
  Float: 2,
  String: 3,
  Block: 4,
  Boolean: 5,
  Null: 6,
  Enum: 7,
  List: 8,
  Object: 9,
} as const;

class Parser {
  private lexer: Lexer;
  private peeked: Token | undefined;
  private prev: Token;
  err: GQLError | undefined;

  constructor(src: string) {
    this.lexer = new Lexer(src);
    this.prev = { kind: '<EOF>', value: '', pos: { line: 1, column: 1 } };
  }

  peek(): Token {
    if (this.err) return this.prev;
    if (!this.peeked) this.peeked = this.lexer.next();
    return this.peeked;
  }

  private peekPos(): Pos | undefined {
    return this.err ? undefined : this.peek().pos;
  }

  private error(t: Token, msg: string): void {
    if (!this.err) this.err = new GQLError(msg, t.pos);
  }

  next(): Token {
    if (this.err) return this.prev;
    const t = this.peeked ?? this.lexer.next();
    this.peeked = undefined;
    this.prev = t;
    if (t.error) this.err = t.error;
    return t;
  }

  private expectKeyword(v: string): Token {
    const t = this.peek();
    if (t.kind === 'Name' && t.value === v) return this.next();
    this.error(t, `Expected ${JSON.stringify(v)}, found ${tokenString(t)}`);
    return t;
  }

  private expect(kind: Kind): Token {
    const t = this.peek();
    if (t.kind === kind) return this.next();
    this.error(t, `Expected ${kind}, found ${t.kind}`);
    return t;
  }

  private skip(kind: Kind): boolean {
    if (this.err) return false;
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  private unexpected(t: Token = this.peek()): void {
    this.error(t, `Unexpected ${tokenString(t)}`);
  }

  private many(start: Kind, end: Kind, cb: () => void): void {
    if (!this.skip(start)) return;
    while (this.peek().kind !== end && !this.err) cb();
    this.next();
  }

  private some(start: Kind, end: Kind, cb: () => void): void {
    if (!this.skip(start)) return;
    let called = false;
    while (this.peek().kind !== end && !this.err) {
      called = true;
      cb();
    }
    if (!called) {
      this.error(this.peek(), `expected at least one definition, found ${this.peek().kind}`);
      return;
    }
    this.next();
  }

  private name(): string {
    return this.expect('Name').value;
  }

  // ---- query documents

  queryDocument(): Node {
    const doc: Node = { Operations: null, Fragments: null };
    while (this.peek().kind !== '<EOF>') {
      if (this.err) return doc;
      const t = this.peek();
      if (t.kind === 'Name') {
        if (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription')
          (doc.Operations ??= []).push(this.operationDefinition());
        else if (t.value === 'fragment') (doc.Fragments ??= []).push(this.fragmentDefinition());
        else this.unexpected();
      } else if (t.kind === '{') (doc.Operations ??= []).push(this.operationDefinition());
      else this.unexpected();
    }
    return doc;
  }

  private operationDefinition(): Node {
    if (this.peek().kind === '{') {
      const pos = this.peekPos();
      return {
        _pos: pos,
        Operation: 'query',
        Name: '',
        VariableDefinitions: null,
        Directives: null,
        SelectionSet: this.requiredSelectionSet(),
      };
    }
    const od: Node = { _pos: this.peekPos() };
    od.Operation = this.operationType();
    od.Name = this.peek().kind === 'Name' ? this.next().value : '';
    od.VariableDefinitions = this.variableDefinitions();
    od.Directives = this.directives(false);
    od.SelectionSet = this.requiredSelectionSet();
    return od;
  }

  private operationType(): string {
    const t = this.next();
    if (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription') return t.value;
    this.unexpected(t);
    return '';
  }

  private variableDefinitions(): Node[] | null {
    let defs: Node[] | null = null;
    this.many('(', ')', () => (defs ??= []).push(this.variableDefinition()));
    return defs;
  }

  private variableDefinition(): Node {
    const def: Node = { _pos: this.peekPos() };
    def.Variable = this.variable();
    this.expect(':');
    def.Type = this.typeReference();
    def.DefaultValue = this.skip('=') ? this.valueLiteral(true) : null;
    def.Directives = this.directives(false);
    def.Used = false;
    return def;
  }

  private variable(): string {
    this.expect('$');
    return this.name();
  }

  private requiredSelectionSet(): Node[] | null {
    if (this.peek().kind !== '{') {
      this.error(this.peek(), `Expected {, found ${this.peek().kind}`);
      return null;
    }
    let sels: Node[] | null = null;
    this.some('{', '}', () => (sels ??= []).push(this.selection()));
    return sels;
  }

  private selection(): Node {
    return this.peek().kind === '...' ? this.fragment() : this.field();
  }

  private field(): Node {
    const f: Node = { _kind: 'Field', _pos: this.peekPos() };
    f.Alias = this.name();
    f.Name = this.skip(':') ? this.name() : f.Alias;
    f.Arguments = this.arguments(false);
    f.Directives = this.directives(false);
    f.SelectionSet = null;
    if (this.peek().kind === '{') {
      let sels: Node[] | null = null;
      this.some('{', '}', () => (sels ??= []).push(this.selection()));
      f.SelectionSet = sels;
    }
    return f;
  }

  private arguments(isConst: boolean): Node[] | null {
    let args: Node[] | null = null;
    this.many('(', ')', () => {
      const a: Node = { _pos: this.peekPos() };
      a.Name = this.name();
      this.expect(':');
      a.Value = this.valueLiteral(isConst);
      (args ??= []).push(a);
    });
    return args;
  }

  private fragment(): Node {
    this.expect('...');
    const p = this.peek();
    if (p.kind === 'Name' && p.value !== 'on') {
      const pos = this.peekPos();
      return { _kind: 'FragmentSpread', _pos: pos, Name: this.fragmentName(), Directives: this.directives(false) };
    }
    const def: Node = { _kind: 'InlineFragment', _pos: this.peekPos(), TypeCondition: '' };
    if (this.peek().value === 'on') {
      this.next();
      def.TypeCondition = this.name();
    }
    def.Directives = this.directives(false);
    def.SelectionSet = this.requiredSelectionSet();
    return def;
  }

  private fragmentDefinition(): Node {
    const def: Node = { _pos: this.peekPos() };
    this.expectKeyword('fragment');
    def.Name = this.fragmentName();
    def.VariableDefinition = this.variableDefinitions();
    this.expectKeyword('on');
    def.TypeCondition = this.name();
    def.Directives = this.directives(false);
    def.SelectionSet = this.requiredSelectionSet();
    return def;
  }

  private fragmentName(): string {
    if (this.peek().value === 'on') {
      this.unexpected();
      return '';
    }
    return this.name();
  }

  private valueLiteral(isConst: boolean): Node | null {
    const t = this.peek();
    let kind: number;
    switch (t.kind) {
      case '[': {
        const pos = this.peekPos();
        let children: Node[] | null = null;
        this.many('[', ']', () => (children ??= []).push({ Name: '', Value: this.valueLiteral(isConst) }));
        return { _pos: pos, Raw: '', Children: children, Kind: VALUE_KIND.List, ExpectedTypeHasDefault: false };
      }
      case '{': {
        const pos = this.peekPos();
        let children: Node[] | null = null;
        this.many('{', '}', () => {
          const c: Node = { _pos: this.peekPos() };
          c.Name = this.name();
          this.expect(':');
          c.Value = this.valueLiteral(isConst);
          (children ??= []).push(c);
        });
        return { _pos: pos, Raw: '', Children: children, Kind: VALUE_KIND.Object, ExpectedTypeHasDefault: false };
      }
      case '$':
        if (isConst) {
          this.unexpected();
          return null;
        }
        return {
          _pos: t.pos,
          Raw: this.variable(),
          Children: null,
          Kind: VALUE_KIND.Variable,
          ExpectedTypeHasDefault: false,
        };
      case 'Int':
        kind = VALUE_KIND.Int;
        break;
      case 'Float':
        kind = VALUE_KIND.Float;
        break;
      case 'String':
        kind = VALUE_KIND.String;
        break;
      case 'BlockString':
        kind = VALUE_KIND.Block;
        break;
      case 'Name':
        kind =
          t.value === 'true' || t.value === 'false'
            ? VALUE_KIND.Boolean
            : t.value === 'null'
              ? VALUE_KIND.Null
              : VALUE_KIND.Enum;
        break;
      default:
        this.unexpected();
        return null;
    }
    this.next();
    return { _pos: t.pos, Raw: t.value, Children: null, Kind: kind, ExpectedTypeHasDefault: false };
  }

  private directives(isConst: boolean): Node[] | null {
    let dirs: Node[] | null = null;
    while (this.peek().kind === '@') {
      if (this.err) break;
      this.expect('@');
      const pos = this.peekPos();
      (dirs ??= []).push({ _pos: pos, Name: this.name(), Arguments: this.arguments(isConst), Location: '' });
    }
    return dirs;
  }

  private typeReference(): Node {
    const typ: Node = { NamedType: '', Elem: null, NonNull: false };
    if (this.skip('[')) {
      typ._pos = this.peekPos();
      typ.Elem = this.typeReference();
      this.expect(']');
    } else {
      typ._pos = this.peekPos();
      typ.NamedType = this.name();
    }
    if (this.skip('!')) typ.NonNull = true;
    return typ;
  }

  // ---- schema documents

  schemaDocument(): Node | undefined {
    const doc: Node = { Schema: null, SchemaExtension: null, Directives: null, Definitions: null, Extensions: null };
    while (this.peek().kind !== '<EOF>') {
      if (this.err) return undefined;
      let description = '';
      if (this.peek().kind === 'BlockString' || this.peek().kind === 'String') description = this.next().value;
      if (this.peek().kind !== 'Name') {
        this.unexpected();
        break;
      }
      switch (this.peek().value) {
        case 'scalar':
        case 'type':
        case 'interface':
        case 'union':
        case 'enum':
        case 'input':
          (doc.Definitions ??= []).push(this.typeSystemDefinition(description));
          break;
        case 'schema':
          (doc.Schema ??= []).push(this.schemaDefinition(description));
          break;
        case 'directive':
          (doc.Directives ??= []).push(this.directiveDefinition(description));
          break;
        case 'extend':
          if (description !== '') this.unexpected(this.prev);
          this.typeSystemExtension(doc);
          break;
        default:
          this.unexpected();
          return undefined;
      }
    }
    return doc;
  }

  private description(): string {
    const t = this.peek();
    return t.kind === 'BlockString' || t.kind === 'String' ? this.next().value : '';
  }

  private newDefinition(kind: string, description: string): Node {
    return {
      _pos: this.peekPos(),
      Kind: kind,
      Description: description,
      Name: '',
      Directives: null,
      Interfaces: null,
      Fields: null,
      Types: null,
      EnumValues: null,
      BuiltIn: false,
    };
  }

  private typeSystemDefinition(description: string): Node {
    const v = this.peek().value;
    this.expectKeyword(v);
    switch (v) {
      case 'scalar': {
        const d = this.newDefinition('SCALAR', description);
        d.Name = this.name();
        d.Directives = this.directives(true);
        return d;
      }
      case 'type':
      case 'interface': {
        const d = this.newDefinition(v === 'type' ? 'OBJECT' : 'INTERFACE', description);
        d.Name = this.name();
        d.Interfaces = this.implementsInterfaces();
        d.Directives = this.directives(true);
        d.Fields = this.fieldsDefinition();
        return d;
      }
      case 'union': {
        const d = this.newDefinition('UNION', description);
        d.Name = this.name();
        d.Directives = this.directives(true);
        d.Types = this.unionMemberTypes();
        return d;
      }
      case 'enum': {
        const d = this.newDefinition('ENUM', description);
        d.Name = this.name();
        d.Directives = this.directives(true);
        d.EnumValues = this.enumValues();
        return d;
      }
      default: {
        const d = this.newDefinition('INPUT_OBJECT', description);
        d.Name = this.name();
        d.Directives = this.directives(true);
        d.Fields = this.inputFields();
        return d;
      }
    }
  }

  private schemaDefinition(description: string): Node {
    this.expectKeyword('schema');
    const def: Node = {
      _pos: this.peekPos(),
      Description: description,
      Directives: this.directives(true),
      OperationTypes: null,
    };
    this.some('{', '}', () => (def.OperationTypes ??= []).push(this.operationTypeDefinition()));
    return def;
  }

  private operationTypeDefinition(): Node {
    const op: Node = { _pos: this.peekPos() };
    op.Operation = this.operationType();
    this.expect(':');
    op.Type = this.name();
    return op;
  }

  private implementsInterfaces(): string[] | null {
    let types: string[] | null = null;
    if (this.peek().value === 'implements') {
      this.next();
      this.skip('&');
      types = [this.name()];
      while (this.skip('&') && !this.err) types.push(this.name());
    }
    return types;
  }

  private fieldsDefinition(): Node[] | null {
    let defs: Node[] | null = null;
    this.some('{', '}', () => {
      const d: Node = { _pos: this.peekPos() };
      d.Description = this.description();
      d.Name = this.name();
      d.Arguments = this.argumentDefs();
      this.expect(':');
      d.DefaultValue = null;
      d.Type = this.typeReference();
      d.Directives = this.directives(true);
      (defs ??= []).push(d);
    });
    return defs;
  }

  private argumentDefs(): Node[] | null {
    let args: Node[] | null = null;
    this.some('(', ')', () => {
      const d: Node = { _pos: this.peekPos() };
      d.Description = this.description();
      d.Name = this.name();
      this.expect(':');
      d.Type = this.typeReference();
      d.DefaultValue = this.skip('=') ? this.valueLiteral(true) : null;
      d.Directives = this.directives(true);
      (args ??= []).push(d);
    });
    return args;
  }

  private inputFields(): Node[] | null {
    let defs: Node[] | null = null;
    this.some('{', '}', () => {
      const d: Node = { _pos: this.peekPos() };
      d.Description = this.description();
      d.Name = this.name();
      d.Arguments = null;
      this.expect(':');
      d.Type = this.typeReference();
      d.DefaultValue = this.skip('=') ? this.valueLiteral(true) : null;
      d.Directives = this.directives(true);
      (defs ??= []).push(d);
    });
    return defs;
  }

  private unionMemberTypes(): string[] | null {
    let types: string[] | null = null;
    if (this.skip('=')) {
      this.skip('|');
      types = [this.name()];
      while (this.skip('|') && !this.err) types.push(this.name());
    }
    return types;
  }

  private enumValues(): Node[] | null {
    let values: Node[] | null = null;
    this.some('{', '}', () => {
      const pos = this.peekPos();
      (values ??= []).push({
        _pos: pos,
        Description: this.description(),
        Name: this.name(),
        Directives: this.directives(true),
      });
    });
    return values;
  }

  private typeSystemExtension(doc: Node): void {
    this.expectKeyword('extend');
    const v = this.peek().value;
    if (v === 'schema') {
      this.expectKeyword('schema');
      const def: Node = {
        _pos: this.peekPos(),
        Description: '',
        Directives: this.directives(true),
        OperationTypes: null,
      };
      this.some('{', '}', () => (def.OperationTypes ??= []).push(this.operationTypeDefinition()));
      if (!def.Directives && !def.OperationTypes) this.unexpected();
      (doc.SchemaExtension ??= []).push(def);
      return;
    }
    if (!['scalar', 'type', 'interface', 'union', 'enum', 'input'].includes(v)) {
      this.unexpected();
      return;
    }
    this.expectKeyword(v);
    const kinds: Record<string, string> = {
      scalar: 'SCALAR',
      type: 'OBJECT',
      interface: 'INTERFACE',
      union: 'UNION',
      enum: 'ENUM',
      input: 'INPUT_OBJECT',
    };
    const d = this.newDefinition(kinds[v]!, '');
    d.Name = this.name();
    let empty: boolean;
    switch (v) {
      case 'scalar':
        d.Directives = this.directives(true);
        empty = !d.Directives;
        break;
      case 'type':
        d.Interfaces = this.implementsInterfaces();
        d.Directives = this.directives(true);
        d.Fields = this.fieldsDefinition();
        empty = !d.Interfaces && !d.Directives && !d.Fields;
        break;
      case 'interface':
        d.Directives = this.directives(true);
        d.Fields = this.fieldsDefinition();
        empty = !d.Directives && !d.Fields;
        break;
      case 'union':
        d.Directives = this.directives(true);
        d.Types = this.unionMemberTypes();
        empty = !d.Directives && !d.Types;
        break;
      case 'enum':
        d.Directives = this.directives(true);
        d.EnumValues = this.enumValues();
        empty = !d.Directives && !d.EnumValues;
        break;
      default:
        d.Directives = this.directives(false);
        d.Fields = this.inputFields();
        empty = !d.Directives && !d.Fields;
    }
    if (empty) this.unexpected();
    (doc.Extensions ??= []).push(d);
  }

  private directiveDefinition(description: string): Node {
    this.expectKeyword('directive');
    this.expect('@');
    const def: Node = { _pos: this.peekPos(), Description: description };
    def.Name = this.name();
    def.Arguments = this.argumentDefs();
    def.IsRepeatable = false;
    const p = this.peek();
    if (p.kind === 'Name' && p.value === 'repeatable') {
      def.IsRepeatable = true;
      this.skip('Name');
    }
    this.expectKeyword('on');
    this.skip('|');
    const locs = [this.directiveLocation()];
    while (this.skip('|') && !this.err) locs.push(this.directiveLocation());
    def.Locations = locs;
    return def;
  }

  private directiveLocation(): string {
    const t = this.expect('Name');
    if (LOCATIONS.has(t.value)) return t.value;
    this.unexpected(t);
    return '';
  }
}

export function parseQueryDocument(src: string): Node {
  const p = new Parser(src);
  const doc = p.queryDocument();
  if (p.err) throw p.err;
  return doc;
}

export function parseSchemaDocument(src: string, builtIn = false): Node {
  const p = new Parser(src);
  const doc = p.schemaDocument();
  if (p.err || !doc) throw p.err ?? new GQLError('invalid schema', undefined);
  for (const d of doc.Definitions ?? []) d.BuiltIn = builtIn;
  for (const d of doc.Extensions ?? []) d.BuiltIn = builtIn;
  return doc;
}
