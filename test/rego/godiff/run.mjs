// Differential tests of builtin families A against Go's standard library (fmt, time, regexp,
// strings, strconv), which OPA's builtins are built on. Optional: needs a Go toolchain, which
// CI does not have. Usage, after `npx tsc -p tsconfig.json`:
//   node test/rego/godiff/run.mjs [seed]
// It builds main.go (a JSON-lines oracle), generates random cases, and prints mismatches.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '../../../dist/src/rego');
const { goSprintf, goQuote } = await import(join(dist, 'builtins/sprintf.js'));
const { formatTime, parseTime, parseDuration, loadZone, LAYOUTS } = await import(join(dist, 'builtins/go-time.js'));
const { compileRegex, regexSplit, findAllStringSubmatch, replaceAll } = await import(join(dist, 'builtins/re2.js'));
const { goLower, goUpper, goCount, goReplace, trimLeftFn, trimRightFn, isGoSpace } = await import(join(dist, 'builtins/strings.js'));
const { BigNum } = await import(join(dist, 'value.js'));

const oracle = join(tmpdir(), `rego-godiff-${process.pid}`);
const build = spawnSync('go', ['build', '-o', oracle, '.'], { cwd: here, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('go build failed (is a Go toolchain installed?)');
  process.exit(2);
}

let seed = Number(process.argv[2] ?? 1);
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const pick = (a) => a[rnd(a.length)];
const cases = [];

// ---- fmt.Sprintf, with arguments converted as OPA converts Rego values
{
  const verbs = ['v', 'd', 's', 'x', 'X', 'o', 'b', 'e', 'E', 'f', 'F', 'g', 'G', 'q', 'c', 'U', 't', 'O'];
  const flags = ['', '', '-', '+', '#', ' ', '0', '-0', '+0', '# ', '0#'];
  const ints = ['0', '1', '-1', '42', '-255', '65', '1234567', '-9007199254740991', '9223372036854775807'];
  const bigs = ['123456789123456789123', '-99999999999999999999999'];
  const floats = ['3.14159', '-2.5', '0.5', '1.5', '0.00001234', '123456.789', '1e-7', '1e300', '2.5e20', '0.1', '1e21'];
  const strs = ['', 'abc', 'héllo', 'a"b', 'tab\there', '日本語', '😀x', '\u0001\u007f', 'true'];
  const arg = () => {
    const t = pick(['int', 'int', 'float', 'float', 'string', 'string', 'big']);
    if (t === 'int' || t === 'big') {
      const v = pick(t === 'int' ? ints : bigs);
      const n = BigInt(v);
      return { g: { t, v }, r: n >= -(2n ** 53n) + 1n && n <= 2n ** 53n - 1n ? Number(n) : new BigNum(n) };
    }
    const v = pick(t === 'float' ? floats : strs);
    return { g: { t, v }, r: t === 'float' ? Number(v) : v };
  };
  for (let i = 0; i < 6000; i++) {
    let format = pick(['', 'x=', 'a ']);
    const nVerbs = 1 + rnd(2);
    for (let j = 0; j < nVerbs; j++) {
      format += '%' + pick(flags);
      if (rnd(3) === 0) format += String(rnd(12));
      if (rnd(3) === 0) format += '.' + (rnd(4) === 0 ? '' : String(rnd(8)));
      format += pick(verbs) + pick(['', ' ', '|']);
    }
    const args = Array.from({ length: nVerbs + rnd(3) - 1 }, arg);
    cases.push({ c: { k: 'sprintf', format, args: args.map((a) => a.g) }, mine: () => goSprintf(format, args.map((a) => a.r)) });
  }
}

// ---- time.Format / time.Parse / time.ParseDuration
{
  const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney', 'America/Sao_Paulo', 'Europe/London', 'Pacific/Chatham', 'Asia/Kathmandu', 'Europe/Dublin', 'Asia/Jerusalem'];
  const elems = ['2006', '06', '01', '1', 'Jan', 'January', '02', '2', '_2', 'Mon', 'Monday', '15', '03', '3', '04', '4', '05', '5', 'PM', 'pm', 'MST', 'Z07:00', '-07:00', '-0700', 'Z0700', '-07', '.000', '.999999999', '.9', '002', '__2', ',000', ' ', '-', 'T', ':'];
  for (let i = 0; i < 3000; i++) {
    const ns = (946684800n + BigInt(rnd(950000000))) * 1000000000n + BigInt(rnd(1e9)) - (rnd(4) === 0 ? 2n ** 61n : 0n);
    const zone = pick(zones);
    let layout = rnd(5) === 0 ? pick(Object.values(LAYOUTS)) : '';
    if (!layout) for (let j = 2 + rnd(8); j > 0; j--) layout += pick(elems);
    const mst = layout.includes('MST') && ns < 0n; // historical zone names: ICU lacks many
    if (mst) continue;
    cases.push({ c: { k: 'format', ns: ns.toString(), zone, layout }, mine: () => formatTime(ns, loadZone(zone), layout) });
  }
  const layouts = [...Object.values(LAYOUTS), '2006-01-02', '2006-01-02 15:04:05', "01/02 03:04:05PM '06 -0700", '2006-002', '3:04pm'];
  for (let i = 0; i < 2000; i++) {
    const ns = BigInt(rnd(2 ** 30)) * BigInt(rnd(2 ** 30)) * (rnd(2) ? 1n : -1n) + BigInt(rnd(1e9));
    const layout = pick(layouts);
    let value = formatTime(ns, loadZone(pick(['UTC', 'America/New_York', 'Asia/Kolkata'])), layout);
    if (rnd(6) === 0) value = value.replace(/\d/, (d) => String((+d + rnd(9)) % 10));
    const mine = () => {
      try {
        const r = parseTime(layout, value);
        return r < -(1n << 63n) || r >= 1n << 63n ? 'RANGE' : r.toString();
      } catch {
        return 'ERR';
      }
    };
    cases.push({ c: { k: 'parse', layout, value }, mine });
  }
  for (const value of ['1h', '1.5h', '-2m3s', '100ms', '1us', '1µs', '0', '-0', '+5s', '1x', '', '1', '.5s', '1.s', '9223372037s', 'h']) {
    const mine = () => {
      try {
        return parseDuration(value).toString();
      } catch (e) {
        return 'ERR ' + e.message;
      }
    };
    cases.push({ c: { k: 'duration', value }, mine });
  }
}

// ---- regexp: MatchString, Split, FindAllStringSubmatch, ReplaceAllString
{
  const atoms = ['a', 'b', '.', '\\d', '\\w', '\\s', '[a-c]', '[^a]', '(a|b)', '(x*)', '(?P<n>b)', '^', '$', '\\b', 'é', '😀', '\\pL', '(?i)A', '[[:digit:]]', '\\.', '(?:ab)', 'a{2}'];
  const quants = ['', '', '', '*', '+', '?', '*?', '+?', '{1,2}'];
  const inputs = ['', 'a', 'ab', 'aab b', 'banana', 'a1b2 c3', 'xxaxxbxx', 'é😀a', 'A a', 'line1\nline2'];
  const repls = ['X', '$1', '${1}x', '$n', '$$', '[$0]', '$1x', '$', '${n}'];
  for (let i = 0; i < 4000; i++) {
    let pat = '';
    for (let j = 1 + rnd(4); j > 0; j--) {
      const a = pick(atoms);
      pat += a + (/^[\^$]|\\b$|^\(\?i\)/.test(a) ? '' : pick(quants));
    }
    const value = pick(inputs);
    const repl = pick(repls);
    const mine = () => {
      let re;
      try {
        re = compileRegex(pat);
      } catch {
        return 'ERR';
      }
      const sub = findAllStringSubmatch(re, value, -1);
      return JSON.stringify([re.re2().match(value), regexSplit(re, value), sub.length ? sub : null, replaceAll(re, value, repl)]);
    };
    cases.push({ c: { k: 'regex', pat, value, repl }, mine });
  }
}

// ---- strings / strconv
{
  const chars = ['a', 'b', 'A', ' ', '\t', '\n', '\u00a0', '\u0085', '\u2003', '\ufeff', 'é', 'É', 'ß', 'İ', 'ı', 'ǅ', 'Σ', 'ς', '😀', '\u0001', '"', '\\', '.', '\u2028'];
  const str = (n) => Array.from({ length: n }, () => pick(chars)).join('');
  const inSet = (c) => {
    const s = new Set(Array.from(c));
    return (ch) => s.has(ch);
  };
  const space = (ch) => isGoSpace(ch.codePointAt(0));
  const ops = {
    trim: (a) => trimRightFn(trimLeftFn(a[0], inSet(a[1])), inSet(a[1])),
    trimleft: (a) => trimLeftFn(a[0], inSet(a[1])),
    trimright: (a) => trimRightFn(a[0], inSet(a[1])),
    trimspace: (a) => trimRightFn(trimLeftFn(a[0], space), space),
    lower: (a) => goLower(a[0]),
    upper: (a) => goUpper(a[0]),
    count: (a) => String(goCount(a[0], a[1])),
    split: (a) => JSON.stringify(a[1] === '' ? Array.from(a[0]) : a[0].split(a[1])),
    replace: (a) => {
      const p = [];
      for (let i = 1; i + 1 < a.length; i += 2) p.push([a[i], a[i + 1]]);
      return goReplace(a[0], p);
    },
    quote: (a) => goQuote(a[0]),
  };
  for (let i = 0; i < 4000; i++) {
    const op = pick(Object.keys(ops));
    const s = [str(rnd(8)), str(rnd(3))];
    // non-empty olds: Go's Replacer splits multi-byte runes around empty olds (invalid UTF-8)
    if (op === 'replace') for (let j = rnd(3); j >= 0; j--) s.push(str(1 + rnd(2)), str(rnd(3)));
    if (op === 'replace') s.splice(1, 1);
    cases.push({ c: { k: 'str', op, s }, mine: () => ops[op](s) });
  }
}

const input = cases.map((x) => JSON.stringify(x.c)).join('\n') + '\n';
const res = spawnSync(oracle, { input, maxBuffer: 1 << 28 });
spawnSync('rm', ['-f', oracle]);
if (res.status !== 0) {
  console.error(res.stderr.toString());
  process.exit(2);
}
const outs = res.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
let bad = 0;
for (let i = 0; i < cases.length; i++) {
  let m;
  try {
    m = cases[i].mine();
  } catch (e) {
    m = 'THROW ' + e.message;
  }
  if (m !== outs[i]) {
    if (bad++ < 30) console.log(JSON.stringify(cases[i].c), '\n  go:', JSON.stringify(outs[i]), '\n  ts:', JSON.stringify(m));
  }
}
console.log(`${cases.length - bad} of ${cases.length} cases agree with Go`);
process.exit(bad ? 1 : 0);
