// Builtin family "units": units.parse (SI and binary SI, exact rationals) and units.parse_bytes.
import { intValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, str } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const MAX_EXPONENT_DIGITS = 6;

/** Splits "10.5Ki" into ["10.5", "Ki"] as OPA's extractNumAndUnit does; null when the exponent is too long. */
function extractNumAndUnit(s: string): [string, string] | null {
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!isDigit(c) && c !== '.' && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      first = i;
      break;
    }
    if (c === 'e' || c === 'E') {
      const nx = s[i + 1];
      if (i === s.length - 1 || (!isDigit(nx) && nx !== '+' && nx !== '-')) {
        first = i;
        break;
      }
      if (nx === '+' || nx === '-') i++;
      let e = i + 1;
      while (e < s.length && isDigit(s[e])) e++;
      if (e - (i + 1) > MAX_EXPONENT_DIGITS) return null;
    }
  }
  if (first === -1) return [s, ''];
  if (first === 0) return ['', s];
  return [s.slice(0, first), s.slice(first)];
}

interface Rat {
  n: bigint;
  d: bigint;
}

/** Parses a decimal number (optionally with exponent) exactly; undefined when malformed. */
function parseRat(s: string): Rat | undefined {
  const m = /^([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return undefined;
  const [ip, fp = ''] = m[2]!.split('.');
  let n = BigInt((ip || '0') + fp);
  let d = 10n ** BigInt(fp.length);
  const exp = m[3] ? parseInt(m[3], 10) : 0;
  if (Math.abs(exp) > 100000) return undefined;
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  if (m[1] === '-') n = -n;
  return { n, d };
}

function ratToValue(r: Rat): Value {
  if (r.n % r.d === 0n) return intValue(r.n / r.d);
  // FloatString(10): rounded to 10 decimals, then read as a number
  const neg = r.n < 0n;
  const a = neg ? -r.n : r.n;
  const scaled = (a * 10n ** 10n * 2n + r.d) / (2n * r.d); // round half up
  const ip = scaled / 10n ** 10n;
  const fp = (scaled % 10n ** 10n).toString().padStart(10, '0');
  return Number((neg ? '-' : '') + ip.toString() + '.' + fp);
}

const K = 1000n;
const SI: Record<string, bigint> = {
  '': 1n,
  k: K,
  K: K,
  M: K ** 2n,
  g: K ** 3n,
  G: K ** 3n,
  t: K ** 4n,
  T: K ** 4n,
  p: K ** 5n,
  P: K ** 5n,
  e: K ** 6n,
  E: K ** 6n,
};
const BIN: Record<string, bigint> = {
  k: 1n << 10n,
  m: 1n << 20n,
  g: 1n << 30n,
  t: 1n << 40n,
  p: 1n << 50n,
  e: 1n << 60n,
};

builtins.push({
  name: 'units.parse',
  arity: 1,
  fn: ([a]) => {
    const s = str(1, a!).replaceAll('"', '');
    if (s.includes(' ')) throw builtinError('spaces not allowed in resource strings');
    const parts = extractNumAndUnit(s);
    if (!parts) throw builtinError('exponent too large');
    const [numText, rawUnit] = parts;
    if (numText === '') throw builtinError('no amount provided');
    const unit = rawUnit.length > 1 ? rawUnit[0] + rawUnit.slice(1).toLowerCase() : rawUnit;
    let mul: Rat;
    if (unit === 'm') mul = { n: 1n, d: 1000n };
    else if (unit in SI) mul = { n: SI[unit]!, d: 1n };
    else if (unit.length === 2 && unit[1] === 'i' && unit[0]!.toLowerCase() in BIN)
      mul = { n: BIN[unit[0]!.toLowerCase()]!, d: 1n };
    else throw builtinError(`unit ${unit} not recognized`);
    const r = parseRat(numText);
    if (!r) throw builtinError('could not parse amount to a number');
    return ratToValue({ n: r.n * mul.n, d: r.d * mul.d });
  },
});

builtins.push({
  name: 'units.parse_bytes',
  arity: 1,
  fn: ([a]) => {
    const s = str(1, a!).toLowerCase().replaceAll('"', '');
    if (s.includes(' ')) throw builtinError('spaces not allowed in resource strings');
    const parts = extractNumAndUnit(s);
    if (!parts) throw builtinError('exponent too large');
    const [numText, unit] = parts;
    if (numText === '') throw builtinError('no byte amount provided');
    let mul: bigint;
    if (unit === '') mul = 1n;
    else if (/^[kmgtpe]b?$/.test(unit)) mul = SI[unit[0]!.toUpperCase()]!;
    else if (/^[kmgtpe]ib?$/.test(unit)) mul = BIN[unit[0]!]!;
    else throw builtinError(`byte unit ${unit} not recognized`);
    const r = parseRat(numText);
    if (!r) throw builtinError('could not parse byte amount to a number');
    return intValue((r.n * mul) / r.d);
  },
});
