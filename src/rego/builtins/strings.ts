// Builtin family "strings": Go strings-package semantics on Unicode code points.
import { BigNum, SetValue, formatNumber, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import {
  builtinError,
  elementError,
  intOperand,
  num,
  obj,
  oneOfError,
  str,
  stringSlice,
  typeError,
  operandError,
  isASCII,
} from './operands.js';
import { goSprintf, regoText } from './sprintf.js';
import { renderTemplate } from './gotemplate.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

// ---------------------------------------------------------------------------------------------
// helpers

/** Go unicode.IsSpace. */
export function isGoSpace(c: number): boolean {
  switch (c) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
  }
  return c >= 0x2000 && c <= 0x200a;
}

function cutsetFn(cutset: string): (ch: string) => boolean {
  const s = new Set(Array.from(cutset));
  return (ch) => s.has(ch);
}

export function trimLeftFn(s: string, f: (ch: string) => boolean): string {
  const r = Array.from(s);
  let i = 0;
  while (i < r.length && f(r[i]!)) i++;
  return i === 0 ? s : r.slice(i).join('');
}

export function trimRightFn(s: string, f: (ch: string) => boolean): string {
  const r = Array.from(s);
  let j = r.length;
  while (j > 0 && f(r[j - 1]!)) j--;
  return j === r.length ? s : r.slice(0, j).join('');
}

function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += Array.from(m).length === 1 ? m : ch;
  }
  return out;
}

export function goLower(s: string): string {
  return isASCII(s) ? s.toLowerCase() : mapRunes(s, (c) => (c === '\u0130' ? 'i' : c.toLowerCase()));
}

export function goUpper(s: string): string {
  return isASCII(s) ? s.toUpperCase() : mapRunes(s, (c) => c.toUpperCase());
}

/** Go strings.Count. */
export function goCount(s: string, sub: string): number {
  if (sub === '') return Array.from(s).length + 1;
  let n = 0;
  let i = 0;
  for (;;) {
    const j = s.indexOf(sub, i);
    if (j < 0) return n;
    n++;
    i = j + sub.length;
  }
}

/**
 * Go strings.NewReplacer(pairs...).Replace(s): at each position the earliest pair whose old
 * string matches wins; an empty old string matches everywhere, but not twice in a row at the
 * same position (so a following pair can still match there).
 */
export function goReplace(s: string, pairs: [string, string][]): string {
  if (pairs.length === 1 && pairs[0]![0] !== '') return s.split(pairs[0]![0]).join(pairs[0]![1]);
  let out = '';
  let last = 0;
  let prevEmpty = false;
  for (let i = 0; i <= s.length; ) {
    let hit: [string, string] | undefined;
    for (const p of pairs) {
      if (p[0] === '' ? !prevEmpty : s.startsWith(p[0], i)) {
        hit = p;
        break;
      }
    }
    if (hit) {
      out += s.slice(last, i) + hit[1];
      i += hit[0].length;
      last = i;
      prevEmpty = hit[0] === '';
      continue;
    }
    prevEmpty = false;
    if (i >= s.length) break;
    i += s.codePointAt(i)! > 0xffff ? 2 : 1;
  }
  return out + s.slice(last);
}

