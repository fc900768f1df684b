// Lossless JSON → Value parsing. JSON.parse rounds integers beyond 2^53 (nanosecond times,
// bit shifts, large ids), which OPA keeps exact, so documents are read with this parser instead.
// Integers outside the safe range become BigNum; other numbers are JS numbers.
import { type BigNum, ObjectValue, intValue, type Value } from './value.js';

/** A JSON syntax error with the 1-based line and column where it was found. */
export class JSONSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly col: number,
    readonly offset: number,
  ) {
    super(`${reason} at line ${line} column ${col}`);
  }
}

/** Parses JSON text into a Value; throws JSONSyntaxError naming the line and column. */
export function parseJSON(text: string): Value {
  const p = new JSONParser(text);
  if (text.charCodeAt(0) === 0xfeff) p.pos = 1; // byte order mark
  p.skipWs();
  const v = p.value();
  p.skipWs();
  if (p.pos < text.length) p.fail('unexpected character after the JSON value');
  return v;
}

/**
 * Parses the first JSON value of `text` and returns it with the offset just past it (and past
 * the whitespace after it), for readers that decide themselves what may follow (OPA's loader).
 */
export function parseJSONPrefix(text: string): { value: Value; end: number } {
  const p = new JSONParser(text);
  if (text.charCodeAt(0) === 0xfeff) p.pos = 1;
  p.skipWs();
  const value = p.value();
  p.skipWs();
  return { value, end: p.pos };
}

class JSONParser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(reason: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.s.length; i++) {
      if (this.s.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JSONSyntaxError(reason, line, at - lineStart + 1, at);
  }

  skipWs(): void {
    const s = this.s;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.pos = i;
  }

  value(): Value {
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 123 /* { */:
        return this.object();
      case 91 /* [ */:
        return this.array();
      case 34 /* " */:
        return this.string();
      case 116 /* t */:
        return this.literal('true', true);
      case 102 /* f */:
        return this.literal('false', false);
      case 110 /* n */:
        return this.literal('null', null);
    }
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (Number.isNaN(c)) this.fail('unexpected end of JSON input');
    return this.fail(`unexpected character ${JSON.stringify(this.s[this.pos])}`);
  }

  private literal(word: string, v: Value): Value {
    if (!this.s.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return v;
  }

  private object(): Value {
    const o = new ObjectValue();
    this.pos++;
    this.skipWs();
    if (this.s.charCodeAt(this.pos) === 125) {
      this.pos++;
      return o;
    }
    for (;;) {
      if (this.s.charCodeAt(this.pos) !== 34) this.fail('expected a string key');
      const k = this.string();
      this.skipWs();
      if (this.s.charCodeAt(this.pos) !== 58) this.fail("expected ':' after object key");
      this.pos++;
      this.skipWs();
      o.set(k, this.value());
      this.skipWs();
      const c = this.s.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        this.skipWs();
        continue;
      }
      if (c === 125) {
        this.pos++;
        return o;
      }
      this.fail("expected ',' or '}' in object");
    }
  }

  private array(): Value {
    const a: Value[] = [];
    this.pos++;
    this.skipWs();
    if (this.s.charCodeAt(this.pos) === 93) {
      this.pos++;
      return a;
    }
    for (;;) {
      a.push(this.value());
      this.skipWs();
      const c = this.s.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        this.skipWs();
        continue;
      }
      if (c === 93) {
        this.pos++;
        return a;
      }
      this.fail("expected ',' or ']' in array");
    }
  }

  private string(): string {
    const s = this.s;
    const start = this.pos;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
        continue;
      }
      if (Number.isNaN(c)) this.fail('unterminated string', start);
      if (c < 32) this.fail('control character in string', i);
      i++;
    }
    this.pos = i + 1;
    if (!escaped) return s.slice(start + 1, i);
    // Escapes are rare: let the native parser decode them exactly.
    try {
      return JSON.parse(s.slice(start, i + 1)) as string;
    } catch {
      return this.fail('invalid escape in string', start);
    }
  }

  private number(): number | BigNum {
    const s = this.s;
    const start = this.pos;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    const intStart = i;
    while (isDigit(s.charCodeAt(i))) i++;
    if (i === intStart) this.fail('invalid number', start);
    if (s.charCodeAt(intStart) === 48 && i - intStart > 1) this.fail('invalid number (leading zero)', start);
    let integral = true;
    if (s.charCodeAt(i) === 46) {
      integral = false;
      i++;
      const f = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === f) this.fail('invalid number', start);
    }
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      integral = false;
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      const f = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === f) this.fail('invalid number', start);
    }
    this.pos = i;
    const text = s.slice(start, i);
    if (integral && i - intStart > 15) return intValue(BigInt(text));
    return parseNumberText(text);
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * The Value for a JSON/Rego number literal: exact integers (BigNum beyond 2^53, also for
 * integral exponent forms such as 1e20 that OPA keeps exact), otherwise a float.
 */
export function parseNumberText(text: string): number | BigNum {
  const n = Number(text);
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && Number.isFinite(n)) {
    const exact = exactInteger(text);
    if (exact !== undefined) return intValue(exact);
  }
  return n;
}

/** The exact integer a decimal literal denotes, or undefined when it has a fractional part. */
function exactInteger(text: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const [, sign, whole, frac = '', expText = '0'] = m;
  const exp = Number(expText);
  let digits = whole! + frac;
  let scale = exp - frac.length;
  if (scale < 0) {
    const cut = digits.length + scale;
    const tail = digits.slice(Math.max(cut, 0));
    if (/[^0]/.test(tail)) return undefined;
    digits = cut > 0 ? digits.slice(0, cut) : '0';
    scale = 0;
  }
  if (scale > 400) return undefined; // beyond any useful precision: let it be a float
  return BigInt(sign + digits + '0'.repeat(scale));
}
