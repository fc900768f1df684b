// RE2 (Go regexp) semantics on top of re2js, with a bounded cache of compiled patterns.
import type { RE2JS } from 're2js';
import { re2Lib } from '../lazy.js';
import { LRU } from './operands.js';

/** Longest pattern accepted (bytes of pattern text), as a guard against pathological input. */
export const MAX_PATTERN_LENGTH = 64 * 1024;

const cache = new LRU<string, RE2JS | Error>(256);

/** Compiles a Go regexp; throws an Error with Go's message when the syntax is invalid. */
export function compileRegex(pattern: string): RE2JS {
  let re = cache.get(pattern);
  if (re === undefined) {
    if (pattern.length > MAX_PATTERN_LENGTH) re = new Error('error parsing regexp: expression too large');
    else {
      try {
        re = re2Lib().compile(pattern);
      } catch (e) {
        re = new Error((e as Error).message);
      }
    }
    cache.set(pattern, re);
  }
  if (re instanceof Error) throw re;
  return re;
}

export function isValidRegex(pattern: string): boolean {
  try {
    compileRegex(pattern);
    return true;
  } catch {
    return false;
  }
}

/** Go Regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

type Indices = number[];

/** FindAllStringSubmatchIndex(s, n): n < 0 means all. */
export function findAllSubmatchIndex(re: RE2JS, s: string, n: number): Indices[] {
  if (n === 0) return [];
  const r = re.re2().findAllSubmatchIndex(s, n) as Indices[] | null;
  return r ?? [];
}

export function findAllString(re: RE2JS, s: string, n: number): string[] {
  return findAllSubmatchIndex(re, s, n).map((m) => s.slice(m[0]!, m[1]!));
}

export function findAllStringSubmatch(re: RE2JS, s: string, n: number): string[][] {
  return findAllSubmatchIndex(re, s, n).map((m) => {
    const out: string[] = [];
    for (let i = 0; i < m.length; i += 2) out.push(m[i]! >= 0 ? s.slice(m[i]!, m[i + 1]!) : '');
    return out;
  });
}

/** Go Regexp.Split(s, -1). */
export function regexSplit(re: RE2JS, s: string): string[] {
  if (re.pattern().length > 0 && s.length === 0) return [''];
  const matches = findAllSubmatchIndex(re, s, -1);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    end = m[0]!;
    if (m[1] !== 0) out.push(s.slice(beg, end));
    beg = m[1]!;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

function isWordChar(c: string): boolean {
  return /[\p{L}\p{Nd}_]/u.test(c);
}

/** Go Regexp.Expand of `template` for one match. */
function expand(re: RE2JS, template: string, src: string, m: Indices): string {
  let out = '';
  let t = template;
  for (;;) {
    const d = t.indexOf('$');
    if (d < 0) break;
    out += t.slice(0, d);
    t = t.slice(d + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    let brace = false;
    let i = 0;
    if (t.startsWith('{')) {
      brace = true;
      i = 1;
    }
    const start = i;
    const chars = Array.from(t.slice(i));
    let consumed = 0;
    for (const c of chars) {
      if (!isWordChar(c)) break;
      consumed += c.length;
    }
    i += consumed;
    if (i === start || (brace && t[i] !== '}')) {
      out += '$';
      continue;
    }
    const name = t.slice(start, i);
    if (brace) i++;
    t = t.slice(i);
    let group = -1;
    if (/^\d+$/.test(name)) {
      group = name.length > 9 ? -1 : parseInt(name, 10);
      if (group < 0) continue;
    } else {
      const named = re.namedGroups();
      if (Object.hasOwn(named, name)) group = named[name]!;
      else continue;
    }
    if (2 * group + 1 < m.length && m[2 * group]! >= 0) out += src.slice(m[2 * group]!, m[2 * group + 1]!);
  }
  return out + t;
}

/** Go Regexp.ReplaceAllString. */
export function replaceAll(re: RE2JS, src: string, repl: string): string {
  const matches = findAllSubmatchIndex(re, src, -1);
  if (matches.length === 0) return src;
  let out = '';
  let last = 0;
  for (const m of matches) {
    out += src.slice(last, m[0]!) + expand(re, repl, src, m);
    last = m[1]!;
  }
  return out + src.slice(last);
}

/** regex.template_match's pattern compilation (gorilla/mux style delimiters). */
export function compileTemplate(tpl: string, start: string, end: string): RE2JS {
  const idxs: number[] = [];
  let level = 0;
  let idx = 0;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i];
    if (c === start) {
      if (++level === 1) idx = i;
    } else if (c === end) {
      if (--level === 0) idxs.push(idx, i + 1);
      else if (level < 0) throw new Error(`unbalanced braces in ${JSON.stringify(tpl)}`);
    }
  }
  if (level !== 0) throw new Error(`unbalanced braces in ${JSON.stringify(tpl)}`);
  let pattern = '^';
  let e = 0;
  for (let i = 0; i < idxs.length; i += 2) {
    const raw = tpl.slice(e, idxs[i]);
    e = idxs[i + 1]!;
    const patt = tpl.slice(idxs[i]! + 1, e - 1);
    compileRegex(`^${patt}$`);
    pattern += `${quoteMeta(raw)}(${patt})`;
  }
  pattern += quoteMeta(tpl.slice(e)) + '$';
  return compileRegex(pattern);
}
