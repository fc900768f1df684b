// Rego tokenizer. Newlines are not tokens: each token records whether a newline preceded it
// and whether whitespace did, which is all the parser needs (literals end at a newline;
// `a[x]`, `a.b` and `f(x)` continue a term only when nothing separates them).
import { RegoError } from './errors.js';

type TokKind =
  | 'ident'
  | 'number'
  | 'string' // value already unescaped
  | 'rawstring'
  | 'template' // $"..." : text kept raw, parsed by the parser
  | 'op' // punctuation and operators
  | 'eof';

export interface Token {
  kind: TokKind;
  text: string;
  /** Decoded value for strings, source text otherwise. */
  value: string;
  line: number;
  col: number;
  offset: number;
  end: number;
  /** A newline occurs between the previous token and this one. */
  nl: boolean;
  /** Any whitespace or comment occurs between the previous token and this one. */
  ws: boolean;
}

const OPS3 = new Set<string>();
const OPS2 = new Set([':=', '==', '!=', '<=', '>=']);
const OPS1 = new Set([
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '.',
  ',',
  ';',
  ':',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
]);

/** A `#` comment: its line and text after the `#`. */
export interface Comment {
  line: number;
  text: string;
}

export function tokenize(src: string, file: string, comments?: Comment[]): Token[] {
  const toks: Token[] = [];
  // A UTF-8 byte order mark (editors on Windows add one) is not part of the source.
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = 0;
  let nl = false;
  let ws = false;
  const n = src.length;
  const err = (msg: string, at: number): never => {
    // Recompute line/col for `at` (may be behind the scan position).
    let l = 1;
    let ls = 0;
    for (let j = 0; j < at; j++) if (src.charCodeAt(j) === 10) l++, (ls = j + 1);
    throw new RegoError('rego_parse_error', msg, file, l, at - ls + 1);
  };
  // Start of the current token; push() is one closure for the whole scan, not one per token.
  let start = 0;
  let col = 0;
  const push = (kind: TokKind, text: string, value: string): void => {
    toks.push({ kind, text, value, line, col, offset: start, end: i, nl, ws });
    nl = ws = false;
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      nl = ws = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      ws = true;
      continue;
    }
    if (c === 35 /* # */) {
      const from = i + 1;
      while (i < n && src.charCodeAt(i) !== 10) i++;
      comments?.push({ line, text: src.slice(from, i).replace(/\r$/, '') });
      ws = true;
      continue;
    }
    start = i;
    col = i - lineStart + 1;
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      const t = src.slice(start, i);
      push('ident', t, t);
      continue;
    }
    if (c >= 48 && c <= 57) {
      i = scanNumber(src, i);
      if (i < n && isIdentStart(src.charCodeAt(i))) err('illegal number format', start);
      const t = src.slice(start, i);
      push('number', t, t);
      continue;
    }
    if (c === 34 /* " */) {
      i = scanString(src, i, err);
      const t = src.slice(start, i);
      let v: string;
      try {
        v = JSON.parse(t) as string;
      } catch {
        return err('illegal escape sequence in string', start);
      }
      push('string', t, v);
      continue;
    }
    if (c === 96 /* ` */) {
      const close = src.indexOf('`', i + 1);
      if (close < 0) err('unterminated raw string', start);
      const body = src.slice(i + 1, close);
      for (const ch of body) if (ch === '\n') line++;
      if (body.includes('\n')) lineStart = start + 1 + body.lastIndexOf('\n') + 1;
      i = close + 1;
      push('rawstring', src.slice(start, i), body);
      continue;
    }
    if (c === 36 /* $ */ && src.charCodeAt(i + 1) === 96) {
      // $`raw template`: no escapes; may span lines; {expr} parts may hold nested templates.
      let close = i + 2;
      for (;;) {
        const d = src.charCodeAt(close);
        if (Number.isNaN(d)) err('unterminated raw template string', start);
        if (d === 96) break;
        if (d === 92 && src[close + 1] === '{') {
          close += 2;
          continue;
        }
        if (d === 123) {
          close = skipBraces(src, close, err);
          continue;
        }
        close++;
      }
      const body = src.slice(i + 2, close);
      i = close + 1;
      push('template', src.slice(start, i), body);
      for (let j = 0; j < body.length; j++) if (body.charCodeAt(j) === 10) line++, (lineStart = start + 2 + j + 1);
      continue;
    }
    if (c === 36 /* $ */ && src.charCodeAt(i + 1) === 34) {
      i = scanTemplate(src, i + 1, err);
      push('template', src.slice(start, i), src.slice(start + 2, i - 1));
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS2.has(two) || OPS3.has(two)) {
      i += 2;
      push('op', two, two);
      continue;
    }
    const one = src[i]!;
    if (OPS1.has(one)) {
      i++;
      push('op', one, one);
      continue;
    }
    err(`illegal token`, start);
  }
  toks.push({ kind: 'eof', text: '', value: '', line, col: i - lineStart + 1, offset: i, end: i, nl: true, ws: true });
  return toks;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function scanNumber(src: string, i: number): number {
  const digits = (): void => {
    while (i < src.length && src.charCodeAt(i) >= 48 && src.charCodeAt(i) <= 57) i++;
  };
  digits();
  if (src[i] === '.' && /[0-9]/.test(src[i + 1] ?? '')) {
    i++;
    digits();
  }
  if (src[i] === 'e' || src[i] === 'E') {
    const save = i;
    i++;
    if (src[i] === '+' || src[i] === '-') i++;
    const d = i;
    digits();
    if (i === d) i = save;
  }
  return i;
}

function scanString(src: string, i: number, err: (m: string, at: number) => never): number {
  const start = i;
  i++;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      i += 2;
      continue;
    }
    if (Number.isNaN(c) || c === 10) err('non-terminated string', start);
    i++;
  }
}

/** Scans a template string body starting at its opening quote, skipping over {expr} parts. */
function scanTemplate(src: string, i: number, err: (m: string, at: number) => never): number {
  const start = i;
  i++;
  for (;;) {
    const c = src.charCodeAt(i);
    if (Number.isNaN(c)) err('non-terminated template string', start);
    if (c === 34) return i + 1;
    if (c === 92) {
      i += 2;
      continue;
    }
    if (c === 123) {
      i = skipBraces(src, i, err);
      continue;
    }
    i++;
  }
}

/** Skips a balanced {...} template expression starting at i, honouring nested strings and templates. */
export function skipBraces(src: string, i: number, err: (m: string, at: number) => never): number {
  const start = i;
  let depth = 0;
  for (;;) {
    const d = src.charCodeAt(i);
    if (Number.isNaN(d)) err('non-terminated template expression', start);
    if (d === 123 /* { */) depth++;
    else if (d === 125 /* } */) {
      if (--depth === 0) return i + 1;
    } else if (d === 36 /* $ */ && src.charCodeAt(i + 1) === 34) {
      i = scanTemplate(src, i + 1, err);
      continue;
    } else if (d === 36 && src.charCodeAt(i + 1) === 96) {
      // Nested raw template: its own {expr} parts may contain backquotes.
      let j = i + 2;
      while (j < src.length && src.charCodeAt(j) !== 96)
        j = src.charCodeAt(j) === 123 ? skipBraces(src, j, err) : j + 1;
      i = j + 1;
      continue;
    } else if (d === 34 /* " */) {
      i = scanString(src, i, err);
      continue;
    } else if (d === 96 /* ` */) {
      const close = src.indexOf('`', i + 1);
      if (close < 0) err('unterminated raw string', i);
      i = close + 1;
      continue;
    }
    i++;
  }
}
