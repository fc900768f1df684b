// Loads every builtin family; each file registers its builtins when imported.
// Owners: core.ts, comparison.ts, arithmetic.ts, sets.ts (engine); strings … graph (family A);
// encoding … graphql (family B). Add a family by adding its import here.
import './core.js';
import './comparison.js';
import './arithmetic.js';
import './sets.js';

import './strings.js';
import './regex.js';
import './glob.js';
import './units.js';
import './semver.js';
import './time.js';
import './aggregates.js';
import './arrays.js';
import './objects.js';
import './types.js';
import './casts.js';
import './bits.js';
import './random.js';
import './graph.js';

import './encoding.js';
import './json.js';
import './crypto.js';
import './jwt.js';
import './net.js';
import './providers-aws.js';
import './graphql.js';
import './rego.js';

export { lookupBuiltin, builtinNames, register, BuiltinError } from './registry.js';
export type { BuiltinDef, BuiltinContext } from './registry.js';
