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

function re(pattern: string): RE2JS {
  try {
    return compileRegex(pattern);
  } catch (e) {
    throw builtinError((e as Error).message) as BuiltinError;
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
    const p = str(1, a!);
    const s = str(2, b!);
    return re(p).re2().match(s);
  },
});

// Deprecated alias kept for v0 policies.
builtins.push({
  name: 're_match',
  arity: 2,
  deprecated: true,
  fn: ([a, b]) => {
    const p = str(1, a!);
    const s = str(2, b!);
    return re(p).re2().match(s);
  },
});

builtins.push({
  name: 'regex.split',
  arity: 2,
  fn: ([a, b]) => {
    const p = str(1, a!);
    const s = str(2, b!);
    return regexSplit(re(p), s);
  },
});

builtins.push({
  name: 'regex.find_n',
  arity: 3,
  fn: ([a, b, c]) => {
    const p = str(1, a!);
    const s = str(2, b!);
    const n = intOperand(3, c!);
    return findAllString(re(p), s, n);
  },
});

builtins.push({
  name: 'regex.find_all_string_submatch_n',
  arity: 3,
  fn: ([a, b, c]) => {
    const p = str(1, a!);
    const s = str(2, b!);
    const n = intOperand(3, c!);
    return findAllStringSubmatch(re(p), s, n);
  },
});

builtins.push({
  name: 'regex.replace',
  arity: 3,
  fn: ([a, b, c]) => {
    const s = str(1, a!);
    const p = str(2, b!);
    const v = str(3, c!);
    return replaceAll(re(p), s, v);
  },
});

builtins.push({
  name: 'regex.template_match',
  arity: 4,
  fn: ([a, b, c, d]) => {
    const pattern = str(1, a!);
    const match = str(2, b!);
    const start = str(3, c!);
    const end = str(4, d!);
    const sl = Buffer.byteLength(start);
    const el = Buffer.byteLength(end);
    if (sl !== 1) throw builtinError(`start delimiter has to be exactly one character long but is ${sl} long`);
    if (el !== 1) throw builtinError(`end delimiter has to be exactly one character long but is ${sl} long`);
    let compiled: RE2JS;
    try {
      compiled = compileTemplate(pattern, start, end);
    } catch (e) {
      throw builtinError((e as Error).message);
    }
    return compiled.test(match);
  },
});

builtins.push({
  name: 'regex.globs_match',
  arity: 2,
  fn: ([a, b]) => {
    const g1 = str(1, a!);
    const g2 = str(2, b!);
    try {
      return globsIntersect(g1, g2);
    } catch (e) {
      throw builtinError((e as Error).message);
    }
  },
});
