// Builtin family "types": is_* predicates and type_name.
import { BigNum, ObjectValue, SetValue, typeName, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const preds: [string, (v: Value) => boolean][] = [
  ['is_number', (v) => typeof v === 'number' || v instanceof BigNum],
  ['is_string', (v) => typeof v === 'string'],
  ['is_boolean', (v) => typeof v === 'boolean'],
  ['is_array', (v) => Array.isArray(v)],
  ['is_set', (v) => v instanceof SetValue],
  ['is_object', (v) => v instanceof ObjectValue],
  ['is_null', (v) => v === null],
];

for (const [name, p] of preds) builtins.push({ name, arity: 1, fn: ([a]) => p(a!) });

builtins.push({ name: 'type_name', arity: 1, fn: ([a]) => typeName(a!) });
