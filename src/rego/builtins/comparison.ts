// Builtin family "comparison" (engine): ==, !=, <, <=, >, >= over OPA's total value order.
import { compare, equal, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

builtins.push({ name: 'equal', arity: 2, fn: ([a, b]) => equal(a!, b!) });
builtins.push({ name: 'neq', arity: 2, fn: ([a, b]) => !equal(a!, b!) });
builtins.push({ name: 'lt', arity: 2, fn: ([a, b]) => compare(a!, b!) < 0 });
builtins.push({ name: 'lte', arity: 2, fn: ([a, b]) => compare(a!, b!) <= 0 });
builtins.push({ name: 'gt', arity: 2, fn: ([a, b]) => compare(a!, b!) > 0 });
builtins.push({ name: 'gte', arity: 2, fn: ([a, b]) => compare(a!, b!) >= 0 });

export type { Value };
