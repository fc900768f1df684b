// GraphQL lexer and parser for the graphql.* builtins (family B). Produces plain objects with
// the field names of gqlparser's Go AST (what OPA's builtins expose), plus source positions
// under `_pos` (dropped when converted to Rego values). Error texts follow gqlparser.

export interface Pos {
  line: number;
  column: number;
}

export class GQLError extends Error {
  constructor(
    readonly msg: string,
    readonly pos: Pos | undefined,
  ) {
    super(pos ? `${msg} in GraphQL string at location ${pos.line}:${pos.column}` : msg);
  }
}

// Token kinds, spelled as gqlparser prints them.
type Kind =
  | '<Invalid>'
  | '<EOF>'
  | '!'
  | '$'
  | '&'
  | '('
  | ')'
  | '...'
  | ':'
  | '='
  | '@'
  | '['
  | ']'
  | '{'
  | '}'
  | '|'
  | 'Name'
  | 'Int'
  | 'Float'
  | 'String'
  | 'BlockString';

interface Token {
  kind: Kind;
  value: string;
  pos: Pos;
  error?: GQLError;
}

function tokenString(t: Token): string {
  return t.value !== '' ? `${t.kind} ${JSON.stringify(t.value)}` : t.kind;
}

const PUNCT: Record<string, Kind> = { '!': '!', $: '$', '&': '&', '(': '(', ')': ')', ':': ':', '=': '=', '@': '@', '[': '[', ']': ']', '{': '{', '}': '}', '|': '|' };

/** Block string value per the spec (common indentation removed, blank edge lines dropped). */
function blockStringValue(raw: string): string {
  const lines = raw.split(/\r\n|\n|\r/);
  let common: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.replace(/^[ \t]+/, '').length;
    if (indent < line.length && (common === undefined || indent < common)) common = indent;
  }
  if (common !== undefined && common > 0) for (let i = 1; i < lines.length; i++) lines[i] = lines[i]!.slice(common);
  while (lines.length > 0 && /^[ \t]*$/.test(lines[0]!)) lines.shift();
  while (lines.length > 0 && /^[ \t]*$/.test(lines[lines.length - 1]!)) lines.pop();
  return lines.join('\n');
}

class Lexer {
  private i = 0;
  private line = 1;
  private lineStart = 0; // index (in code points of the JS string; close enough to runes)

  constructor(private readonly s: string) {}

  private tok(kind: Kind, value: string, start: number): Token {
    return { kind, value, pos: { line: this.line, column: start - this.lineStart + 1 } };
  }

