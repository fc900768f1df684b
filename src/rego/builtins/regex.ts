// Builtin family "regex": RE2/Go regexp semantics via re2js.
import type { BuiltinDef } from './registry.js';
import { builtinError, intOperand, str, type BuiltinError } from './operands.js';
import {
  compileRegex,
  compileTemplate,
  findAllString,
  findAllStringSubmatch,
  isValidRegex,
  regexSplit,
  replaceAll,
} from './re2.js';
import { globsIntersect } from './globintersect.js';
import type { RE2JS } from 're2js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function re(name: string, pattern: string): RE2JS {
  try {
    return compileRegex(pattern);
  } catch (e) {
    throw builtinError(name, (e as Error).message) as BuiltinError;
  }
}

builtins.push({
  name: 'regex.is_valid',
  arity: 1,
  fn: ([a]) => typeof a === 'string' && isValidRegex(a),
});

builtins.push({
  name: 'regex.match',
  arity: 2,
  fn: ([a, b]) => {
    const p = str('regex.match', 1, a!);
    const s = str('regex.match', 2, b!);
    return re('regex.match', p).re2().match(s);
  },
});

// Deprecated alias kept for v0 policies.
builtins.push({
  name: 're_match',
  arity: 2,
  deprecated: true,
  fn: ([a, b]) => {
    const p = str('re_match', 1, a!);
    const s = str('re_match', 2, b!);
    return re('re_match', p).re2().match(s);
  },
});

builtins.push({
  name: 'regex.split',
  arity: 2,
  fn: ([a, b]) => {
    const p = str('regex.split', 1, a!);
    const s = str('regex.split', 2, b!);
    return regexSplit(re('regex.split', p), s);
  },
});

builtins.push({
  name: 'regex.find_n',
  arity: 3,
  fn: ([a, b, c]) => {
    const p = str('regex.find_n', 1, a!);
    const s = str('regex.find_n', 2, b!);
    const n = intOperand('regex.find_n', 3, c!);
    return findAllString(re('regex.find_n', p), s, n);
  },
});

builtins.push({
  name: 'regex.find_all_string_submatch_n',
  arity: 3,
  fn: ([a, b, c]) => {
    const name = 'regex.find_all_string_submatch_n';
    const p = str(name, 1, a!);
    const s = str(name, 2, b!);
    const n = intOperand(name, 3, c!);
    return findAllStringSubmatch(re(name, p), s, n);
  },
});

builtins.push({
  name: 'regex.replace',
  arity: 3,
  fn: ([a, b, c]) => {
    const s = str('regex.replace', 1, a!);
    const p = str('regex.replace', 2, b!);
    const v = str('regex.replace', 3, c!);
    return replaceAll(re('regex.replace', p), s, v);
  },
});

builtins.push({
  name: 'regex.template_match',
  arity: 4,
  fn: ([a, b, c, d]) => {
    const name = 'regex.template_match';
    const pattern = str(name, 1, a!);
    const match = str(name, 2, b!);
    const start = str(name, 3, c!);
    const end = str(name, 4, d!);
    const sl = Buffer.byteLength(start);
    const el = Buffer.byteLength(end);
    if (sl !== 1) throw builtinError(name, `start delimiter has to be exactly one character long but is ${sl} long`);
    if (el !== 1) throw builtinError(name, `end delimiter has to be exactly one character long but is ${sl} long`);
    let compiled: RE2JS;
    try {
      compiled = compileTemplate(pattern, start, end);
    } catch (e) {
      throw builtinError(name, (e as Error).message);
    }
    return compiled.test(match);
  },
});

builtins.push({
  name: 'regex.globs_match',
  arity: 2,
  fn: ([a, b]) => {
    const name = 'regex.globs_match';
    const g1 = str(name, 1, a!);
    const g2 = str(name, 2, b!);
    try {
      return globsIntersect(g1, g2);
    } catch (e) {
      throw builtinError(name, (e as Error).message);
    }
  },
});
