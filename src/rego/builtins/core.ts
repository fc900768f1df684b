// Builtin family "core" (engine): membership (`in`), assignment and unification operators
// (evaluated specially by the evaluator, declared here so arity checks and mocks see them).
import { ObjectValue, SetValue, equal, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { BuiltinError } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

/** `x in xs`: element of an array, value of an object, member of a set. */
function member(x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) return coll.some((v) => equal(v, x));
  if (coll instanceof SetValue) return coll.has(x);
  if (coll instanceof ObjectValue) return coll.values().some((v) => equal(v, x));
  return false;
}

/** `k, v in xs`: index/key k holds value v. */
function memberKV(k: Value, v: Value, coll: Value): boolean {
  if (Array.isArray(coll))
    return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < coll.length && equal(coll[k]!, v);
  if (coll instanceof ObjectValue) {
    const x = coll.get(k);
    return x !== undefined && equal(x, v);
  }
  if (coll instanceof SetValue) return coll.has(v) && equal(k, v);
  return false;
}

builtins.push({ name: 'internal.member_2', arity: 2, fn: ([x, c]) => member(x!, c!) });
builtins.push({ name: 'internal.member_3', arity: 3, fn: ([k, v, c]) => memberKV(k!, v!, c!) });
// eq / assign never reach these implementations: the evaluator unifies instead.
builtins.push({ name: 'eq', arity: 2, fn: ([a, b]) => equal(a!, b!) });
builtins.push({ name: 'assign', arity: 2, fn: ([a, b]) => equal(a!, b!) });

// ---------------------------------------------------------------------------------------------
// Runtime and network builtins. dockgate evaluates policies in-process next to the Docker API:
// a policy must not reach the network, so http.send validates its request (OPA's messages)
// and then fails; it is still declared so that policies compile and tests can mock it with
// `with http.send as ...`.

/** The request keys http.send accepts; providers.aws.sign_req takes the same request. */
export const HTTP_SEND_KEYS: ReadonlySet<string> = new Set([
  'method',
  'url',
  'body',
  'raw_body',
  'headers',
  'enable_redirect',
  'force_json_decode',
  'force_yaml_decode',
  'tls_use_system_certs',
  'tls_ca_cert',
  'tls_ca_cert_file',
  'tls_ca_cert_env_variable',
  'tls_client_cert',
  'tls_client_cert_file',
  'tls_client_cert_env_variable',
  'tls_client_key',
  'tls_client_key_file',
  'tls_client_key_env_variable',
  'tls_insecure_skip_verify',
  'tls_server_name',
  'timeout',
  'cache',
  'force_cache',
  'force_cache_duration_seconds',
  'raise_error',
  'caching_mode',
  'max_retry_attempts',
  'cache_ignored_headers',
]);

builtins.push({
  name: 'http.send',
  arity: 1,
  reads: 'network',
  fn: ([req]) => {
    if (!(req instanceof ObjectValue))
      throw new BuiltinError('eval_type_error', `operand 1 must be object but got ${typeof req}`);
    const bad = req.keys().filter((k) => typeof k !== 'string' || !HTTP_SEND_KEYS.has(k));
    if (bad.length > 0)
      throw new BuiltinError(
        'eval_type_error',
        `invalid request parameters(s): {${bad.map((k) => JSON.stringify(k)).join(', ')}}`,
      );
    const missing = ['method', 'url'].filter((k) => !req.has(k));
    if (missing.length > 0)
      throw new BuiltinError(
        'eval_type_error',
        `missing required request parameters(s): {${missing.map((k) => JSON.stringify(k)).join(', ')}}`,
      );
    throw new BuiltinError('eval_builtin_error', 'network access is disabled in dockgate policies');
  },
});

/** opa.runtime: dockgate exposes no environment or configuration to policies. */
builtins.push({ name: 'opa.runtime', arity: 0, reads: 'context', fn: () => new ObjectValue() });

/** test.sleep(duration): used by tests to check that time.now_ns is fixed within a query. */
builtins.push({
  name: 'test.sleep',
  arity: 1,
  reads: 'clock',
  fn: ([d]) => {
    const m = typeof d === 'string' ? /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(d) : null;
    if (!m) throw new BuiltinError('eval_type_error', 'operand 1 must be a duration string');
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    const ms = Math.min(Number(m[1]) * unit[m[2]!]!, 10_000);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    return null;
  },
});

/** trace(note): a Note in the evaluation trace when there is one, else the print output. */
builtins.push({
  name: 'trace',
  arity: 1,
  reads: 'context',
  fn: ([note], ctx) => {
    if (typeof note !== 'string')
      throw new BuiltinError(
        'eval_type_error',
        'operand 1 must be string but got ' + (note === null ? 'null' : typeof note),
      );
    // Traced (dockgate test --explain): a Note, as OPA records it; otherwise the print output.
    if (ctx.note?.(note) !== true) ctx.print(note);
    return true;
  },
});
