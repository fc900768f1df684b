// GraphQL lexer for the graphql.* builtins (family B): gqlparser's tokens, positions and
// error texts.
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
export type Kind =
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

export interface Token {
  kind: Kind;
  value: string;
  pos: Pos;
  error?: GQLError;
}

export function tokenString(t: Token): string {
  return t.value !== '' ? `${t.kind} ${JSON.stringify(t.value)}` : t.kind;
}

const PUNCT: Record<string, Kind> = {
  '!': '!',
  $: '$',
  '&': '&',
  '(': '(',
  ')': ')',
  ':': ':',
  '=': '=',
  '@': '@',
  '[': '[',
  ']': ']',
  '{': '{',
  '}': '}',
  '|': '|',
};

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

export class Lexer {
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
    if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r')
      return this.err(`Cannot contain the invalid character "\\u${String(code).padStart(4, '0')}"`);
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
      if (code < 0x20 && c !== '\t')
        return this.err(`Invalid character within String: "\\u${String(code).padStart(4, '0')}".`);
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
        const map: Record<string, string> = {
          '"': '"',
          '/': '/',
          '\\': '\\',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
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
      if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r')
        return this.err(`Invalid character within String: "\\u${String(code).padStart(4, '0')}".`);
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
