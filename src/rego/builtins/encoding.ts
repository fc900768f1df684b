// Builtin family "encoding" (family B): base64, base64url, hex, urlquery, json and yaml
// (un)marshalling, with Go's encoders' outputs and error texts as OPA reports them.
import { yamlLib } from '../lazy.js';
import { parseJSON } from '../json-parse.js';
import { intValue, ObjectValue, SetValue, fromJS, toJS, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, str as expectString, operandError, typeError } from './operands.js';
import { Base64Error, b64decode, b64encode, fromUtf8, goJSON, utf8 } from './bytes.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function decodeErr(e: unknown): never {
  if (e instanceof Base64Error) throw builtinError(e.message);
  throw e;
}

builtins.push({
  name: 'base64.encode',
  arity: 1,
  fn: ([s]) => b64encode(utf8(expectString(1, s!))),
});

builtins.push({
  name: 'base64.decode',
  arity: 1,
  fn: ([s]) => {
    const str = expectString(1, s!);
    try {
      return fromUtf8(b64decode(str));
    } catch (e) {
      decodeErr(e);
    }
  },
});

builtins.push({
  name: 'base64.is_valid',
  arity: 1,
  fn: ([s]) => {
    if (typeof s !== 'string') return false;
    try {
      b64decode(s);
      return true;
    } catch {
      return false;
    }
  },
});

builtins.push({
  name: 'base64url.encode',
  arity: 1,
  fn: ([s]) => b64encode(utf8(expectString(1, s!)), true, true),
});

builtins.push({
  name: 'base64url.encode_no_pad',
  arity: 1,
  fn: ([s]) => b64encode(utf8(expectString(1, s!)), true, false),
});

builtins.push({
  name: 'base64url.decode',
  arity: 1,
  fn: ([s]) => {
    let str = expectString(1, s!);
    if (!str.endsWith('=')) {
      const n = utf8(str).length % 4;
      if (n === 2) str += '==';
      else if (n === 3) str += '=';
      else if (n === 1) throw builtinError(`illegal base64url string: ${str}`);
    }
    try {
      return fromUtf8(b64decode(str, true, true));
    } catch (e) {
      decodeErr(e);
    }
  },
});

// ---------------------------------------------------------------------------------------------
// hex

builtins.push({
  name: 'hex.encode',
  arity: 1,
  fn: ([s]) => Buffer.from(utf8(expectString(1, s!))).toString('hex'),
});

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function invalidByte(c: number): string {
  const cp = 'U+' + c.toString(16).toUpperCase().padStart(4, '0');
  const printable = c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0);
  return `encoding/hex: invalid byte: ${printable ? `${cp} '${String.fromCharCode(c)}'` : cp}`;
}

builtins.push({
  name: 'hex.decode',
  arity: 1,
  fn: ([s]) => {
    const b = utf8(expectString(1, s!));
    const out = new Uint8Array(b.length >> 1);
    let i = 1;
    for (; i < b.length; i += 2) {
      const p = hexNibble(b[i - 1]!);
      const q = hexNibble(b[i]!);
      if (p < 0) throw builtinError(invalidByte(b[i - 1]!));
      if (q < 0) throw builtinError(invalidByte(b[i]!));
      out[i >> 1] = (p << 4) | q;
    }
    if (b.length % 2 === 1) {
      if (hexNibble(b[b.length - 1]!) < 0) throw builtinError(invalidByte(b[b.length - 1]!));
      throw builtinError('encoding/hex: odd length hex string');
    }
    return fromUtf8(out);
  },
});

// ---------------------------------------------------------------------------------------------
// urlquery (Go's net/url QueryEscape / QueryUnescape / Values)

export function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8(s)) {
    const c = String.fromCharCode(b);
    if (
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x30 && b <= 0x39) ||
      c === '-' ||
      c === '_' ||
      c === '.' ||
      c === '~'
    )
      out += c;
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

class EscapeError extends Error {}

function isHex(c: number | undefined): boolean {
  return c !== undefined && hexNibble(c) >= 0;
}

