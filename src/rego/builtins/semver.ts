// Builtin family "semver": Semantic Versioning 2.0.0 validation and precedence.
import { register } from './registry.js';
import { builtinError, str } from './operands.js';

const ID = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)';
const SEMVER = new RegExp(
  `^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-(${ID}(?:\\.${ID})*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$`,
);

interface Version {
  core: bigint[];
  pre: string[];
}

export function parseSemver(s: string): Version | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return { core: [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)], pre: m[4] ? m[4].split('.') : [] };
}

export function compareSemver(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    if (a.core[i]! !== b.core[i]!) return a.core[i]! < b.core[i]! ? -1 : 1;
  }
  if (a.pre.length === 0 || b.pre.length === 0) {
    if (a.pre.length === b.pre.length) return 0;
    return a.pre.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.pre.length, b.pre.length);
  for (let i = 0; i < n; i++) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return BigInt(x) < BigInt(y) ? -1 : 1;
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.pre.length === b.pre.length ? 0 : a.pre.length < b.pre.length ? -1 : 1;
}

register({
  name: 'semver.is_valid',
  arity: 1,
  fn: ([a]) => typeof a === 'string' && parseSemver(a) !== undefined,
});

register({
  name: 'semver.compare',
  arity: 2,
  fn: ([a, b]) => {
    const name = 'semver.compare';
    const x = str(name, 1, a!);
    const y = str(name, 2, b!);
    const vx = parseSemver(x);
    if (!vx) throw builtinError(name, `operand 1: string ${JSON.stringify(x)} is not a valid SemVer`);
    const vy = parseSemver(y);
    if (!vy) throw builtinError(name, `operand 2: string ${JSON.stringify(y)} is not a valid SemVer`);
    return compareSemver(vx, vy);
  },
});
