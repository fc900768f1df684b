// Go fmt.Sprintf semantics for the `sprintf` builtin. OPA converts each Rego argument into a Go
// value first: integers that fit int64 become `int`, larger integers `*big.Int`, other numbers
// `float64`, strings `string`, and every other value its Rego text (so booleans are strings).
import { BigNum, type ObjectValue, SetValue, formatNumber, type Value } from '../value.js';
import { goFormatFloat } from './gofloat.js';

export { goFormatFloat };

type GoArg = { t: 'int'; v: bigint } | { t: 'big'; v: bigint } | { t: 'float'; v: number } | { t: 'string'; v: string };

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export function toGoArg(v: Value): GoArg {
  if (typeof v === 'string') return { t: 'string', v };
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 9.2e18) return { t: 'int', v: BigInt(v) };
    return { t: 'float', v };
  }
  if (v instanceof BigNum) {
    return v.n >= INT64_MIN && v.n <= INT64_MAX ? { t: 'int', v: v.n } : { t: 'big', v: v.n };
  }
  return { t: 'string', v: regoText(v) };
}

/** A value in Rego syntax as OPA's ast String() prints it (strings quoted as Go's strconv.Quote). */
export function regoText(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatNumber(v);
  }
  if (v instanceof BigNum) return v.n.toString();
  if (Array.isArray(v)) return '[' + v.map(regoText).join(', ') + ']';
  if (v instanceof SetValue) return v.size === 0 ? 'set()' : '{' + v.sorted().map(regoText).join(', ') + '}';
  return (
    '{' +
    (v as ObjectValue)
      .sortedEntries()
      .map(([k, x]) => regoText(k) + ': ' + regoText(x))
      .join(', ') +
    '}'
  );
}

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid?: number;
  prec?: number;
  sharpV?: boolean;
  plusV?: boolean;
}

export function goSprintf(format: string, values: Value[]): string {
  const args = values.map(toGoArg);
  let out = '';
  let argi = 0;
  let reordered = false;
  let badIndex = false;
  // Go's explicit argument index "[n]" (1-based); sets the next argument to use.
  const argIndex = (): void => {
    if (format[i] !== '[') return;
    reordered = true;
    const close = format.indexOf(']', i);
    const m = close > i ? /^\d+$/.exec(format.slice(i + 1, close)) : null;
    const k = m ? parseInt(m[0], 10) : 0;
    if (!m || k < 1 || k > args.length) {
      badIndex = true;
      i = close > i ? close + 1 : i + 1;
      return;
    }
    argi = k - 1;
    i = close + 1;
  };
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { plus: false, minus: false, sharp: false, space: false, zero: false };
    // flags
    for (; i < n; i++) {
      const c = format[i];
      if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = !f.minus;
      else if (c === '+') f.plus = true;
      else if (c === '-') {
        f.minus = true;
        f.zero = false;
      } else if (c === ' ') f.space = true;
      else break;
    }
    badIndex = false;
    argIndex();
    // width
    if (format[i] === '*') {
      i++;
      const a = args[argi++];
      if (a && a.t === 'int' && a.v <= 1000000n && a.v >= -1000000n) {
        let w = Number(a.v);
        if (w < 0) {
          f.minus = true;
          f.zero = false;
          w = -w;
        }
        f.wid = w;
      } else out += '%!(BADWIDTH)';
    } else {
      const st = i;
      while (i < n && format[i]! >= '0' && format[i]! <= '9') i++;
      if (i > st) f.wid = parseInt(format.slice(st, i), 10);
      if (f.wid !== undefined && f.wid > 1e6) {
        // Go's parsenum gives up on numbers above 1e6 and consumes the rest of the format
        out += '%!(NOVERB)';
        break;
      }
    }
    // precision
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        if (a && a.t === 'int' && a.v >= 0n && a.v <= 1000000n) f.prec = Number(a.v);
        else out += '%!(BADPREC)';
      } else {
        const st = i;
        while (i < n && format[i]! >= '0' && format[i]! <= '9') i++;
        f.prec = i > st ? parseInt(format.slice(st, i), 10) : 0;
        if (f.prec > 1e6) {
          out += '%!(NOVERB)';
          break;
        }
      }
    }
    if (!badIndex) argIndex();
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const cp = format.codePointAt(i)!;
    const verb = String.fromCodePoint(cp);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (badIndex) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    // %v: '#' means Go syntax (sharpV) and '+' means field names; neither reaches the value.
    out += formatArg(
      args[argi++]!,
      verb,
      verb === 'v' ? { ...f, sharpV: f.sharp, sharp: false, plusV: f.plus, plus: false } : f,
    );
  }
  if (!reordered && argi < args.length) {
    out +=
      '%!(EXTRA ' +
      args
        .slice(argi)
        .map((a) => `${goTypeName(a)}=${formatArg(a, 'v', plain())}`)
        .join(', ') +
      ')';
  }
  return out;
}