  private err(msg: string): Token {
    const pos = { line: this.line, column: this.i - this.lineStart + 1 };
    return { kind: '<Invalid>', value: '', pos, error: new GQLError(msg, pos) };
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '\t' || c === ' ' || c === ',' || c === '\ufeff') this.i++;
      else if (c === '\n') {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === '\r') {
        this.i++;
        this.line++;
        this.lineStart = this.i;
        if (s[this.i] === '\n') this.i++;
      } else if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n' && s[this.i] !== '\r') this.i++;
      } else return;
    }
  }

  next(): Token {
    this.ws();
    const s = this.s;
    const start = this.i;
    if (this.i >= s.length) return this.tok('<EOF>', '', start);
    const c = s[this.i]!;
    if (PUNCT[c]) {
      this.i++;
      return this.tok(PUNCT[c]!, '', start);
    }
    if (c === '.' && s.startsWith('...', this.i)) {
      this.i += 3;
      return this.tok('...', '', start);
    }
    if (/[_A-Za-z]/.test(c)) {
      const m = /^[_0-9A-Za-z]+/.exec(s.slice(this.i))!;
      this.i += m[0].length;
      return this.tok('Name', m[0], start);
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number(start);
    if (c === '"') return s.startsWith('"""', this.i) ? this.blockString(start) : this.string(start);
    const code = c.charCodeAt(0);
    if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') return this.err(`Cannot contain the invalid character "\\u${String(code).padStart(4, '0')}"`);
    if (c === "'") return this.err(`Unexpected single quote character ('), did you mean to use a double quote (")?`);
    return this.err(`Cannot parse the unexpected character "${c}".`);
  }

  private digits(): number {
    let n = 0;
    while (this.i < this.s.length && this.s[this.i]! >= '0' && this.s[this.i]! <= '9') {
      this.i++;
      n++;
    }
    return n;
  }

  private describeNext(): string {
    return this.i < this.s.length ? `"${this.s[this.i]}"` : '<EOF>';
  }

  private number(start: number): Token {
    let float = false;
    if (this.s[this.i] === '-') this.i++;
    if (this.s[this.i] === '0') {
      this.i++;
      const n = this.digits();
      if (n !== 0) {
        this.i -= n;
        return this.err(`Invalid number, unexpected digit after 0: ${this.describeNext()}.`);
      }
    } else if (this.digits() === 0) return this.err(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    if (this.s[this.i] === '.') {
      this.i++;
      float = true;
      if (this.digits() === 0) return this.err(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    }
    if (this.s[this.i] === 'e' || this.s[this.i] === 'E') {
      this.i++;
      float = true;
      if (this.s[this.i] === '-' || this.s[this.i] === '+') this.i++;
      if (this.digits() === 0) return this.err(`Invalid number, expected digit but got: ${this.describeNext()}.`);
    }
    return this.tok(float ? 'Float' : 'Int', this.s.slice(start, this.i), start);
  }

  private string(start: number): Token {
    const s = this.s;
    this.i++;
    let out = '';
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '\n' || c === '\r') break;
      const code = c.charCodeAt(0);
      if (code < 0x20 && c !== '\t') return this.err(`Invalid character within String: "\\u${String(code).padStart(4, '0')}".`);
      if (c === '"') {
        this.i++;
        return this.tok('String', out, start + 1);
      }
      if (c === '\\') {
        const e = s[this.i + 1];
        if (e === undefined) {
          this.i++;
          return this.err('Invalid character escape sequence.');
        }
        if (e === 'u') {
          const hex = s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i++;
            return this.err(`Invalid character escape sequence: \\${s.slice(this.i, this.i + 5)}.`);
          }
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
          continue;
        }
        const map: Record<string, string> = { '"': '"', '/': '/', '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (map[e] === undefined) {
          this.i++;
          return this.err(`Invalid character escape sequence: \\${e}.`);
        }
        out += map[e];
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
    return this.err('Unterminated string.');
  }

  private blockString(start: number): Token {
    const s = this.s;
    this.i += 3;
    let raw = '';
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (s.startsWith('"""', this.i)) {
        this.i += 3;
        return this.tok('BlockString', blockStringValue(raw), start + 3);
      }
      const code = c.charCodeAt(0);
      if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') return this.err(`Invalid character within String: "\\u${String(code).padStart(4, '0')}".`);
      if (s.startsWith('\\"""', this.i)) {
        raw += '"""';
        this.i += 4;
      } else if (c === '\r') {
        if (s[this.i + 1] === '\n') this.i++;
        raw += '\n';
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else {
        raw += c;
        this.i++;
        if (c === '\n') {
          this.line++;
          this.lineStart = this.i;
        }
      }
    }
    return this.err('Unterminated string.');
  }
}

// ---------------------------------------------------------------------------------------------
// AST (Go field names)

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Node = Record<string, any>;

const LOCATIONS = new Set([
  'QUERY', 'MUTATION', 'SUBSCRIPTION', 'FIELD', 'FRAGMENT_DEFINITION', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT', 'VARIABLE_DEFINITION',
  'SCHEMA', 'SCALAR', 'OBJECT', 'FIELD_DEFINITION', 'ARGUMENT_DEFINITION', 'INTERFACE', 'UNION', 'ENUM', 'ENUM_VALUE', 'INPUT_OBJECT',
  'INPUT_FIELD_DEFINITION',
]);

export const VALUE_KIND = { Variable: 0, Int: 1, Float: 2, String: 3, Block: 4, Boolean: 5, Null: 6, Enum: 7, List: 8, Object: 9 } as const;

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
        if (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription') (doc.Operations ??= []).push(this.operationDefinition());
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
      return { _pos: pos, Operation: 'query', Name: '', VariableDefinitions: null, Directives: null, SelectionSet: this.requiredSelectionSet() };
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
        return { _pos: t.pos, Raw: this.variable(), Children: null, Kind: VALUE_KIND.Variable, ExpectedTypeHasDefault: false };
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
        kind = t.value === 'true' || t.value === 'false' ? VALUE_KIND.Boolean : t.value === 'null' ? VALUE_KIND.Null : VALUE_KIND.Enum;
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
    return { _pos: this.peekPos(), Kind: kind, Description: description, Name: '', Directives: null, Interfaces: null, Fields: null, Types: null, EnumValues: null, BuiltIn: false };
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
    const def: Node = { _pos: this.peekPos(), Description: description, Directives: this.directives(true), OperationTypes: null };
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
      (values ??= []).push({ _pos: pos, Description: this.description(), Name: this.name(), Directives: this.directives(true) });
    });
    return values;
  }

  private typeSystemExtension(doc: Node): void {
    this.expectKeyword('extend');
    const v = this.peek().value;
    if (v === 'schema') {
      this.expectKeyword('schema');
      const def: Node = { _pos: this.peekPos(), Description: '', Directives: this.directives(true), OperationTypes: null };
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
    const kinds: Record<string, string> = { scalar: 'SCALAR', type: 'OBJECT', interface: 'INTERFACE', union: 'UNION', enum: 'ENUM', input: 'INPUT_OBJECT' };
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
