// Every builtin family, added to the registry (registry.ts). The operators every policy is
// compiled to (core, comparison, arithmetic, sets) are added at once; every other family is
// declared by the names it defines and its module is loaded when the compiler first looks one
// of them up, so a process whose policies call no x509, JWT, GraphQL, JSON Schema or time
// builtin never loads their code (guarded by test/rego/builtin-families.test.ts; the load
// time and memory of the built-in pack are measured by bench/rego.ts).
//
// Loading is synchronous because compiling is: a lazy family is required (Node's require of an
// ES module), the way lazy.ts loads yaml and re2js. Where the runtime cannot require an ES
// module, every family is imported here up front instead.
import { createRequire } from 'node:module';
import * as arithmetic from './arithmetic.js';
import * as comparison from './comparison.js';
import * as core from './core.js';
import { addBuiltins, addLazyFamily, type BuiltinDef } from './registry.js';
import * as sets from './sets.js';

for (const family of [core, comparison, arithmetic, sets]) addBuiltins(family.builtins);

/** A family loaded on first use: its module (beside this file) and the names it defines. */
interface FamilyEntry {
  module: string;
  names: readonly string[];
}

export const lazyFamilies: readonly FamilyEntry[] = [
  {
    module: './strings.js',
    names: [
      'concat',
      'contains',
      'startswith',
      'endswith',
      'format_int',
      'indexof',
      'indexof_n',
      'substring',
      'strings.count',
      'lower',
      'upper',
      'split',
      'replace',
      'strings.replace_n',
      'trim',
      'trim_left',
      'trim_right',
      'trim_prefix',
      'trim_suffix',
      'trim_space',
      'sprintf',
      'strings.reverse',
      'strings.any_prefix_match',
      'strings.any_suffix_match',
      'strings.render_template',
      'internal.template_string',
    ],
  },
  {
    module: './regex.js',
    names: [
      'regex.is_valid',
      'regex.match',
      're_match',
      'regex.split',
      'regex.find_n',
      'regex.find_all_string_submatch_n',
      'regex.replace',
      'regex.template_match',
      'regex.globs_match',
    ],
  },
  {
    module: './glob.js',
    names: ['glob.match', 'glob.quote_meta'],
  },
  {
    module: './units.js',
    names: ['units.parse', 'units.parse_bytes'],
  },
  {
    module: './semver.js',
    names: ['semver.is_valid', 'semver.compare'],
  },
  {
    module: './time.js',
    names: [
      'time.now_ns',
      'time.parse_ns',
      'time.parse_rfc3339_ns',
      'time.parse_duration_ns',
      'time.format',
      'time.date',
      'time.clock',
      'time.weekday',
      'time.add_date',
      'time.diff',
    ],
  },
  {
    module: './aggregates.js',
    names: ['count', 'sum', 'product', 'max', 'min', 'sort', 'all', 'any'],
  },
  {
    module: './arrays.js',
    names: ['array.concat', 'array.slice', 'array.reverse', 'array.flatten'],
  },
  {
    module: './objects.js',
    names: [
      'object.get',
      'object.keys',
      'object.remove',
      'object.filter',
      'object.union',
      'object.union_n',
      'object.subset',
    ],
  },
  {
    module: './types.js',
    names: ['is_number', 'is_string', 'is_boolean', 'is_array', 'is_set', 'is_object', 'is_null', 'type_name'],
  },
  {
    module: './casts.js',
    names: ['to_number', 'cast_array', 'cast_set', 'cast_string', 'cast_boolean', 'cast_null', 'cast_object'],
  },
  {
    module: './bits.js',
    names: ['bits.and', 'bits.or', 'bits.xor', 'bits.negate', 'bits.lsh', 'bits.rsh'],
  },
  {
    module: './random.js',
    names: ['rand.intn', 'uuid.rfc4122', 'uuid.parse'],
  },
  {
    module: './graph.js',
    names: ['walk', 'graph.reachable', 'graph.reachable_paths'],
  },
  {
    module: './encoding.js',
    names: [
      'base64.encode',
      'base64.decode',
      'base64.is_valid',
      'base64url.encode',
      'base64url.encode_no_pad',
      'base64url.decode',
      'hex.encode',
      'hex.decode',
      'urlquery.encode',
      'urlquery.decode',
      'urlquery.encode_object',
      'urlquery.decode_object',
      'json.marshal',
      'json.marshal_with_options',
      'json.unmarshal',
      'json.is_valid',
      'yaml.marshal',
      'yaml.unmarshal',
      'yaml.is_valid',
    ],
  },
  {
    module: './json.js',
    names: ['json.filter', 'json.remove', 'json.patch'],
  },
  {
    module: './jsonschema.js',
    names: ['json.verify_schema', 'json.match_schema'],
  },
  {
    module: './crypto.js',
    names: [
      'crypto.md5',
      'crypto.sha1',
      'crypto.sha256',
      'crypto.hmac.md5',
      'crypto.hmac.sha1',
      'crypto.hmac.sha256',
      'crypto.hmac.sha512',
      'crypto.hmac.equal',
    ],
  },
  {
    module: './x509.js',
    names: [
      'crypto.x509.parse_certificates',
      'crypto.x509.parse_and_verify_certificates',
      'crypto.x509.parse_and_verify_certificates_with_options',
      'crypto.x509.parse_certificate_request',
      'crypto.parse_private_keys',
      'crypto.x509.parse_rsa_private_key',
      'crypto.x509.parse_keypair',
    ],
  },
  {
    module: './jwt.js',
    names: [
      'io.jwt.decode',
      'io.jwt.verify_rs256',
      'io.jwt.verify_rs384',
      'io.jwt.verify_rs512',
      'io.jwt.verify_ps256',
      'io.jwt.verify_ps384',
      'io.jwt.verify_ps512',
      'io.jwt.verify_es256',
      'io.jwt.verify_es384',
      'io.jwt.verify_es512',
      'io.jwt.verify_eddsa',
      'io.jwt.verify_hs256',
      'io.jwt.verify_hs384',
      'io.jwt.verify_hs512',
      'io.jwt.decode_verify',
      'io.jwt.encode_sign_raw',
      'io.jwt.encode_sign',
    ],
  },
  {
    module: './net.js',
    names: [
      'net.cidr_contains',
      'net.cidr_overlap',
      'net.cidr_intersects',
      'net.cidr_is_valid',
      'net.cidr_expand',
      'net.cidr_contains_matches',
      'net.cidr_merge',
    ],
  },
  {
    module: './providers-aws.js',
    names: ['providers.aws.sign_req'],
  },
  {
    module: './graphql.js',
    names: [
      'graphql.parse_query',
      'graphql.parse_schema',
      'graphql.parse',
      'graphql.parse_and_verify',
      'graphql.is_valid',
      'graphql.schema_is_valid',
    ],
  },
  {
    module: './rego.js',
    names: ['rego.parse_module'],
  },
];

const require = createRequire(import.meta.url);
const canRequireESM = (process.features as { require_module?: boolean }).require_module === true;
const preloaded = new Map<string, readonly BuiltinDef[]>();
if (!canRequireESM)
  for (const f of lazyFamilies)
    preloaded.set(f.module, ((await import(f.module)) as { builtins: readonly BuiltinDef[] }).builtins);

for (const f of lazyFamilies)
  addLazyFamily({
    name: f.module,
    names: f.names,
    load: () => preloaded.get(f.module) ?? (require(f.module) as { builtins: readonly BuiltinDef[] }).builtins,
  });
