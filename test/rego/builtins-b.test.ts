// Unit tests for builtin families B (encoding, json, crypto, jwt, net): each builtin called
// directly through the registry with inputs and outputs taken from OPA's documented behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/rego/builtins/index.js';
import { BuiltinError } from '../../src/rego/builtins/operands.js';
import { compile, RegoError } from '../../src/rego/index.js';
import { lookupBuiltin, type BuiltinContext } from '../../src/rego/builtins/registry.js';
import { parseJSON } from '../../src/rego/json-parse.js';
import { ObjectValue, SetValue, toJSON, type Value } from '../../src/rego/value.js';

const ctx: BuiltinContext = { strict: true, queryCache: new Map(), nowNs: 1_700_000_000_000_000_000n, print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const b = lookupBuiltin(name);
  assert.ok(b?.fn, `builtin ${name} registered`);
  return b.fn(args, ctx);
}

function json(name: string, ...args: Value[]): string {
  const v = call(name, ...args);
  return v === undefined ? 'undefined' : toJSON(v);
}

/**
 * The builtin fails with this code: called alone it throws the reason, and called from a policy
 * with strict builtin errors the evaluator reports OPA's text (the builtin's name, then the reason).
 */
function fails(name: string, args: Value[], code: string, text: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinError && e.code === code,
    `${name} should throw ${code}`,
  );
  const params = args.map((_, i) => `input[${i}]`).join(', ');
  const policy = compile([{ name: 'f.rego', text: `package f\nr := ${name}(${params})\n` }]);
  assert.throws(
    () => policy.evalRef('data.f.r', args, { strict: true }),
    (e: unknown) => e instanceof RegoError && e.code === code && e.detail.includes(text),
    `${name} should fail with ${code}: ${text}`,
  );
}

const J = (s: string): Value => parseJSON(s);
const S = (...xs: Value[]): SetValue => SetValue.from(xs);

test('base64 / base64url / hex', () => {
  assert.equal(call('base64.encode', 'subjects?_d'), 'c3ViamVjdHM/X2Q=');
  assert.equal(call('base64.decode', 'aGVsbG8='), 'hello');
  assert.equal(call('base64.is_valid', "{'x'}"), false);
  fails('base64.decode', ['aGVsbG8'], 'eval_builtin_error', 'illegal base64 data at input byte 4');
  assert.equal(call('base64url.encode', 'there'), 'dGhlcmU=');
  assert.equal(call('base64url.encode_no_pad', 'hello'), 'aGVsbG8');
  assert.equal(call('base64url.decode', 'aGVsbG8'), 'hello');
  assert.equal(call('hex.encode', 'lorem ipsum'), '6c6f72656d20697073756d');
  fails('hex.decode', ['fghijkl'], 'eval_builtin_error', "invalid byte: U+0067 'g'");
  fails('hex.decode', ['abc'], 'eval_builtin_error', 'odd length hex string');
});

test('urlquery', () => {
  assert.equal(call('urlquery.encode', 'a=b+1 c'), 'a%3Db%2B1+c');
  assert.equal(call('urlquery.decode', 'a%3Db%2B1'), 'a=b+1');
  fails('urlquery.decode', ['%zz'], 'eval_builtin_error', 'invalid URL escape "%zz"');
  assert.equal(
    call('urlquery.encode_object', ObjectValue.fromRecord({ c: 'd', a: ['b+1', 'c+2'], e: S('f') })),
    'a=b%2B1&a=c%2B2&c=d&e=f',
  );
  assert.equal(json('urlquery.decode_object', 'a=1&b&a=2'), '{"a":["1","2"],"b":[""]}');
});

test('json and yaml marshalling', () => {
  assert.equal(
    call('json.marshal', [ObjectValue.fromRecord({ foo: S(3, 1, 2), '<': '&' })]),
    '[{"\\u003c":"\\u0026","foo":[1,2,3]}]',
  );
  assert.equal(
    call(
      'json.marshal_with_options',
      ObjectValue.fromRecord({ foo: 'bar', bar: 'baz' }),
      ObjectValue.fromRecord({ prefix: 'P ' }),
    ),
    'P {\nP \t"bar": "baz",\nP \t"foo": "bar"\nP }',
  );
  assert.equal(call('json.marshal_with_options', [[]], ObjectValue.fromRecord({ indent: '  ' })), '[\n  []\n]');
  fails(
    'json.marshal_with_options',
    [[], ObjectValue.fromRecord({ nope: true })],
    'eval_type_error',
    'object contained unknown key "nope"',
  );
  assert.equal(json('json.unmarshal', '{"a":[1,2.5,123456789012345678901]}'), '{"a":[1,2.5,123456789012345678901]}');
  assert.deepEqual(
    [call('json.is_valid', '{'), call('json.is_valid', '{"a":1}'), call('json.is_valid', 1)],
    [false, true, false],
  );
  const y = call('yaml.marshal', [ObjectValue.fromRecord({ foo: S(1, 2, 3) })]) as string;
  assert.equal(json('yaml.unmarshal', y), '[{"foo":[1,2,3]}]');
  fails('yaml.unmarshal', ['[1,2,3'], 'eval_builtin_error', 'yaml: line 1: did not find');
  assert.equal(call('yaml.is_valid', 'a: {'), false);
});

