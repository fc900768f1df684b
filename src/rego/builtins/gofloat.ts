// strconv.FormatFloat(v, fmt, prec, 64) for fmt in b e E f F g G x X. Shortest digits come from
// JS (both produce the shortest round-tripping digits); explicit precisions round the exact
// binary value half-to-even, as Go does (JS toFixed/toExponential round ties away from zero).

interface Digits {
  d: string; // significant digits, no leading zeros ("0" for zero)
  dp: number; // decimal point position: value = 0.d × 10^dp
}

function bits(v: number): { neg: boolean; mant: bigint; exp: number } {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const neg = hi >>> 31 === 1;
  const e = (hi >>> 20) & 0x7ff;
  const mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return { neg, mant, exp: e };
}

/** The exact decimal expansion of |v| (finite, non-zero). */
function exactDigits(v: number): Digits {
  const { mant, exp } = bits(v);
  let m: bigint;
  let e: number;
  if (exp === 0) {
    m = mant;
    e = -1074;
  } else {
    m = mant | (1n << 52n);
    e = exp - 1075;
  }
  let s: string;
  let dp: number;
  if (e >= 0) {
    s = (m << BigInt(e)).toString();
    dp = s.length;
  } else {
    s = (m * 5n ** BigInt(-e)).toString();
    dp = s.length + e;
  }
  return trim({ d: s, dp });
}

function trim(x: Digits): Digits {
  let d = x.d;
  let dp = x.dp;
  let i = 0;
  while (i < d.length - 1 && d[i] === '0') i++;
  d = d.slice(i);
  dp -= i;
  d = d.replace(/0+$/, '');
  if (d === '') return { d: '0', dp: 1 };
  return { d, dp };
}

/** Rounds to n significant digits, half to even. */
function roundSig(x: Digits, n: number): Digits {
  if (x.d.length <= n) return x;
  if (n < 0) return { d: '0', dp: 1 };
  const next = x.d.charCodeAt(n) - 48;
  const rest = /[1-9]/.test(x.d.slice(n + 1));
  const prevOdd = n > 0 && (x.d.charCodeAt(n - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && (rest || prevOdd));
  if (n === 0) return up ? { d: '1', dp: x.dp + 1 } : { d: '0', dp: 1 };
  let d = x.d.slice(0, n);
  let dp = x.dp;
  if (up) {
    const inc = (BigInt(d) + 1n).toString();
    if (inc.length > n) {
      d = '1';
      dp++;
    } else d = inc.padStart(n, '0');
  }
  return trim({ d, dp });
}

function shortest(v: number): Digits {
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(v).toExponential())!;
  return trim({ d: m[1]! + (m[2] ?? ''), dp: parseInt(m[3]!, 10) + 1 });
}

function expStr(exp: number, ch: string): string {
  const a = Math.abs(exp);
  return ch + (exp < 0 ? '-' : '+') + (a < 10 ? '0' + a : String(a));
}

/** %e with `prec` digits after the point (prec < 0: as many as the digits need). */
function fmtE(x: Digits, prec: number, ch: string): string {
  const isZero = x.d === '0';
  let s = x.d[0]!;
  const frac = prec < 0 ? x.d.slice(1) : x.d.slice(1).padEnd(prec, '0').slice(0, prec);
  if (frac.length > 0) s += '.' + frac;
  return s + expStr(isZero ? 0 : x.dp - 1, ch);
}

/** %f with `prec` digits after the point (prec < 0: as many as the digits need). */
function fmtF(x: Digits, prec: number): string {
  const isZero = x.d === '0';
  let ip: string;
  if (isZero || x.dp <= 0) ip = '0';
  else ip = x.d.slice(0, x.dp).padEnd(x.dp, '0');
  let fp = '';
  if (!isZero) {
    if (x.dp < 0) fp = '0'.repeat(-x.dp) + x.d;
    else fp = x.d.slice(x.dp);
  }
  if (prec >= 0) fp = fp.padEnd(prec, '0').slice(0, prec);
  return fp.length > 0 ? ip + '.' + fp : ip;
}

