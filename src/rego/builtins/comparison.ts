// Builtin family "comparison" (engine): ==, !=, <, <=, >, >= over OPA's total value order.
import { compare, equal, type Value } from '../value.js';
import { register } from './registry.js';

register({ name: 'equal', arity: 2, fn: ([a, b]) => equal(a!, b!) });
register({ name: 'neq', arity: 2, fn: ([a, b]) => !equal(a!, b!) });
register({ name: 'lt', arity: 2, fn: ([a, b]) => compare(a!, b!) < 0 });
register({ name: 'lte', arity: 2, fn: ([a, b]) => compare(a!, b!) <= 0 });
register({ name: 'gt', arity: 2, fn: ([a, b]) => compare(a!, b!) > 0 });
register({ name: 'gte', arity: 2, fn: ([a, b]) => compare(a!, b!) >= 0 });

export type { Value };