function plain(): Flags {
  return { plus: false, minus: false, sharp: false, space: false, zero: false };
}

function goTypeName(a: GoArg): string {
  switch (a.t) {
    case 'int':
      return 'int';
    case 'big':
      return '*big.Int';
    case 'float':
      return 'float64';
    default:
      return 'string';
  }
}

/** "%!verb(type=value)": the value is printed with %v under the verb's own flags, as Go does. */
function badVerb(a: GoArg, verb: string, f: Flags): string {
  if (a.t === 'big') return `%!${verb}(big.Int=${a.v.toString()})`;
  return `%!${verb}(${goTypeName(a)}=${formatArg(a, 'v', { ...f, sharpV: false })})`;
}

function formatArg(a: GoArg, verb: string, f: Flags): string {
  // *big.Int implements fmt.Formatter, whose State reports '+' and '#' however %v consumed them.
  if (a.t === 'big' && (f.plusV || f.sharpV)) f = { ...f, plus: f.plus || !!f.plusV, sharp: f.sharp || !!f.sharpV };
  switch (a.t) {
    case 'int':
    case 'big':
      switch (verb) {
        case 'v':
        case 'd':
          return fmtInteger(a.v, 10, verb, f, false);
        case 's':
          return a.t === 'big' ? fmtInteger(a.v, 10, verb, f, false) : badVerb(a, verb, f);
        case 'b':
          return fmtInteger(a.v, 2, verb, f, false);
        case 'o':
        case 'O':
          return fmtInteger(a.v, 8, verb, f, false, a.t === 'big');
        case 'x':
          return fmtInteger(a.v, 16, verb, f, false);
        case 'X':
          return fmtInteger(a.v, 16, verb, f, true);
        case 'c':
          if (a.t === 'big') return badVerb(a, verb, f);
          return pad(String.fromCodePoint(validRune(a.v)), f);
        case 'q':
          if (a.t === 'big') return badVerb(a, verb, f);
          return pad(quoteRune(validRune(a.v)), f);
        case 'U': {
          if (a.t === 'big') return badVerb(a, verb, f);
          let h = a.v.toString(16).toUpperCase();
          if (h.length < 4) h = h.padStart(4, '0');
          if (f.prec !== undefined && h.length < f.prec) h = h.padStart(f.prec, '0');
          let s = 'U+' + h;
          if (f.sharp && a.v >= 0n && a.v <= 0x10ffffn) s += " '" + String.fromCodePoint(Number(a.v)) + "'";
          return pad(s, { ...f, zero: false });
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
          return badVerb(a, verb, f);
        default:
          return badVerb(a, verb, f);
      }
    case 'float':
      switch (verb) {
        case 'v':
          return fmtFloat(a.v, 'g', f.prec ?? -1, f);
        case 'b':
        case 'g':
        case 'G':
        case 'x':
        case 'X':
          return fmtFloat(a.v, verb, f.prec ?? -1, f);
        case 'e':
        case 'E':
        case 'f':
        case 'F':
          return fmtFloat(a.v, verb, f.prec ?? 6, f);
        default:
          return badVerb(a, verb, f);
      }
    case 'string':
      switch (verb) {
        case 'v':
          if (f.sharpV) return pad(goQuote(truncate(a.v, f)), f);
          return fmtS(a.v, f);
        case 's':
          return fmtS(a.v, f);
        case 'q': {
          const t = truncate(a.v, f);
          return pad(
            f.sharp && !t.includes('`') && !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(t)
              ? '`' + t + '`'
              : goQuote(t, f.plus),
            f,
          );
        }
        case 'x':
        case 'X':
          return fmtSbx(a.v, verb === 'X', f);
        default:
          return badVerb(a, verb, f);
      }
  }
}

function validRune(v: bigint): number {
  if (v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn)) return 0xfffd;
  return Number(v);
}

function pad(s: string, f: Flags): string {
  if (f.wid === undefined) return s;
  const len = Array.from(s).length;
  if (len >= f.wid) return s;
  const fill = (f.zero ? '0' : ' ').repeat(f.wid - len);
  return f.minus ? s + ' '.repeat(f.wid - len) : fill + s;
}

function truncate(s: string, f: Flags): string {
  if (f.prec === undefined) return s;
  const r = Array.from(s);
  return r.length > f.prec ? r.slice(0, f.prec).join('') : s;
}

function fmtS(s: string, f: Flags): string {
  if (f.prec !== undefined) {
    const r = Array.from(s);
    if (r.length > f.prec) s = r.slice(0, f.prec).join('');
  }
  return pad(s, f);
}