export function queryUnescape(s: string): string {
  const b = utf8(s);
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x25) {
      if (i + 2 >= b.length || !isHex(b[i + 1]) || !isHex(b[i + 2])) {
        const bad = fromUtf8(b.subarray(i, Math.min(b.length, i + 3)));
        throw new EscapeError(`invalid URL escape ${JSON.stringify(bad)}`);
      }
      out.push((hexNibble(b[i + 1]!) << 4) | hexNibble(b[i + 2]!));
      i += 2;
    } else if (c === 0x2b) out.push(0x20);
    else out.push(c);
  }
  return fromUtf8(Uint8Array.from(out));
}

builtins.push({
  name: 'urlquery.encode',
  arity: 1,
  fn: ([s]) => queryEscape(expectString(1, s!)),
});

builtins.push({
  name: 'urlquery.decode',
  arity: 1,
  fn: ([s]) => {
    const str = expectString(1, s!);
    try {
      return queryUnescape(str);
    } catch (e) {
      if (e instanceof EscapeError) throw builtinError(e.message);
      throw e;
    }
  },
});

function jsonKey(k: Value): string {
  return typeof k === 'string' ? k : goJSON(k);
}

builtins.push({
  name: 'urlquery.encode_object',
  arity: 1,
  fn: ([o]) => {
    if (!(o instanceof ObjectValue)) throw operandError(1, 'object', o!);
    const bad = () => typeError('operand 1 values must be string, array[string], or set[string]');
    const entries: [string, string[]][] = [];
    for (const [k, v] of o.entries()) {
      if (typeof v === 'string') entries.push([jsonKey(k), [v]]);
      else if (Array.isArray(v) || v instanceof SetValue) {
        const vals: string[] = [];
        for (const x of Array.isArray(v) ? v : v.sorted()) {
          if (typeof x !== 'string') throw bad();
          vals.push(x);
        }
        entries.push([jsonKey(k), vals]);
      } else throw bad();
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const parts: string[] = [];
    for (const [k, vals] of entries) for (const v of vals) parts.push(queryEscape(k) + '=' + queryEscape(v));
    return parts.join('&');
  },
});

builtins.push({
  name: 'urlquery.decode_object',
  arity: 1,
  fn: ([s]) => {
    let query = expectString(1, s!);
    const m = new Map<string, string[]>();
    let firstErr: string | undefined;
    while (query !== '') {
      let key = query;
      const amp = key.indexOf('&');
      if (amp >= 0) {
        query = key.slice(amp + 1);
        key = key.slice(0, amp);
      } else query = '';
      if (key.includes(';')) {
        firstErr ??= 'invalid semicolon separator in query';
        continue;
      }
      if (key === '') continue;
      let value = '';
      const eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.slice(eq + 1);
        key = key.slice(0, eq);
      }
      try {
        const k = queryUnescape(key);
        const v = queryUnescape(value);
        const arr = m.get(k);
        if (arr) arr.push(v);
        else m.set(k, [v]);
      } catch (e) {
        if (!(e instanceof EscapeError)) throw e;
        firstErr ??= e.message;
      }
    }
    if (firstErr !== undefined) throw builtinError(firstErr);
    const o = new ObjectValue();
    for (const [k, v] of m) o.set(k, v);
    return o;
  },
});

// ---------------------------------------------------------------------------------------------
// json

builtins.push({
  name: 'json.marshal',
  arity: 1,
  fn: ([v]) => goJSON(v!),
});

builtins.push({
  name: 'json.marshal_with_options',
  arity: 2,
  fn: ([v, opts]) => {
    if (!(opts instanceof ObjectValue)) throw operandError(2, 'object', opts!);
    let indent = '\t';
    let prefix = '';
    let implicit = false;
    let explicit: boolean | undefined;
    let idx = 0;
    for (const [k, val] of opts.entries()) {
      if (typeof k !== 'string')
        throw typeError(
          `operand 2 failed to stringify key ${goJSON(k)} at index ${idx}: operand ${idx} must be string but got ${typeof k}`,
        );
      switch (k) {
        case 'prefix':
          if (typeof val !== 'string')
            throw typeError(`operand 2 key ${k} failed cast to string: operand ${idx} must be string`);
          prefix = val;
          implicit = true;
          break;
        case 'indent':
          if (typeof val !== 'string')
            throw typeError(`operand 2 key ${k} failed cast to string: operand ${idx} must be string`);
          indent = val;
          implicit = true;
          break;
        case 'pretty':
          if (typeof val !== 'boolean') throw typeError(`operand 2 key ${k} failed cast to bool`);
          explicit = val;
          break;
        default:
          throw typeError(`operand 2 object contained unknown key ${JSON.stringify(k)}`);
      }
      idx++;
    }
    const pretty = explicit ?? implicit;
    if (!pretty) return goJSON(v!);
    return prefix + goJSON(v!, indent, prefix);
  },
});