function codePointIndexOf(base: string, search: string, from = 0): number[] {
  const b = Array.from(base);
  const q = Array.from(search);
  const res: number[] = [];
  outer: for (let i = from; i + q.length <= b.length; i++) {
    for (let k = 0; k < q.length; k++) if (b[i + k] !== q[k]) continue outer;
    res.push(i);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------

builtins.push({
  name: 'concat',
  arity: 2,
  fn: ([d, c]) => {
    const sep = str(1, d!);
    let items: readonly Value[];
    if (Array.isArray(c)) items = c;
    else if (c instanceof SetValue) items = c.sorted();
    else throw oneOfError(2, c!, 'set', 'array');
    for (const x of items) if (typeof x !== 'string') throw elementError(2, c!, x, 'string');
    return (items as string[]).join(sep);
  },
});

builtins.push({
  name: 'contains',
  arity: 2,
  fn: ([a, b]) => str(1, a!).includes(str(2, b!)),
});

builtins.push({
  name: 'startswith',
  arity: 2,
  fn: ([a, b]) => str(1, a!).startsWith(str(2, b!)),
});

builtins.push({
  name: 'endswith',
  arity: 2,
  fn: ([a, b]) => str(1, a!).endsWith(str(2, b!)),
});

builtins.push({
  name: 'format_int',
  arity: 2,
  fn: ([a, b]) => {
    const n = num(1, a!);
    const base = num(2, b!);
    const bv = base instanceof BigNum ? -1 : base;
    if (bv !== 2 && bv !== 8 && bv !== 10 && bv !== 16) {
      throw typeError('operand 2 must be one of {2, 8, 10, 16}');
    }
    let i: bigint;
    if (n instanceof BigNum) i = n.n;
    else {
      const t = Math.trunc(n);
      i = Number.isFinite(t) ? BigInt(t) : 0n;
    }
    return i.toString(bv);
  },
});

builtins.push({
  name: 'indexof',
  arity: 2,
  fn: ([a, b]) => {
    const base = str(1, a!);
    const search = str(2, b!);
    if (search === '') throw builtinError('empty search character');
    if (isASCII(base) && isASCII(search)) return base.indexOf(search);
    const b2 = Array.from(base);
    const q = Array.from(search);
    outer: for (let i = 0; i + q.length <= b2.length; i++) {
      for (let k = 0; k < q.length; k++) if (b2[i + k] !== q[k]) continue outer;
      return i;
    }
    return -1;
  },
});

builtins.push({
  name: 'indexof_n',
  arity: 2,
  fn: ([a, b]) => {
    const base = str(1, a!);
    const search = str(2, b!);
    if (search === '') throw builtinError('empty search character');
    return codePointIndexOf(base, search);
  },
});

builtins.push({
  name: 'substring',
  arity: 3,
  fn: ([a, b, c]) => {
    const base = str(1, a!);
    const start = intOperand(2, b!);
    const length = intOperand(3, c!);
    if (start < 0) throw builtinError('negative offset');
    if (base === '') return '';
    if (isASCII(base)) {
      if (start >= base.length) return '';
      if (length < 0) return base.slice(start);
      return base.slice(start, Math.min(base.length, start + length));
    }
    const r = Array.from(base);
    if (start >= r.length) return '';
    if (length < 0) return r.slice(start).join('');
    return r.slice(start, Math.min(r.length, start + length)).join('');
  },
});

builtins.push({
  name: 'strings.count',
  arity: 2,
  fn: ([a, b]) => goCount(str(1, a!), str(2, b!)),
});

builtins.push({ name: 'lower', arity: 1, fn: ([a]) => goLower(str(1, a!)) });
builtins.push({ name: 'upper', arity: 1, fn: ([a]) => goUpper(str(1, a!)) });

builtins.push({
  name: 'split',
  arity: 2,
  fn: ([a, b]) => {
    const s = str(1, a!);
    const d = str(2, b!);
    if (d === '') return Array.from(s);
    return s.split(d);
  },
});

builtins.push({
  name: 'replace',
  arity: 3,
  fn: ([a, b, c]) => {
    const s = str(1, a!);
    const old = str(2, b!);
    const nw = str(3, c!);
    return goReplace(s, [[old, nw]]);
  },
});

builtins.push({
  name: 'strings.replace_n',
  arity: 2,
  fn: ([a, b]) => {
    const patterns = obj(1, a!);
    const s = str(2, b!);
    const pairs: [string, string][] = [];
    for (const [k, v] of patterns.sortedEntries()) {
      if (typeof k !== 'string') throw typeError('operand 1 non-string key found in pattern object');
      if (typeof v !== 'string') throw typeError('operand 1 non-string value found in pattern object');
      pairs.push([k, v]);
    }
    if (pairs.length === 0) return s;
    return goReplace(s, pairs);
  },
});

function trimmer(name: string, f: (s: string, c: string) => string): void {
  builtins.push({ name, arity: 2, fn: ([a, b]) => f(str(1, a!), str(2, b!)) });
}

trimmer('trim', (s, c) => {
  const f = cutsetFn(c);
  return trimRightFn(trimLeftFn(s, f), f);
});
trimmer('trim_left', (s, c) => trimLeftFn(s, cutsetFn(c)));
trimmer('trim_right', (s, c) => trimRightFn(s, cutsetFn(c)));
trimmer('trim_prefix', (s, p) => (s.startsWith(p) ? s.slice(p.length) : s));
trimmer('trim_suffix', (s, p) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s));

builtins.push({
  name: 'trim_space',
  arity: 1,
  fn: ([a]) => {
    const f = (ch: string) => isGoSpace(ch.codePointAt(0)!);
    return trimRightFn(trimLeftFn(str(1, a!), f), f);
  },
});

builtins.push({
  name: 'sprintf',
  arity: 2,
  fn: ([a, b]) => {
    const f = str(1, a!);
    if (!Array.isArray(b)) throw operandError(2, 'array', b!);
    return goSprintf(f, b);
  },
});

builtins.push({
  name: 'strings.reverse',
  arity: 1,
  fn: ([a]) => Array.from(str(1, a!)).reverse().join(''),
});

function stringsOrCollection(pos: number, v: Value): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) || v instanceof SetValue) return stringSlice(pos, v);
  throw oneOfError(pos, v, 'string', 'set', 'array');
}

builtins.push({
  name: 'strings.any_prefix_match',
  arity: 2,
  fn: ([a, b]) => {
    const strs = stringsOrCollection(1, a!);
    const prefixes = stringsOrCollection(2, b!);
    return strs.some((s) => prefixes.some((p) => s.startsWith(p)));
  },
});

builtins.push({
  name: 'strings.any_suffix_match',
  arity: 2,
  fn: ([a, b]) => {
    const strs = stringsOrCollection(1, a!);
    const suffixes = stringsOrCollection(2, b!);
    return strs.some((s) => suffixes.some((p) => s.endsWith(p)));
  },
});

builtins.push({
  name: 'strings.render_template',
  arity: 2,
  fn: ([a, b]) => {
    const tmpl = str(1, a!);
    const vars = obj(2, b!);
    try {
      return renderTemplate(tmpl, vars);
    } catch (e) {
      throw builtinError((e as Error).message);
    }
  },
});

/** Text of a value as `print` and template strings show it: strings raw, others in Rego syntax. */
export function printText(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  return regoText(v);
}

// String interpolation lowers to internal.template_string([part, ...]): literal parts are
// strings, expressions are sets holding their value (empty when undefined).
builtins.push({
  name: 'internal.template_string',
  arity: 1,
  fn: ([a]) => {
    if (!Array.isArray(a)) throw operandError(1, 'array', a!);
    let out = '';
    for (const part of a) {
      if (part instanceof SetValue) {
        if (part.size === 0) out += '<undefined>';
        else if (part.size === 1) out += printText(part.sorted()[0]!);
        else throw builtinError('template-strings must not produce multiple outputs');
      } else out += printText(part);
    }
    return out;
  },
});