test('json.filter / json.remove', () => {
  const doc = J('{"a": {"b": {"c": 7, "d": 8}}, "e": 9}');
  assert.equal(json('json.filter', doc, S('a/b/c', 'e')), '{"a":{"b":{"c":7}},"e":9}');
  assert.equal(
    json('json.filter', J('{"a": [{"b": 7, "c": 8}, {"d": 9}]}'), S('a/0/b', 'a/1')),
    '{"a":[{"b":7},{"d":9}]}',
  );
  assert.equal(json('json.remove', doc, [['a', 'b', 'c'], 'e']), '{"a":{"b":{"d":8}}}');
  assert.equal(json('json.remove', J('{"a": {"b": 7}, "c": 1}'), S('a', 'a/b')), '{"c":1}');
  fails('json.remove', ['foo', S('a')], 'eval_type_error', 'json.remove: operand 1 must be object but got string');
  fails('json.remove', [doc, 22], 'eval_type_error', 'operand 2 must be one of {set, array} but got number');
  fails(
    'json.remove',
    [doc, ['a', 1]],
    'eval_type_error',
    'containing string paths or array of path segments but got number',
  );
});

test('json.patch', () => {
  const p = (doc: Value, ops: string) => json('json.patch', doc, J(ops));
  assert.equal(
    p(J('{"foo": ["bar", "baz"]}'), '[{"op": "add", "path": "/foo/1", "value": "qux"}]'),
    '{"foo":["bar","qux","baz"]}',
  );
  assert.equal(p(J('[1, 2, [3, [4, 5]]]'), '[{"op": "add", "path": "/2/1/-", "value": 6}]'), '[1,2,[3,[4,5,6]]]');
  assert.equal(p(J('{"/": 9, "~1": 10}'), '[{"op": "test", "path": "/~01", "value": 10}]'), '{"/":9,"~1":10}');
  assert.equal(
    p(J('{"foo": 1, "baz": [1]}'), '[{"op": "move", "from": "/foo", "path": "/bar"}]'),
    '{"bar":1,"baz":[1]}',
  );
  assert.equal(p(J('["foo", "sil"]'), '[{"op": "add", "path": "/3", "value": "bar"}]'), 'undefined');
  assert.equal(p(J('["foo", "bar"]'), '[{"op": "test", "path": "/01", "value": "bar"}]'), 'undefined');
  assert.equal(
    p(ObjectValue.fromRecord({ foo: S('a', 'b') }), '[{"op": "add", "path": "foo/c", "value": "c"}]'),
    '{"foo":["a","b","c"]}',
  );
  assert.equal(
    p(ObjectValue.fromRecord({ foo: S('a', 'b') }), '[{"op": "add", "path": "foo/c", "value": "d"}]'),
    'undefined',
  );
});

test('json schema', () => {
  const schema = J('{"properties": {"id": {"type": "integer"}}, "required": ["id"]}');
  assert.equal(json('json.match_schema', J('{"id": 5}'), schema), '[true,[]]');
  assert.equal(
    json('json.match_schema', '{"id": "x"}', schema),
    '[false,[{"desc":"Invalid type. Expected: integer, given: string","error":"id: Invalid type. Expected: integer, given: string","field":"id","type":"invalid_type"}]]',
  );
  assert.equal(json('json.verify_schema', '{"type": "boolean"}'), '[true,null]');
  assert.match(
    json('json.verify_schema', J('{"type": "nope"}')),
    /has a primitive type that is NOT VALID -- given: \/nope\//,
  );
});