builtins.push({
  name: 'json.unmarshal',
  arity: 1,
  fn: ([s]) => {
    const str = expectString(1, s!);
    try {
      return parseJSON(str);
    } catch (e) {
      throw builtinError(e instanceof Error ? e.message : String(e));
    }
  },
});

builtins.push({
  name: 'json.is_valid',
  arity: 1,
  fn: ([s]) => {
    if (typeof s !== 'string') return false;
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  },
});

// ---------------------------------------------------------------------------------------------
// yaml (sigs.k8s.io/yaml: YAML 1.1-ish go-yaml underneath, via JSON)

/** Converts a parsed YAML document (yaml package, bigints kept) into a Value. */
function yamlToValue(x: unknown): Value {
  if (typeof x === 'bigint') return intValue(x);
  if (typeof x === 'number' && !Number.isFinite(x)) throw new Error('json: unsupported value: ' + String(x));
  if (x instanceof Date) return x.toISOString().replace('.000Z', 'Z');
  if (Array.isArray(x)) return x.map(yamlToValue);
  if (x instanceof Map) {
    const o = new ObjectValue();
    for (const [k, v] of x) o.set(typeof k === 'string' ? k : k === null ? 'null' : String(k), yamlToValue(v));
    return o;
  }
  if (x instanceof Set) return [...x].map(yamlToValue);
  if (x !== null && typeof x === 'object') {
    const o = new ObjectValue();
    for (const k of Object.keys(x)) o.set(k, yamlToValue((x as Record<string, unknown>)[k]));
    return o;
  }
  return fromJS(x);
}

/** go-yaml's wording for the common syntax errors the cases look at. */
function goYamlError(e: unknown): string {
  const err = e as { message?: string; linePos?: { line: number; col: number }[]; code?: string };
  const line = err.linePos?.[0]?.line ?? 1;
  const msg = err.message ?? String(e);
  if (/flow sequence|Expected , or \]|Missing , or \]/i.test(msg) || err.code === 'MISSING_CHAR') {
    return `yaml: line ${line}: did not find expected ',' or ']'`;
  }
  if (/flow map|Expected , or }/i.test(msg)) return `yaml: line ${line}: did not find expected ',' or '}'`;
  return `yaml: line ${line}: ${msg.split('\n')[0]}`;
}

export function parseYAML(text: string): Value {
  const docs = yamlLib().parseAllDocuments(text, { version: '1.1', intAsBigInt: true, uniqueKeys: false, merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length === 0) return null;
  const doc = list[0]!;
  if (doc.errors.length > 0) throw new Error(goYamlError(doc.errors[0]));
  return yamlToValue(doc.toJS({ mapAsMap: true, maxAliasCount: 10000 }));
}

builtins.push({
  name: 'yaml.marshal',
  arity: 1,
  fn: ([v]) => {
    // ast.JSON conversion (sets → arrays, non-string keys → JSON text, big integers kept).
    return yamlLib().stringify(toJS(v!), { indentSeq: false, lineWidth: 0, version: '1.1' });
  },
});

builtins.push({
  name: 'yaml.unmarshal',
  arity: 1,
  fn: ([s]) => {
    const str = expectString(1, s!);
    try {
      return parseYAML(str);
    } catch (e) {
      throw builtinError(e instanceof Error ? e.message : String(e));
    }
  },
});

builtins.push({
  name: 'yaml.is_valid',
  arity: 1,
  fn: ([s]) => {
    if (typeof s !== 'string') return false;
    try {
      parseYAML(s);
      return true;
    } catch {
      return false;
    }
  },
});