function fmtSbx(s: string, upper: boolean, f: Flags): string {
  const bytes = Buffer.from(s, 'utf8');
  let length = bytes.length;
  if (f.prec !== undefined && f.prec < length) length = f.prec;
  const digits = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = '';
  for (let i = 0; i < length; i++) {
    if (f.space && i > 0) out += ' ';
    if (f.sharp && (f.space || i === 0)) out += upper ? '0X' : '0x';
    const b = bytes[i]!;
    out += digits[b >> 4]! + digits[b & 15]!;
  }
  return pad(out, f);
}

function fmtInteger(v: bigint, base: number, verb: string, f: Flags, upper: boolean, big = false): string {
  const negative = v < 0n;
  const u = negative ? -v : v;
  let prec = -1;
  if (f.prec !== undefined) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return pad('', { ...f, zero: false });
  } else if (f.zero && f.wid !== undefined) {
    prec = f.wid;
    if (negative || f.plus || f.space) prec--;
  }
  let digits = u.toString(base);
  if (upper) digits = digits.toUpperCase();
  if (prec > digits.length) digits = '0'.repeat(prec - digits.length) + digits;
  if (f.sharp) {
    if (base === 2) digits = '0b' + digits;
    else if (base === 8 && digits[0] !== '0' && !(big && verb === 'O')) digits = '0' + digits;
    else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = '0o' + digits;
  if (negative) digits = '-' + digits;
  else if (f.plus) digits = '+' + digits;
  else if (f.space) digits = ' ' + digits;
  return pad(digits, { ...f, zero: false });
}

function fmtFloat(v: number, verb: string, prec: number, f: Flags): string {
  let num = goFormatFloat(v, verb === 'F' ? 'f' : verb, prec);
  if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
  if (f.space && num[0] === '+' && !f.plus) num = ' ' + num.slice(1);
  if (num.endsWith('Inf') || num.endsWith('NaN')) {
    // Go keeps the sign of infinities ("+Inf") and drops NaN's unless asked for
    if (num.endsWith('NaN') && !f.space && !f.plus) num = 'NaN';
    return pad(num, { ...f, zero: false });
  }
  if (f.sharp && verb !== 'b') {
    let digits = 0;
    if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') digits = prec === -1 ? 6 : prec;
    // Split off the exponent ("e+06", or "p+01" for hex), pad the significand, re-attach.
    const hex = verb === 'x' || verb === 'X';
    const at = hex ? num.search(/[pP]/) : num.search(/[eE]/);
    let body = at > 0 ? num.slice(0, at) : num;
    const tail = at > 0 ? num.slice(at) : '';
    let hasPoint = false;
    let sawNonzero = false;
    for (let i = 1; i < body.length; i++) {
      const c = body[i]!;
      if (c === '.') hasPoint = true;
      else if (/[0-9a-fA-FxX]/.test(c)) {
        if (c !== '0' && c !== 'x' && c !== 'X') sawNonzero = true;
        if (sawNonzero) digits--;
      }
    }
    if (!hasPoint) {
      if (body.length === 2 && body[1] === '0') digits--;
      body += '.';
    }
    while (digits > 0) {
      body += '0';
      digits--;
    }
    num = body + tail;
  }
  if (f.plus || num[0] !== '+') {
    if (f.zero && !f.minus && f.wid !== undefined && f.wid > num.length) {
      return num[0] + '0'.repeat(f.wid - num.length) + num.slice(1);
    }
    return pad(num, { ...f, zero: false });
  }
  num = num.slice(1);
  if (f.zero && !f.minus && f.wid !== undefined && f.wid > num.length) return '0'.repeat(f.wid - num.length) + num;
  return pad(num, { ...f, zero: false });
}

// ---------------------------------------------------------------------------------------------
// strconv.Quote

const NON_PRINT = /[\p{C}\p{Z}]/u;

export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += quoteChar(ch, c, '"', asciiOnly);
  }
  return out + '"';
}

function quoteRune(c: number): string {
  return "'" + quoteChar(String.fromCodePoint(c), c, "'", false) + "'";
}

function quoteChar(ch: string, c: number, q: string, asciiOnly: boolean): string {
  if (ch === q || ch === '\\') return '\\' + ch;
  if (c >= 0x20 && c < 0x7f) return ch;
  if (c >= 0x80 && !asciiOnly && c !== 0xfffd && !NON_PRINT.test(ch)) return ch;
  if (c === 0xfffd && !asciiOnly) return ch;
  switch (c) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (c < 0x20 || c === 0x7f) return '\\x' + c.toString(16).padStart(2, '0');
  if (c < 0x10000) return '\\u' + c.toString(16).padStart(4, '0');
  return '\\U' + c.toString(16).padStart(8, '0');
}
