// Unit tests for builtin families A (strings, regex, glob, units, semver, time, aggregates,
// arrays, objects, types, casts, bits, random, graph): each builtin called through the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/rego/builtins/index.js';
import { BuiltinError } from '../../src/rego/builtins/operands.js';
import { compile, RegoError } from '../../src/rego/index.js';
import { lookupBuiltin, type BuiltinContext } from '../../src/rego/builtins/registry.js';
import { parseJSON } from '../../src/rego/json-parse.js';
import { SetValue, toJSON, type Value } from '../../src/rego/value.js';

function mkctx(): BuiltinContext {
  return { strict: true, queryCache: new Map(), nowNs: 1_700_000_000_123_456_789n, print() {} };
}
let ctx = mkctx();

function call(name: string, ...args: Value[]): Value | undefined {
  const b = lookupBuiltin(name);
  assert.ok(b, `builtin ${name} registered`);
  assert.equal(b.arity, args.length, `${name} arity`);
  if (b.fn) return b.fn(args, ctx);
  return [...b.multi!(args, ctx)];
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

test('strings: basics on code points', () => {
  assert.equal(call('concat', '/', J('["", "a", "b"]')), '/a/b');
  assert.equal(call('concat', ',', S('x')), 'x');
  fails(
    'concat',
    ['/', J('[1]')],
    'eval_type_error',
    'operand 2 must be array of strings but got array containing number',
  );
  assert.equal(call('indexof', 'skön var våren', 'vår'), 9);
  assert.equal(call('indexof', 'μ', 'μμ'), -1);
  fails('indexof', ['a', ''], 'eval_builtin_error', 'indexof: empty search character');
  assert.equal(json('indexof_n', '😇😀😇😀', '😀'), '[1,3]');
  assert.equal(call('substring', 'aåäö', 2, -1), 'äö');
  assert.equal(call('substring', 'abcdefgh', 2, 10000), 'cdefgh');
  fails('substring', ['aaa', -1, -1], 'eval_builtin_error', 'negative offset');
  assert.equal(call('strings.count', 'dummy', ''), 6);
  assert.equal(call('strings.count', '11111', '11'), 2);
  assert.equal(call('strings.reverse', '1😀𝛾'), '𝛾😀1');
  fails('strings.reverse', [123], 'eval_type_error', 'reverse: operand 1 must be string but got number');
  assert.equal(json('split', '', ''), '[]');
  assert.equal(json('split', 'test', ''), '["t","e","s","t"]');
  assert.equal(json('split', '', '.'), '[""]');
  assert.equal(call('replace', 'foo...bar', '..', ',,'), 'foo,,.bar');
  assert.equal(call('replace', 'ab', '', '-'), '-a-b-');
  assert.equal(call('strings.replace_n', J('{"f": "x", "foo": "xxx"}'), 'foobar'), 'xoobar');
  fails(
    'strings.replace_n',
    [J('{"f": 100}'), 'foo'],
    'eval_type_error',
    'operand 1 non-string value found in pattern object',
  );
  assert.equal(call('format_int', 15.5, 16), 'f');
  fails('format_int', [4.1, 199], 'eval_type_error', 'operand 2 must be one of {2, 8, 10, 16}');
  assert.equal(call('upper', 'AbCdEf'), 'ABCDEF');
  assert.equal(call('lower', 'ÅÄÖ'), 'åäö');
});

test('strings: trim family', () => {
  assert.equal(call('trim', '¡¡¡foo, bar!!!', '!¡'), 'foo, bar');
  assert.equal(call('trim', '...foo.bar...', '.fr'), 'oo.ba');
  assert.equal(call('trim_left', '¡¡¡foo, bar!!!', '!¡'), 'foo, bar!!!');
  assert.equal(call('trim_right', '¡¡¡foo, bar!!!', '!¡'), '¡¡¡foo, bar');
  assert.equal(call('trim_prefix', '¡¡¡foo, bar!!!', '¡¡¡foo'), ', bar!!!');
  assert.equal(call('trim_suffix', '¡¡¡foo, bar!!!', ', bar!!!'), '¡¡¡foo');
  assert.equal(call('trim_space', ' \t\n foo, bar \n\t\r\n'), 'foo, bar');
  assert.equal(call('trim_space', '\ufefffoo'), '\ufefffoo'); // Go's unicode.IsSpace excludes the BOM
});

test('strings: any_prefix_match / any_suffix_match', () => {
  assert.equal(call('strings.any_prefix_match', J('["a/b/c", "e/f/g"]'), J('["d/", "e/f/g"]')), true);
  assert.equal(call('strings.any_prefix_match', 'a/b/c', S('g/', 'd/')), false);
  assert.equal(call('strings.any_suffix_match', J('["a/b/c"]'), '/c'), true);
  fails(
    'strings.any_prefix_match',
    [J('[1]'), 'x'],
    'eval_type_error',
    'operand 1 must be array of strings but got array containing number',
  );
  fails(
    'strings.any_suffix_match',
    ['x', 1],
    'eval_type_error',
    'operand 2 must be one of {string, set, array} but got number',
  );
});

test('sprintf: Go fmt verbs', () => {
  const f = (fmt: string, args: string) => call('sprintf', fmt, J(args));
  assert.equal(f('hi %02X.%02X', '[127, 1]'), 'hi 7F.01');
  assert.equal(f('hi %.2f', '[3.1415]'), 'hi 3.14');
  assert.equal(f('hi %02d', '[5]'), 'hi 05');
  assert.equal(f('%s', '[123456789123456789123]'), '123456789123456789123');
  assert.equal(f('hi %v', '[["there", 5, 3.14]]'), 'hi ["there", 5, 3.14]');
  assert.equal(f('%v', '[{"a": [1, {"b": null}]}]'), '{"a": [1, {"b": null}]}');
  assert.equal(call('sprintf', '%v', [S(1, 2)]), '{1, 2}');
  assert.equal(call('sprintf', '%v', [S()]), 'set()');
  assert.equal(f('%s %v', '[true, "raw"]'), 'true raw');
  assert.equal(f('%d', '[1.5]'), '%!d(float64=1.5)');
  assert.equal(f('%s', '[2]'), '%!s(int=2)');
  assert.equal(f('%t', '[true]'), '%!t(string=true)');
  assert.equal(f('%d %d', '[1]'), '1 %!d(MISSING)');
  assert.equal(f('x', '[1, "a"]'), 'x%!(EXTRA int=1, string=a)');
  assert.equal(f('%v %v', '[0.00001, 1234567.5]'), '1e-05 1.2345675e+06');
  assert.equal(
    f('%e|%g|%x|%o|%b|%q|%c', '[1234.5678, 0.5, 255, 8, 5, "a\\"b", 65]'),
    '1.234568e+03|0.5|ff|10|101|"a\\"b"|A',
  );
  assert.equal(f('%5s|%-5s|%.2s|%05d|%+d|%x', '["ab", "ab", "abc", -42, 5, "hi"]'), '   ab|ab   |ab|-0042|+5|6869');
  assert.equal(f('%%', '[]'), '%');
  assert.equal(f('%[2]d %[1]d', '[1, 2]'), '2 1');
  assert.equal(f('%[2]*[1]d|', '[12, 5]'), '   12|');
  assert.equal(f('%[3]d', '[1]'), '%!d(BADINDEX)');
  assert.equal(f('a%99999999dz', '[1]'), 'a%!(NOVERB)%!(EXTRA int=1)');
  fails('sprintf', ['%v', 1], 'eval_type_error', 'sprintf: operand 2 must be array but got number');
});

test('render_template and template strings', () => {
  const r = (t: string, v: string) => call('strings.render_template', t, J(v));
  assert.equal(r('{{.test}}', '{"test": "hello world"}'), 'hello world');
  assert.equal(r('{{.test}}', '{"test": 2023}'), '2023');
  assert.equal(
    r(
      '{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}',
      '{"hellonames": ["rohan", "john doe"]}',
    ),
    'hello rohan,hello john doe',
  );
  assert.equal(r('test {{.foo}} {{.bar}} {{.baz}}', '{"baz": 1}'), 'test <undefined> <undefined> 1');
  assert.equal(r('{{if .a}}A{{else if .b}}B{{else}}C{{end}}', '{"b": true}'), 'B');
  assert.equal(r('{{- .a -}} x', '{"a": "y"}'), 'yx');
  const ts = (parts: Value[]) => call('internal.template_string', parts);
  assert.equal(ts(['a=', S(1), ' b=', S(), ' c=', S(J('["x"]'))]), 'a=1 b=<undefined> c=["x"]');
});

test('regex (RE2 semantics)', () => {
  assert.equal(call('regex.match', '^[a-z]+\\[[0-9]+\\]$', 'foo[1]'), true);
  assert.equal(call('regex.match', '', 'x'), true);
  fails('regex.match', ['$^[[[', 'x'], 'eval_builtin_error', 'error parsing regexp: missing closing ]');
  fails('regex.match', ['(?<=a)b', 'ab'], 'eval_builtin_error', 'regex.match: ');
  assert.equal(call('regex.is_valid', '++'), false);
  assert.equal(call('regex.is_valid', 10), false);
  assert.equal(call('regex.is_valid', '(?P<n>a)\\z'), true);
  assert.equal(json('regex.split', 'a', 'banana'), '["b","n","n",""]');
  assert.equal(json('regex.split', '^[a-z]+', 'foobar baz'), '[""," baz"]');
  assert.equal(json('regex.split', '^[a-z]+\\[[0-9]+\\]$', ''), '[""]');
  assert.equal(json('regex.find_n', 'a.', 'paranormal', -1), '["ar","an","al"]');
  assert.equal(json('regex.find_n', 'a.', 'paranormal', 0), '[]');
  assert.equal(
    json('regex.find_all_string_submatch_n', '[^aouiye]([aouiye])([^aouiye])?', 'somestri', -1),
    '[["som","o","m"],["ri","i",""]]',
  );
  assert.equal(call('regex.replace', '-wy-wxxy-', 'w(x*)y', '0'), '-0-0-');
  assert.equal(call('regex.replace', 'foo', '(foo)', '$1$1'), 'foofoo');
  assert.equal(call('regex.replace', 'foo', '(?P<x>o)', '[${x}]$1x$$'), 'f[o]$[o]$');
  assert.equal(call('regex.replace', 'foo', '^[a-z]', 'F'), 'Foo');
  assert.equal(call('regex.replace', 'foo barx', '[a-z]{2}', '_'), '_o __');
  assert.equal(call('regex.template_match', 'urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}'), true);
  assert.equal(call('regex.template_match', 'urn:foo:<[0-9]+>', 'urn:foo:bar', '<', '>'), false);
});

test('regex.globs_match', () => {
  assert.equal(call('regex.globs_match', 'a.a.[0-9]+z', '.b.b2359825792*594823z'), true);
  assert.equal(call('regex.globs_match', '[a-z]+', '[0-9]*'), false);
  assert.equal(call('regex.globs_match', '[a-z]+\\[[0-9]+\\]', 'foo\\[1\\]'), true);
  assert.equal(call('regex.globs_match', '[a-z]+\\[[0-9]+\\]', 'foo["bar"]'), false);
  fails(
    'regex.globs_match',
    ['pqrs]', '[a-b]+'],
    'eval_builtin_error',
    "input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid",
  );
});

test('glob.match (gobwas semantics)', () => {
  const g = (p: string, d: Value, s: string) => call('glob.match', p, d, s);
  assert.equal(g('*.github.com', ['.'], 'api.github.com'), true);
  assert.equal(g('*.github.com', ['.'], 'api.cdn.github.com'), false);
  assert.equal(g('api.**.com', ['.'], 'api.cdn.github.com'), true);
  assert.equal(g('*', [], 'foo.bar'), false); // default delimiter is "."
  assert.equal(g('*', null, 'foo.bar'), true);
  assert.equal(g('?at', ['f'], 'fat'), false);
  assert.equal(g('[!a-c]at', [], 'fat'), true);
  assert.equal(g('{cat,bat,[fr]at}', [], 'rat'), true);
  assert.equal(g('{cat,bat,[fr]at}', [], 'at'), false);
  assert.equal(g('a\\*b', [], 'a*b'), true);
  assert.equal(g('a(b|c)$', [], 'a(b|c)$'), true); // regex metacharacters are literal
  fails('glob.match', ['*', 'x', 'a'], 'eval_type_error', 'operand 2 must be one of {array, null} but got string');
  assert.equal(call('glob.quote_meta', '*.github.com'), '\\*.github.com');
});

test('units', () => {
  assert.equal(call('units.parse', '500m'), 0.5);
  assert.equal(call('units.parse', '1.1Ki'), 1126.4);
  assert.equal(call('units.parse', '-3.5E2m'), -0.35);
  assert.equal(json('units.parse', '10Ei'), '11529215046068469760');
  assert.equal(call('units.parse', '"100TI"'), 109951162777600);
  fails('units.parse', ['G'], 'eval_builtin_error', 'units.parse: no amount provided');
  fails('units.parse', ['.5.2'], 'eval_builtin_error', 'units.parse: could not parse amount to a number');
  fails('units.parse', ['100 k'], 'eval_builtin_error', 'units.parse: spaces not allowed in resource strings');
  assert.equal(call('units.parse_bytes', '1.1KiB'), 1126);
  assert.equal(call('units.parse_bytes', '10KB'), 10000);
  assert.equal(call('units.parse_bytes', '4.5e1GiB'), 48318382080);
  assert.equal(call('units.parse_bytes', '1e-2KB'), 10);
  assert.equal(json('units.parse_bytes', '5E'), '5000000000000000000');
  fails('units.parse_bytes', ['0.0.0'], 'eval_builtin_error', 'could not parse byte amount to a number');
  fails('units.parse_bytes', ['12zz'], 'eval_builtin_error', 'byte unit zz not recognized');
});

test('semver', () => {
  assert.equal(call('semver.compare', '1.0.0', '2.0.0'), -1);
  assert.equal(call('semver.compare', '1.0.0-alpha.1', '1.0.0-alpha.beta'), -1);
  assert.equal(call('semver.compare', '1.0.0+build', '1.0.0'), 0);
  fails(
    'semver.compare',
    ['1', '1.0.0'],
    'eval_builtin_error',
    'semver.compare: operand 1: string "1" is not a valid SemVer',
  );
  assert.equal(call('semver.is_valid', '1.0.0'), true);
  assert.equal(call('semver.is_valid', 1), false);
});

test('time: parse and format with Go layouts', () => {
  const rfc = '2006-01-02T15:04:05Z07:00';
  assert.equal(json('time.parse_ns', rfc, '2017-06-02T19:00:00-07:00'), '1496455200000000000');
  assert.equal(json('time.parse_ns', rfc, '1677-09-21T00:12:43.145224192-00:00'), '-9223372036854775808');
  assert.equal(
    json('time.parse_ns', "01/02 03:04:05PM '06 -0700", "06/02 07:00:00PM '17 -0700"),
    '1496455200000000000',
  );
  assert.equal(json('time.parse_ns', 'RFC822Z', '02 Jun 17 19:00 -0700'), '1496455200000000000');
  assert.equal(json('time.parse_ns', '2006-01-02', '2020-02-29'), '1582934400000000000');
  fails(
    'time.parse_ns',
    [rfc, '2262-04-11T23:47:16.854775808-00:00'],
    'eval_builtin_error',
    'time outside of valid range',
  );
  fails('time.parse_ns', ['2006-01-02', '2021-02-29'], 'eval_builtin_error', 'day out of range');
  assert.equal(json('time.parse_rfc3339_ns', '1970-01-01T00:00:00-00:00'), '0');
  assert.equal(call('time.parse_duration_ns', '100ms'), 100000000);
  assert.equal(call('time.parse_duration_ns', '-1.5h'), -5400000000000);
  fails('time.parse_duration_ns', ['1x'], 'eval_builtin_error', 'time: unknown unit "x" in duration "1x"');
  const t = J('1670006453141828752');
  assert.equal(call('time.format', t), '2022-12-02T18:40:53.141828752Z');
  assert.equal(call('time.format', [t, 'Asia/Kolkata']), '2022-12-03T00:10:53.141828752+05:30');
  assert.equal(
    call('time.format', [t, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006']),
    'Sat Dec 03 00:10:53 +0530 2022',
  );
  assert.equal(call('time.format', [t, 'Asia/Kolkata', 'RFC1123Z']), 'Sat, 03 Dec 2022 00:10:53 +0530');
  assert.equal(
    call('time.format', [0, 'America/Los_Angeles', 'Monday January _2 3:4:5 pm .000 MST']),
    'Wednesday December 31 4:0:0 pm .000 PST',
  );
  fails('time.format', [[0, 'Nowhere/Special']], 'eval_builtin_error', 'unknown time zone Nowhere/Special');
  fails('time.format', [J('15829776000000000000000')], 'eval_builtin_error', 'timestamp too big');
});

test('time: calendar functions', () => {
  assert.equal(json('time.date', J('1517814000000000000')), '[2018,2,5]');
  assert.equal(json('time.date', [J('1517814000000000000'), 'America/Los_Angeles']), '[2018,2,4]');
  assert.equal(json('time.clock', [J('1517832000000000000'), 'America/New_York']), '[7,0,0]');
  assert.equal(call('time.weekday', J('1518350400000000000')), 'Sunday');
  assert.equal(json('time.add_date', J('1585852421593912000'), 3, 9, 12), '1705257221593912000');
  assert.equal(json('time.add_date', J('1585852421593912000'), -1, -1, -1), '1551465221593912000');
  fails('time.add_date', [0, 2262, 1, 1], 'eval_builtin_error', 'time outside of valid range');
  const day = (s: string) => call('time.parse_ns', '2006-01-02', s)!;
  assert.equal(json('time.diff', day('2020-02-02'), day('2020-03-01')), '[0,0,28,0,0,0]');
  assert.equal(json('time.diff', day('2004-02-29'), day('2005-03-01')), '[1,0,1,0,0,0]');
  // Go's time.Date on DST gaps and overlaps (America/New_York, 2023)
  assert.equal(json('time.add_date', [J('1678519800000000000'), 'America/New_York'], 0, 0, 1), '1678602600000000000');
  assert.equal(json('time.add_date', [J('1699165800000000000'), 'America/New_York'], 0, 0, 0), '1699162200000000000');
  assert.equal(json('time.clock', [J('1679000000000000000'), 'Europe/Berlin']), '[21,53,20]');
  ctx = mkctx();
  const now = call('time.now_ns');
  assert.equal(toJSON(now!), '1700000000123456789');
  assert.equal(lookupBuiltin('time.now_ns')!.reads, 'clock');
});

test('aggregates', () => {
  assert.equal(call('count', 'åäö'), 3);
  assert.equal(call('count', S(1, 2)), 2);
  fails('count', [null], 'eval_type_error', 'operand 1 must be one of {array, object, set, string} but got null');
  assert.equal(call('sum', J('[49649733057, 1]')), 49649733058);
  assert.equal(call('sum', J('[0.1, 0.2]')), 0.3);
  assert.equal(json('sum', J('[9007199254740993, 1]')), '9007199254740994');
  assert.equal(call('product', S(1, 2, 3, 4)), 24);
  fails(
    'sum',
    [J('[1, "a"]')],
    'eval_type_error',
    'operand 1 must be array of numbers but got array containing string',
  );
  assert.equal(call('max', J('[1, 3, 2]')), 3);
  assert.equal(call('min', J('[3, 2, 1, 4, 6, -7, 10]')), -7);
  assert.equal(call('max', J('[]')), undefined);
  assert.equal(json('sort', J('[4, "a", 3, null]')), '[null,3,4,"a"]');
  assert.equal(json('sort', S(3, 1, 2)), '[1,2,3]');
});

test('arrays', () => {
  assert.equal(json('array.concat', J('[1, 2]'), J('[3]')), '[1,2,3]');
  fails('array.concat', [J('{}'), J('[]')], 'eval_type_error', 'array.concat: operand 1 must be array but got object');
  assert.equal(json('array.slice', J('[1, 2, 3, 4, 5]'), 1, 3), '[2,3]');
  assert.equal(json('array.slice', J('[1, 2, 3, 4, 5]'), -4, -1), '[]');
  assert.equal(json('array.slice', J('[1, 2, 3, 4, 5]'), -1, 2), '[1,2]');
  assert.equal(json('array.slice', J('[1, 2, 3]'), 1000, 2000), '[]');
  assert.equal(json('array.reverse', J('[1, 2, 3]')), '[3,2,1]');
  assert.equal(json('array.flatten', J('[[1, [2]], 3, []]')), '[1,[2],3]');
});

test('objects', () => {
  assert.equal(json('object.get', J('{"a": {"b": [{"c": 1}]}}'), J('["a", "b", 0, "c"]'), 2), '1');
  assert.equal(json('object.get', J('{"a": 1}'), J('[]'), 2), '{"a":1}');
  assert.equal(json('object.get', J('{"a": 1}'), 'b', J('{"d": 1}')), '{"d":1}');
  fails('object.get', ['x', 'a', 1], 'eval_type_error', 'object.get: operand 1 must be object but got string');
  assert.equal(json('object.keys', J('{"b": 1, "a": 2}')), '["a","b"]');
  assert.equal(json('object.remove', J('{"a": 1, "b": 2, "c": 3}'), J('{"b": 0, "c": 0}')), '{"a":1}');
  fails(
    'object.remove',
    [J('{}'), 'x'],
    'eval_type_error',
    'operand 2 must be one of {object, set, array} but got string',
  );
  assert.equal(json('object.filter', J('{"a": 1, "b": 2, "e": 9}'), J('["a", "e", "z"]')), '{"a":1,"e":9}');
  assert.equal(
    json('object.union', J('{"a": {"b": {"c": 1}}, "e": 1}'), J('{"a": {"b": "foo", "b1": "bar"}, "d": 7, "e": 17}')),
    '{"a":{"b":"foo","b1":"bar"},"d":7,"e":17}',
  );
  assert.equal(json('object.union_n', J('[{"a": {"b": 2}}, {"a": 4}, {"a": {"c": 3}}]')), '{"a":{"c":3}}');
  fails(
    'object.union_n',
    [J('[{}, "baz"]')],
    'eval_type_error',
    'operand 1 must be array of objects but got array containing string',
  );
  assert.equal(call('object.subset', J('{"a": 5, "n": {"x": [6, 7, 8], "s": 1}}'), J('{"n": {"x": [7, 8]}}')), true);
  assert.equal(call('object.subset', J('[1, 2, 3, 4]'), J('[2, 4]')), false);
  assert.equal(call('object.subset', J('[1, 2, 3, 4]'), S(4, 2)), true);
  assert.equal(call('object.subset', S(1, 2, S('a')), S(S('a'))), true);
  fails(
    'object.subset',
    [S(1), J('[1]')],
    'eval_type_error',
    'both arguments object.subset must be of the same type or array and set',
  );
});

test('types and casts', () => {
  assert.equal(call('is_number', J('-42.0')), true);
  assert.equal(call('is_set', J('[1]')), false);
  assert.equal(call('is_null', null), true);
  assert.equal(call('type_name', S()), 'set');
  assert.equal(call('type_name', J('{}')), 'object');
  assert.equal(json('to_number', '-42.0'), '-42');
  assert.equal(json('to_number', '123456789012345678901'), '123456789012345678901');
  assert.equal(call('to_number', null), 0);
  assert.equal(call('to_number', true), 1);
  fails('to_number', ['broken'], 'eval_builtin_error', 'invalid syntax');
  fails(
    'to_number',
    ['-Infinity'],
    'eval_type_error',
    'to_number: operand 1 must be valid number string but got string',
  );
  fails(
    'to_number',
    [J('[]')],
    'eval_type_error',
    'operand 1 must be one of {null, boolean, number, string} but got array',
  );
});

test('bits (arbitrary precision)', () => {
  assert.equal(call('bits.and', 7, 9), 1);
  assert.equal(call('bits.or', 7, 9), 15);
  assert.equal(call('bits.xor', 42, 3), 41);
  assert.equal(call('bits.negate', 42), -43);
  assert.equal(call('bits.lsh', 2147483647, 1), 4294967294);
  assert.equal(json('bits.lsh', J('9223372036854775807'), 1), '18446744073709551614');
  assert.equal(call('bits.rsh', 8, 3), 1);
  fails(
    'bits.and',
    [7.2, 42],
    'eval_type_error',
    'bits.and: operand 1 must be integer number but got floating-point number',
  );
  fails(
    'bits.lsh',
    [7, -1],
    'eval_type_error',
    'bits.lsh: operand 2 must be an unsigned integer number but got a negative integer',
  );
});

test('rand and uuid', () => {
  ctx = mkctx();
  const a = call('rand.intn', 'key', 100) as number;
  assert.ok(Number.isInteger(a) && a >= 0 && a < 100);
  for (let i = 0; i < 20; i++) assert.equal(call('rand.intn', 'key', 100), a);
  assert.equal(call('rand.intn', 'zero', 0), 0);
  const u = call('uuid.rfc4122', 'k') as string;
  assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(call('uuid.rfc4122', 'k'), u);
  assert.notEqual(call('uuid.rfc4122', 'other'), u);
  ctx = mkctx();
  assert.equal(json('uuid.parse', '{00000000-0000-4000-8000-000000000000}'), '{"variant":"RFC4122","version":4}');
  assert.equal(
    json('uuid.parse', 'urn:uuid:000003e8-48b9-21ee-b200-325096b39f47'),
    '{"clocksequence":12800,"domain":"Person","id":1000,"macvariables":"local:unicast","nodeid":"32-50-96-b3-9f-47","time":1693566990121469600,"variant":"RFC4122","version":2}',
  );
  assert.equal(json('uuid.parse', '6bea8ef2d3d33cd184e09bab06a52ece'), '{"variant":"RFC4122","version":3}');
  assert.equal(call('uuid.parse', 'not-a-uuid'), undefined);
});

test('walk and graph', () => {
  assert.equal(json('walk', J('{"a": [1]}')), '[[[],{"a":[1]}],[["a"],[1]],[["a",0],1]]');
  assert.equal(json('walk', S(S(1))), '[[[],[[1]]],[[[1]],[1]],[[[1],1],1]]');
  assert.equal(
    json('graph.reachable', J('{"a": ["b"], "b": ["c"], "c": ["a"], "x": ["y"]}'), J('["a"]')),
    '["a","b","c"]',
  );
  assert.equal(json('graph.reachable', J('{"a": null}'), J('["a"]')), '["a"]');
  fails('graph.reachable', [J('{"a": []}'), 'a'], 'eval_type_error', 'operand 2 must be {array, set} but got string');
  const g = J(
    '{"one": ["two", "five"], "two": ["four"], "three": [""], "four": ["three"], "five": ["seven", "six"], "six": ["nine", "seven"], "seven": ["eight"], "eight": ["three"], "nine": [""]}',
  );
  assert.equal(
    json('graph.reachable_paths', g, S('one')),
    '[["one","five","seven","eight","three"],["one","five","six"],["one","five","six","nine"],["one","two","four","three"]]',
  );
  assert.equal(
    json('graph.reachable_paths', J('{"a": ["b"], "b": ["nonexistent"]}'), S('a', 'b')),
    '[["a","b"],["b"]]',
  );
});
