// A strict JSON reader for request bodies that keeps what Go's decoder would see and
// exposes what JS's JSON.parse would hide: duplicate keys (Go merges or overwrites them),
// integers beyond 2^53 (kept exact as bigint), and bytes after the first value (Go's
// Decoder stops after one value and ignores the rest).

/** An object as written: keys in order, duplicates kept. */
export interface JsonObject {
  readonly kind: 'object';
  readonly entries: [string, JsonNode][];
}
export type JsonNode = null | boolean | number | bigint | string | JsonNode[] | JsonObject;

export class StrictJsonError extends Error {}

const MAX_DEPTH = 64;

/** Parses exactly one JSON value surrounded by optional whitespace. */
export function parseStrictJson(text: string): JsonNode {
  const p = new Reader(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.pos !== text.length) throw new StrictJsonError(`unexpected data after the JSON value at offset ${p.pos}`);
  return v;
}

export function isJsonObject(v: JsonNode | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  pos = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  fail(what: string): never {
    throw new StrictJsonError(`invalid JSON at offset ${this.pos}: ${what}`);
  }

  value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    const c = this.s[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  literal<T extends JsonNode>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.fail('bad literal');
    this.pos += word.length;
    return v;
  }

  object(depth: number): JsonObject {
    this.pos++;
    const entries: [string, JsonNode][] = [];
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      this.ws();
      entries.push([key, this.value(depth + 1)]);
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return { kind: 'object', entries };
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }

  array(depth: number): JsonNode[] {
    this.pos++;
    const out: JsonNode[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  string(): string {
    const s = this.s;
    const start = ++this.pos;
    // Fast path: no escapes.
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === 0x5c || c < 0x20) break;
    }
    let out = '';
    let i = start;
    for (;;) {
      if (i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.pos = i;
        this.fail('control character in string');
      }
      if (c !== 0x5c) {
        out += s[i++];
        continue;
      }
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = i;
            this.fail('bad \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.pos = i - 1;
          this.fail('bad escape');
      }
    }
    this.pos = i + 1;
    return out;
  }

  number(): number | bigint {
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.pos, this.pos + 400));
    if (!m) this.fail('bad number');
    this.pos += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    const f = Number(m[0]);
    if (!Number.isFinite(f)) this.fail('number out of range');
    return f;
  }
}

/** Serialises a node back to JSON text (objects keep their order). */
export function stringifyJson(v: JsonNode): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return JSON.stringify(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return JSON.stringify(v);
  }
  if (Array.isArray(v)) return '[' + v.map(stringifyJson).join(',') + ']';
  return '{' + v.entries.map(([k, x]) => JSON.stringify(k) + ':' + stringifyJson(x)).join(',') + '}';
}

/** Plain JS view (objects with null prototype; duplicates must have been resolved before). */
export function toPlain(v: JsonNode): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toPlain);
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, x] of v.entries) out[k] = toPlain(x);
  return out;
}