export function goFormatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? '-' : '';
  if (fmt === 'b') return sign + fmtB(v);
  if (fmt === 'x' || fmt === 'X') return sign + fmtX(Math.abs(v), prec, fmt === 'X');
  const zero = v === 0;
  const sh = prec < 0;
  switch (fmt) {
    case 'e':
    case 'E': {
      const x = zero ? { d: '0', dp: 1 } : sh ? shortest(v) : roundSig(exactDigits(v), prec + 1);
      return sign + fmtE(x, sh ? -1 : prec, fmt);
    }
    case 'f':
    case 'F': {
      if (zero) return sign + fmtF({ d: '0', dp: 1 }, sh ? -1 : prec);
      if (sh) return sign + fmtF(shortest(v), -1);
      const ex = exactDigits(v);
      const x = roundFixed(ex, prec);
      return sign + fmtF(x, prec);
    }
    default: {
      // g / G
      let p = prec === 0 ? 1 : prec;
      const x = zero ? { d: '0', dp: 1 } : sh ? shortest(v) : roundSig(exactDigits(v), p);
      let eprec = p;
      if (sh) {
        p = x.d.length;
        eprec = 6;
      } else if (eprec > x.d.length && x.d.length >= x.dp) eprec = x.d.length;
      const exp = x.dp - 1;
      if (!zero && (exp < -4 || exp >= eprec)) {
        if (p > x.d.length) p = x.d.length;
        return sign + fmtE(x, p - 1, fmt === 'G' ? 'E' : 'e');
      }
      if (p > x.dp) p = x.d.length;
      return sign + fmtF(x, Math.max(p - x.dp, 0));
    }
  }
}

/** Rounds to `prec` digits after the decimal point, half to even. */
function roundFixed(x: Digits, prec: number): Digits {
  const n = x.dp + prec;
  if (n < 0) return { d: '0', dp: 1 };
  return roundSig(x, n);
}

function fmtB(v: number): string {
  const { mant, exp } = bits(v);
  if (exp === 0) return `${mant}p-1074`;
  const m = mant | (1n << 52n);
  const e = exp - 1075;
  return `${m}p${e >= 0 ? '+' : '-'}${Math.abs(e)}`;
}

function fmtX(a: number, prec: number, upper: boolean): string {
  let out: string;
  if (a === 0) {
    out = '0x0' + (prec > 0 ? '.' + '0'.repeat(prec) : '') + 'p+00';
  } else {
    const { mant, exp } = bits(a);
    let m: bigint;
    let e: number;
    if (exp === 0) {
      m = mant;
      e = -1074;
    } else {
      m = mant | (1n << 52n);
      e = exp - 1075;
    }
    // normalise so that m has its leading bit at position 60 (1 hex digit + 15 fraction digits)
    while (m < 1n << 60n) {
      m <<= 1n;
      e--;
    }
    e += 60;
    if (prec >= 0 && prec < 15) {
      const shift = BigInt(60 - 4 * prec);
      const half = 1n << (shift - 1n);
      const rem = m & ((1n << shift) - 1n);
      m >>= shift;
      if (rem > half || (rem === half && (m & 1n) === 1n)) m++;
      m <<= shift;
      if (m >= 1n << 61n) {
        m >>= 1n;
        e++;
      }
    }
    let frac = (m & ((1n << 60n) - 1n)).toString(16).padStart(15, '0');
    if (prec < 0) frac = frac.replace(/0+$/, '');
    else frac = frac.slice(0, prec).padEnd(prec, '0');
    out = '0x1' + (frac ? '.' + frac : '') + 'p' + (e >= 0 ? '+' : '-') + String(Math.abs(e)).padStart(2, '0');
  }
  return upper ? out.toUpperCase() : out;
}
