// Builtin family "glob": gobwas/glob semantics (`*`, `**`, `?`, `[a-z]`, `[!a]`, `{a,b}`, `\`
// escapes, separators), compiled to RE2 patterns so matching stays linear.
import type { RE2JS } from 're2js';
import type { BuiltinDef } from './registry.js';
import { LRU, builtinError, elementError, oneOfError, str } from './operands.js';
import { compileRegex, quoteMeta } from './re2.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const cache = new LRU<string, RE2JS | Error>(256);

function classEscape(c: string): string {
  return /[\\\][^-]/.test(c) ? '\\' + c : c;
}

/** Translates a gobwas glob to an anchored RE2 pattern. */
export function globToRegex(pattern: string, seps: string[]): string {
  const chars = Array.from(pattern);
  let i = 0;
  const notSep = seps.length ? '[^' + seps.map(classEscape).join('') + ']' : '[\\s\\S]';

  function parseSeq(inTerms: boolean): string {
    let out = '';
    while (i < chars.length) {
      const c = chars[i]!;
      if (inTerms && (c === ',' || c === '}')) return out;
      i++;
      switch (c) {
        case '\\': {
          if (i >= chars.length) throw new Error('unexpected end of input');
          out += quoteMeta(chars[i++]!);
          break;
        }
        case '*':
          if (chars[i] === '*') {
            while (chars[i] === '*') i++;
            out += '[\\s\\S]*';
          } else out += notSep + '*';
          break;
        case '?':
          out += notSep;
          break;
        case '[': {
          let neg = false;
          if (chars[i] === '!') {
            neg = true;
            i++;
          }
          let cls = '';
          let closed = false;
          while (i < chars.length) {
            const d = chars[i++]!;
            if (d === ']') {
              closed = true;
              break;
            }
            if (d === '\\' && i < chars.length) {
              cls += classEscape(chars[i++]!);
              continue;
            }
            if (chars[i] === '-' && i + 1 < chars.length && chars[i + 1] !== ']') {
              const hi = chars[i + 1]!;
              i += 2;
              if (hi < d) throw new Error(`invalid range: ${d}-${hi}`);
              cls += classEscape(d) + '-' + classEscape(hi);
              continue;
            }
            cls += classEscape(d);
          }
          if (!closed) throw new Error('unexpected end of input');
          if (cls === '') throw new Error('unexpected length of lo character');
          out += '[' + (neg ? '^' : '') + cls + ']';
          break;
        }
        case '{': {
          const alts: string[] = [];
          for (;;) {
            alts.push(parseSeq(true));
            if (i >= chars.length) throw new Error('unexpected end of input');
            const d = chars[i++]!;
            if (d === '}') break;
          }
          out += '(?:' + alts.join('|') + ')';
          break;
        }
        default:
          out += quoteMeta(c);
      }
    }
    if (inTerms) throw new Error('unexpected end of input');
    return out;
  }
  return '^' + parseSeq(false) + '$';
}

function compileGlob(pattern: string, seps: string[]): RE2JS {
  const id = pattern + '\u0000' + seps.join('');
  let g = cache.get(id);
  if (g === undefined) {
    try {
      g = compileRegex(globToRegex(pattern, seps));
    } catch (e) {
      g = e as Error;
    }
    cache.set(id, g);
  }
  if (g instanceof Error) throw g;
  return g;
}

builtins.push({
  name: 'glob.match',
  arity: 3,
  fn: ([a, b, c]) => {
    const pattern = str(1, a!);
    let seps: string[];
    if (b === null) seps = [];
    else if (Array.isArray(b)) {
      seps = [];
      for (const x of b) {
        if (typeof x !== 'string') throw elementError(2, b, x, 'string');
        if (Array.from(x).length !== 1) throw elementError(2, b, x, 'rune');
        seps.push(x);
      }
      if (seps.length === 0) seps = ['.'];
    } else throw oneOfError(2, b!, 'array', 'null');
    const s = str(3, c!);
    let g: RE2JS;
    try {
      g = compileGlob(pattern, seps);
    } catch (e) {
      throw builtinError((e as Error).message);
    }
    return g.re2().match(s);
  },
});

builtins.push({
  name: 'glob.quote_meta',
  arity: 1,
  fn: ([a]) => str(1, a!).replace(/[*?\\[\]{},]/g, '\\$&'),
});