test('crypto hashes and hmac', () => {
  assert.equal(call('crypto.md5', 'lorem ipsum'), '80a751fde577028640c419000e33eba6');
  assert.equal(call('crypto.sha1', 'lorem ipsum'), 'bfb7759a67daeb65410490b4d98bb9da7d1ea2ce');
  assert.equal(
    call('crypto.sha256', 'lorem ipsum'),
    '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269',
  );
  assert.equal(
    call('crypto.hmac.sha256', 'foo', 'bar'),
    '147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851',
  );
  assert.equal(call('crypto.hmac.md5', 'foo', 'bar'), '31b6db9e5eb4addb42f1a6ca07367adc');
  assert.equal(call('crypto.hmac.equal', 'abc', 'abc'), true);
  assert.equal(call('crypto.hmac.equal', 'abc', 'ab'), false);
  fails('crypto.x509.parse_certificates', ['YmFkc3RyaW5n'], 'eval_builtin_error', 'x509: malformed certificate');
  fails('crypto.x509.parse_certificates', ['foobar'], 'eval_builtin_error', 'illegal base64');
  assert.equal(call('crypto.parse_private_keys', ''), null);
  assert.equal(json('crypto.parse_private_keys', 'nope'), '[]');
});

test('jwt', () => {
  const key =
    '{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}';
  const tok = call(
    'io.jwt.encode_sign_raw',
    '{"typ":"JWT",\r\n "alg":"HS256"}',
    '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}',
    key,
  );
  // RFC 7515 appendix A.1
  assert.equal(
    tok,
    'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  );
  const signed = call(
    'io.jwt.encode_sign',
    ObjectValue.fromRecord({ alg: 'HS256', typ: 'JWT' }),
    ObjectValue.fromRecord({ iss: 'opa', exp: 2e9 }),
    ObjectValue.fromRecord({ kty: 'oct', k: 'c2VjcmV0' }),
  ) as string;
  assert.equal(
    json('io.jwt.decode', signed).startsWith('[{"alg":"HS256","typ":"JWT"},{"exp":2000000000,"iss":"opa"},"'),
    true,
  );
  assert.equal(call('io.jwt.verify_hs256', signed, 'secret'), true);
  assert.equal(call('io.jwt.verify_hs256', signed, 'wrong'), false);
  assert.equal(
    json('io.jwt.decode_verify', signed, ObjectValue.fromRecord({ secret: 'secret', iss: 'opa' })),
    '[true,{"alg":"HS256","typ":"JWT"},{"exp":2000000000,"iss":"opa"}]',
  );
  assert.equal(
    json('io.jwt.decode_verify', signed, ObjectValue.fromRecord({ secret: 'secret', time: 3e18 })),
    '[false,{},{}]',
  );
  fails('io.jwt.decode', ['abc'], 'eval_builtin_error', 'encoded JWT had no period separators');
  fails('io.jwt.decode', ['a.b'], 'eval_builtin_error', 'encoded JWT must have 3 sections, found 2');
  fails('io.jwt.decode_verify', [signed, ObjectValue.fromRecord({})], 'eval_builtin_error', 'no key constraint');
  fails('io.jwt.encode_sign_raw', ['{"alg":"dummy"}', '{}', key], 'eval_builtin_error', 'unknown JWS algorithm: dummy');
  fails(
    'io.jwt.encode_sign_raw',
    ['{"typ":"JWT","alg":"HS256"}', 'e', key],
    'eval_builtin_error',
    'type is JWT but payload is not JSON',
  );
  fails(
    'io.jwt.verify_rs256',
    [signed, '-----BEGIN FOO-----\nAAAA\n-----END FOO-----'],
    'eval_builtin_error',
    'failed to extract a Key from the PEM certificate',
  );
});

test('net.cidr_*', () => {
  assert.equal(call('net.cidr_contains', '10.0.0.0/8', '10.1.2.3'), true);
  assert.equal(call('net.cidr_contains', '2001:4860::/96', '2001:4860::/32'), false);
  assert.equal(call('net.cidr_intersects', 'fd1e:5bfe:8af3:9ddc::/64', 'fd1e:5bfe:8af3:9ddc:1111::/72'), true);
  fails('net.cidr_expand', ['192.168.1.1/33'], 'eval_builtin_error', 'invalid CIDR address: 192.168.1.1/33');
  assert.equal(
    json('net.cidr_expand', '172.16.100.255/30'),
    '["172.16.100.252","172.16.100.253","172.16.100.254","172.16.100.255"]',
  );
  assert.deepEqual(
    ['192.168.1.0/24', '', '192.168.1.2', '2002::1234:abcd:ffff:c0a8:101/64'].map((s) => call('net.cidr_is_valid', s)),
    [true, false, false, true],
  );
  assert.equal(json('net.cidr_merge', ['192.0.2.112/30', '192.0.2.116/31', '192.0.2.118/31']), '["192.0.2.112/29"]');
  assert.equal(json('net.cidr_merge', ['::/0', '::192.0.2.0/124', 'ff00::101/128']), '["::/0"]');
  assert.equal(json('net.cidr_merge', ['192.0.128.0', '192.0.129.0']), '["192.0.128.0/23"]');
  fails('net.cidr_merge', [['2601:600::1']], 'eval_builtin_error', 'IPv6 invalid: needs prefix length');
  assert.equal(
    json('net.cidr_contains_matches', ObjectValue.fromRecord({ k1: '1.1.1.1/24', k2: ['1.1.1.2/24', 1] }), '1.1.1.128'),
    '[["k1","1.1.1.128"],["k2","1.1.1.128"]]',
  );
  fails(
    'net.cidr_contains_matches',
    [['1.1.1.0/24'], [1]],
    'eval_builtin_error',
    'operand 2: element must be string or non-empty array',
  );
});

test('graphql', () => {
  assert.equal(
    json('graphql.parse_query', '{hero {name}}'),
    '{"Operations":[{"Name":"","Operation":"query","SelectionSet":[{"Alias":"hero","Name":"hero","SelectionSet":[{"Alias":"name","Name":"name"}]}]}]}',
  );
  assert.equal(
    json('graphql.parse_schema', 'type Hello { world(flag: Boolean = true): String }'),
    '{"Definitions":[{"BuiltIn":false,"Description":"","Fields":[{"Arguments":[{"DefaultValue":{"ExpectedTypeHasDefault":false,"Kind":5,"Raw":"true"},"Description":"","Name":"flag","Type":{"NamedType":"Boolean","NonNull":false}}],"Description":"","Name":"world","Type":{"NamedType":"String","NonNull":false}}],"Kind":"OBJECT","Name":"Hello"}]}',
  );
  fails(
    'graphql.parse_query',
    ['{'],
    'eval_builtin_error',
    'Expected Name, found <EOF> in GraphQL string at location 1:2',
  );
  fails(
    'graphql.parse_schema',
    ['type Hello {}'],
    'eval_builtin_error',
    'expected at least one definition, found } in GraphQL string at location 1:13',
  );
  const schema = 'type Query { action(kind: Kind!): Result } type Result { id: String } enum Kind { A B }';
  assert.equal(call('graphql.is_valid', '{ action(kind: A) { id } }', schema), true);
  assert.equal(call('graphql.is_valid', '{ action { id } }', schema), false);
  assert.equal(call('graphql.is_valid', '{ action(kind: C) { id } }', schema), false);
  assert.equal(call('graphql.is_valid', '{ nope }', schema), false);
  fails(
    'graphql.parse',
    ['{ action { id } }', schema],
    'eval_builtin_error',
    'Field "action" argument "kind" of type "Kind!" is required, but it was not provided in GraphQL string at location 1:3',
  );
  assert.deepEqual(
    [call('graphql.schema_is_valid', schema), call('graphql.schema_is_valid', 'union U = Missing')],
    [true, false],
  );
  assert.equal(json('graphql.parse_and_verify', '{ nope }', schema), '[false,{},{}]');
});

test('providers.aws.sign_req', () => {
  const cfg = ObjectValue.fromRecord({
    aws_access_key: 'MYAWSACCESSKEYGOESHERE',
    aws_secret_access_key: 'MYAWSSECRETACCESSKEYGOESHERE',
    aws_service: 's3',
    aws_region: 'us-east-1',
  });
  const out = call(
    'providers.aws.sign_req',
    ObjectValue.fromRecord({ method: 'get', url: 'http://example.com' }),
    cfg,
    1451311705000000000,
  ) as ObjectValue;
  const headers = out.get('headers') as ObjectValue;
  assert.equal(
    headers.get('Authorization'),
    'AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3',
  );
  assert.equal(headers.get('x-amz-date'), '20151228T140825Z');
  fails(
    'providers.aws.sign_req',
    [ObjectValue.fromRecord({}), cfg, 1],
    'eval_type_error',
    'operand 1 missing required request parameters(s): {"method", "url"}',
  );
  fails(
    'providers.aws.sign_req',
    [ObjectValue.fromRecord({ method: 'get', url: 'x' }), new ObjectValue(), 1],
    'eval_type_error',
    'operand 2 missing required AWS config parameters(s)',
  );
});

test('rego.parse_module', () => {
  const m = call('rego.parse_module', 'x.rego', 'package foo.bar\nimport data.a\np if { a = true }') as ObjectValue;
  assert.equal(
    toJSON((m.get('package') as ObjectValue).get('path')!),
    '[{"type":"var","value":"data"},{"type":"string","value":"foo"},{"type":"string","value":"bar"}]',
  );
  fails(
    'rego.parse_module',
    ['x.rego', 'package foo.'],
    'eval_builtin_error',
    'rego_parse_error: unexpected eof token: expected ident',
  );
});
