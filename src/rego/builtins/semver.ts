// Builtin family "semver": OPA's SemVer parsing (optional "v" prefix, int64 major/minor/patch,
// [0-9A-Za-z-] dot-separated pre-release and metadata identifiers) and precedence.
import type { BuiltinDef } from './registry.js';
import { builtinError, str } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const META = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64_MAX = (1n << 63n) - 1n;

interface Version {
  core: bigint[];
  pre: string;
}

function cut(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i >= 0 ? [s.slice(0, i), s.slice(i + 1)] : [s, ''];
}

export function parseSemver(input: string): Version | undefined {
  const [release, meta] = cut(input.startsWith('v') ? input.slice(1) : input, '+');
  if (meta !== '' && !META.test(meta)) return undefined;
  const [v, pre] = cut(release, '-');
  if (pre !== '' && !META.test(pre)) return undefined;
  const parts = v.split('.');
  if (parts.length !== 3) return undefined;
  const core: bigint[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return undefined;
    const n = BigInt(p);
    if (n > INT64_MAX) return undefined;
    core.push(n);
  }
  return { core, pre };
}

export function compareSemver(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    if (a.core[i]! !== b.core[i]!) return a.core[i]! < b.core[i]! ? -1 : 1;
  }
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  const xs = a.pre.split('.');
  const ys = b.pre.split('.');
  for (let i = 0; ; i++) {
    const x = xs[i] ?? '';
    const y = ys[i] ?? '';
    if (x === '' && y !== '') return -1;
    if (x !== '' && y === '') return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && !yn) return -1;
    if (!xn && yn) return 1;
    if (xn && yn) {
      const c = BigInt(x) - BigInt(y);
      if (c !== 0n) return c > 0n ? 1 : -1;
    } else if (x !== y) return x > y ? 1 : -1;
    const moreX = i + 1 < xs.length;
    const moreY = i + 1 < ys.length;
    if (moreX && !moreY) return 1;
    if (!moreX && moreY) return -1;
    if (!moreX && !moreY) return 0;
  }
}

builtins.push({
  name: 'semver.is_valid',
  arity: 1,
  fn: ([a]) => typeof a === 'string' && parseSemver(a) !== undefined,
});

builtins.push({
  name: 'semver.compare',
  arity: 2,
  fn: ([a, b]) => {
    const x = str(1, a!);
    const y = str(2, b!);
    const vx = parseSemver(x);
    if (!vx) throw builtinError(`operand 1: string ${JSON.stringify(x)} is not a valid SemVer`);
    const vy = parseSemver(y);
    if (!vy) throw builtinError(`operand 2: string ${JSON.stringify(y)} is not a valid SemVer`);
    return compareSemver(vx, vy);
  },
});
