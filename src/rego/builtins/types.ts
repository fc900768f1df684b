// Builtin family "types": is_* predicates and type_name.
import { BigNum, ObjectValue, SetValue, typeName, type Value } from '../value.js';
import { register } from './registry.js';

const preds: [string, (v: Value) => boolean][] = [
  ['is_number', (v) => typeof v === 'number' || v instanceof BigNum],
  ['is_string', (v) => typeof v === 'string'],
  ['is_boolean', (v) => typeof v === 'boolean'],
  ['is_array', (v) => Array.isArray(v)],
  ['is_set', (v) => v instanceof SetValue],
  ['is_object', (v) => v instanceof ObjectValue],
  ['is_null', (v) => v === null],
];

for (const [name, p] of preds) register({ name, arity: 1, fn: ([a]) => p(a!) });

register({ name: 'type_name', arity: 1, fn: ([a]) => typeName(a!) });
