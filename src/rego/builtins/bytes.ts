// Byte-level helpers shared by the encoding, crypto and jwt families (family B).
// Rego strings are Go strings (bytes, usually UTF-8); here they are JS strings, so bytes are
// their UTF-8 encoding and decoded bytes become a string through UTF-8 (invalid → U+FFFD).
import { BigNum, formatNumber, ObjectValue, SetValue, type Value } from '../value.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');

export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return dec.decode(b);
}

/** Is `b` valid UTF-8 (Go's utf8.Valid)? */
export function isValidUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Base64 as Go's encoding/base64 (strict alphabet, padding rules, "illegal base64 data at input byte N").

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function b64encode(b: Uint8Array, url = false, pad = true): string {
  const alpha = url ? URL : STD;
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += alpha[(n >> 18) & 63]! + alpha[(n >> 12) & 63]! + alpha[(n >> 6) & 63]! + alpha[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    out += alpha[(n >> 18) & 63]! + alpha[(n >> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    out += alpha[(n >> 18) & 63]! + alpha[(n >> 12) & 63]! + alpha[(n >> 6) & 63]! + (pad ? '=' : '');
  }
  return out;
}

export class Base64Error extends Error {}

/**
 * Decodes like Go's base64.Encoding.DecodeString. `pad`: padding required (Std/URL) or
 * forbidden (Raw*). CR and LF are ignored as Go does. Throws Base64Error with Go's text.
 */
export function b64decode(s: string, url = false, pad = true): Uint8Array {
  const alpha = url ? URL : STD;
  const bytes = utf8(s);
  const out: number[] = [];
  let quantum: number[] = [];
  let qStart = 0;
  let i = 0;
  const illegal = (pos: number) => new Base64Error(`illegal base64 data at input byte ${pos}`);
  // Go reports positions in the input with CR/LF counted.
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    if (c === 0x3d /* = */) {
      if (!pad) throw illegal(i);
      // padding: valid only after 2 or 3 symbols of a quantum
      const have = quantum.length;
      if (have < 2) throw illegal(i);
      let j = i + 1;
      if (have === 2) {
        while (j < bytes.length && (bytes[j] === 0x0a || bytes[j] === 0x0d)) j++;
        if (j >= bytes.length) throw illegal(bytes.length);
        if (bytes[j] !== 0x3d) throw illegal(j);
        j++;
      }
      while (j < bytes.length && (bytes[j] === 0x0a || bytes[j] === 0x0d)) j++;
      if (j < bytes.length) throw illegal(j);
      flush(quantum, out);
      quantum = [];
      return Uint8Array.from(out);
    }
    const v = alpha.indexOf(String.fromCharCode(c));
    if (v < 0 || c > 127) throw illegal(i);
    if (quantum.length === 0) qStart = i;
    quantum.push(v);
    if (quantum.length === 4) {
      flush(quantum, out);
      quantum = [];
    }
    i++;
  }
  if (quantum.length > 0) {
    if (pad || quantum.length === 1) throw illegal(qStart);
    flush(quantum, out);
  }
  return Uint8Array.from(out);
}

function flush(q: number[], out: number[]): void {
  const n = ((q[0] ?? 0) << 18) | ((q[1] ?? 0) << 12) | ((q[2] ?? 0) << 6) | (q[3] ?? 0);
  if (q.length >= 2) out.push((n >> 16) & 255);
  if (q.length >= 3) out.push((n >> 8) & 255);
  if (q.length >= 4) out.push(n & 255);
}

/** base64url decoding as JWT libraries do: padding optional. */
export function b64urlDecodeLoose(s: string): Uint8Array {
  const t = s.replace(/=+$/, '');
  return b64decode(t, true, false);
}

export function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  return s;
}

// ---------------------------------------------------------------------------------------------
// JSON as Go's encoding/json writes it (HTML-escaping, \u2028/\u2029, sorted keys, indentation).

export function goJSONString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c >= 0x20 &&
      c !== 0x22 &&
      c !== 0x5c &&
      c !== 0x3c &&
      c !== 0x3e &&
      c !== 0x26 &&
      c !== 0x2028 &&
      c !== 0x2029
    ) {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = s.charCodeAt(i + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          out += s[i]! + s[i + 1]!;
          i++;
        } else out += '\\ufffd';
        continue;
      }
      out += s[i]!;
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + '"';
}

function keyString(k: Value): string {
  return typeof k === 'string' ? k : goJSON(k);
}

/** Compact (indent undefined) or indented JSON; sets become arrays; non-string keys become their JSON text. */
export function goJSON(v: Value, indent?: string, prefix = '', depth = 0): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return goJSONString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatNumber(v);
  }
  if (v instanceof BigNum) return v.n.toString();
  let items: string[];
  let open: string;
  let close: string;
  if (Array.isArray(v) || v instanceof SetValue) {
    const arr = Array.isArray(v) ? v : v.sorted();
    items = arr.map((x) => goJSON(x, indent, prefix, depth + 1));
    open = '[';
    close = ']';
  } else {
    const ents = (v as ObjectValue).sortedEntries().map(([k, x]) => [keyString(k), x] as const);
    // Go sorts map keys bytewise on the final key string.
    ents.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const sep = indent === undefined ? ':' : ': ';
    items = ents.map(([k, x]) => goJSONString(k) + sep + goJSON(x, indent, prefix, depth + 1));
    open = '{';
    close = '}';
  }
  if (items.length === 0) return open + close;
  if (indent === undefined) return open + items.join(',') + close;
  const nl = '\n' + prefix + indent.repeat(depth + 1);
  return open + nl + items.join(',' + nl) + '\n' + prefix + indent.repeat(depth) + close;
}

export function isObject(v: Value): v is ObjectValue {
  return v instanceof ObjectValue;
}
