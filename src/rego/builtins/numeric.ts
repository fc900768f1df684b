// Exact-ish numeric helpers shared by families A: OPA sums and multiplies floats with
// arbitrary-precision decimals, so intermediate results are kept as exact rationals here.
import { BigNum, intValue } from '../value.js';

export interface Rat {
  n: bigint;
  d: bigint;
}

/** The exact rational of a number's shortest decimal text. */
export function toRat(v: number | BigNum): Rat {
  if (v instanceof BigNum) return { n: v.n, d: 1n };
  if (Number.isInteger(v)) return { n: BigInt(v), d: 1n };
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(v))!;
  const fp = m[3] ?? '';
  let n = BigInt(m[2]! + fp);
  let d = 10n ** BigInt(fp.length);
  const e = m[4] ? parseInt(m[4], 10) : 0;
  if (e > 0) n *= 10n ** BigInt(e);
  else if (e < 0) d *= 10n ** BigInt(-e);
  return { n: m[1] ? -n : n, d };
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b) [a, b] = [b, a % b];
  return a;
}

export function ratAdd(a: Rat, b: Rat): Rat {
  return norm({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
}

export function ratMul(a: Rat, b: Rat): Rat {
  return norm({ n: a.n * b.n, d: a.d * b.d });
}

function norm(r: Rat): Rat {
  const g = gcd(r.n, r.d);
  return g > 1n ? { n: r.n / g, d: r.d / g } : r;
}

/** A rational as a Rego number: exact integer when integral, else the nearest float. */
export function ratToNumber(r: Rat): number | BigNum {
  if (r.n % r.d === 0n) return intValue(r.n / r.d);
  const neg = r.n < 0n;
  const a = neg ? -r.n : r.n;
  // 25 significant digits, then let the JS parser round once.
  const intDigits = (a / r.d).toString().length;
  const k = Math.max(0, 25 - intDigits);
  const scaled = (a * 10n ** BigInt(k)) / r.d;
  return Number((neg ? '-' : '') + scaled.toString() + 'e-' + k);
}
