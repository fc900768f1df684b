// Builtin family "net" (family B): net.cidr_* with Go's net package semantics.
// Addresses are 128-bit bigints; IPv4 lives in the v4-mapped range ::ffff:0:0/96 as Go's
// 16-byte form does, and `v4` records whether Go would treat the address as IPv4 (To4 != nil).
import { ObjectValue, SetValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { builtinError, str } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

const V4_PREFIX = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

interface IP {
  n: bigint; // 128-bit value
  v4: boolean; // To4() != nil
}

interface Net {
  ip: IP; // network address (masked), or unmasked for an IP given with its default mask
  bits: number; // prefix length in the family's own width (32 or 128)
}

function isV4Mapped(n: bigint): boolean {
  return n >> 32n === 0xffffn;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function parseIPv6(s: string): bigint | undefined {
  let groups: number[] = [];
  let ellipsis = -1;
  let i = 0;
  if (s.startsWith('::')) {
    ellipsis = 0;
    i = 2;
    if (i === s.length) return 0n;
  }
  while (i < s.length) {
    // an embedded IPv4 tail
    const rest = s.slice(i);
    if (rest.includes('.') && !rest.includes(':')) {
      const v4 = parseIPv4(rest);
      if (v4 === undefined || groups.length > 6) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      i = s.length;
      break;
    }
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return undefined;
    groups.push(parseInt(m[0], 16));
    i += m[0].length;
    if (i === s.length) break;
    if (s[i] !== ':') return undefined;
    i++;
    if (s[i] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = groups.length;
      i++;
      if (i === s.length) break;
    } else if (i === s.length) return undefined;
    if (groups.length > 8) return undefined;
  }
  if (ellipsis >= 0) {
    if (groups.length > 7) return undefined;
    const fill = new Array<number>(8 - groups.length).fill(0);
    groups = [...groups.slice(0, ellipsis), ...fill, ...groups.slice(ellipsis)];
  }
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

/** Go's net.ParseIP. */
export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) {
    const n = parseIPv6(s);
    return n === undefined ? undefined : { n, v4: isV4Mapped(n) };
  }
  const v4 = parseIPv4(s);
  return v4 === undefined ? undefined : { n: V4_PREFIX | v4, v4: true };
}

function maskOf(prefix128: number): bigint {
  return prefix128 === 0 ? 0n : (ALL << BigInt(128 - prefix128)) & ALL;
}

function _width(ip: IP): number {
  return ip.v4 ? 32 : 128;
}

/** Prefix length over the 128-bit value. */
function prefix128(net: Net): number {
  return net.ip.v4 ? 96 + net.bits : net.bits;
}

class CIDRError extends Error {}

/** Go's net.ParseCIDR (returns the masked network). */
export function parseCIDR(s: string): Net {
  const bad = () => new CIDRError(`invalid CIDR address: ${s}`);
  const slash = s.indexOf('/');
  if (slash < 0) throw bad();
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  let ip: IP | undefined;
  let family: number;
  if (addr.includes(':')) {
    if (addr.includes('%')) throw bad();
    const n = parseIPv6(addr);
    if (n === undefined) throw bad();
    ip = { n, v4: isV4Mapped(n) };
    family = 128;
  } else {
    const v4 = parseIPv4(addr);
    if (v4 === undefined) throw bad();
    ip = { n: V4_PREFIX | v4, v4: true };
    family = 32;
  }
  if (!/^[0-9]+$/.test(mask) || mask.length > 7) throw bad();
  const bits = Number(mask);
  if (bits > family) throw bad();
  const p128 = family === 32 ? 96 + bits : bits;
  const masked = ip.n & maskOf(p128);
  // A v4-mapped address written in IPv6 form keeps a 128-bit mask.
  if (family === 128) return { ip: { n: masked, v4: false }, bits };
  return { ip: { n: masked, v4: true }, bits };
}

function contains(net: Net, ip: IP): boolean {
  if (net.ip.v4 !== ip.v4) return false;
  const m = maskOf(prefix128(net));
  return (net.ip.n & m) === (ip.n & m);
}

function lastOf(net: Net): IP {
  const m = maskOf(prefix128(net));
  return { n: (net.ip.n & m) | (~m & ALL), v4: net.ip.v4 };
}

/** Go's net.IP.String(). */
export function ipString(ip: IP | bigint): string {
  const n = typeof ip === 'bigint' ? ip : ip.n;
  if (isV4Mapped(n)) {
    return [24n, 16n, 8n, 0n].map((sh) => String(Number((n >> sh) & 255n))).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // longest run of zero groups (length >= 2), first on a tie
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(':');
  const left = groups
    .slice(0, bestStart)
    .map((g) => g.toString(16))
    .join(':');
  const right = groups
    .slice(bestStart + bestLen)
    .map((g) => g.toString(16))
    .join(':');
  return left + '::' + right;
}

function netString(net: Net): string {
  return ipString(net.ip) + '/' + net.bits;
}

function getNet(v: Value): Net {
  const s = str(1, v);
  try {
    return parseCIDR(s);
  } catch (e) {
    if (e instanceof CIDRError) throw builtinError(e.message);
    throw e;
  }
}

function cidrContains(a: Value, b: Value): boolean {
  const netA = getNet(a);
  const bStr = str(1, b);
  const ip = parseIP(bStr);
  if (ip) return contains(netA, ip);
  let netB: Net;
  try {
    netB = parseCIDR(bStr);
  } catch {
    throw builtinError(`not a valid textual representation of an IP address or CIDR: ${bStr}`);
  }
  return contains(netA, netB.ip) && contains(netA, lastOf(netB));
}

builtins.push({ name: 'net.cidr_contains', arity: 2, fn: ([a, b]) => cidrContains(a!, b!) });
builtins.push({
  name: 'net.cidr_overlap',
  arity: 2,
  deprecated: true,
  fn: ([a, b]) => cidrContains(a!, b!),
});

builtins.push({
  name: 'net.cidr_intersects',
  arity: 2,
  fn: ([a, b]) => {
    const na = getNet(a!);
    const nb = getNet(b!);
    return contains(na, nb.ip) || contains(nb, na.ip);
  },
});

builtins.push({
  name: 'net.cidr_is_valid',
  arity: 1,
  fn: ([s]) => {
    if (typeof s !== 'string') return false;
    try {
      parseCIDR(s);
      return true;
    } catch {
      return false;
    }
  },
});

const EXPAND_LIMIT = 1n << 20n;

builtins.push({
  name: 'net.cidr_expand',
  arity: 1,
  fn: ([s]) => {
    const net = getNet(s!);
    const first = net.ip.n;
    const last = lastOf(net).n;
    if (last - first >= EXPAND_LIMIT) throw builtinError('timed out before generating all IP addresses');
    const out = new SetValue();
    for (let n = first; n <= last; n++) out.add(ipString(n));
    return out;
  },
});

// ---------------------------------------------------------------------------------------------
// net.cidr_contains_matches

const ELEM_ERR = 'element must be string or non-empty array';

function matchTerm(operand: number, v: Value): Value {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0) return v[0]!;
  throw builtinError(`operand ${operand}: ${ELEM_ERR}`);
}

function operandItems(operand: number, v: Value): [Value, Value][] {
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return v.map((x, i) => [matchTerm(operand, x), i]);
  if (v instanceof SetValue) return v.sorted().map((x) => [matchTerm(operand, x), x]);
  if (v instanceof ObjectValue) return [...v.entries()].map(([k, x]) => [matchTerm(operand, x), k]);
  return [];
}

builtins.push({
  name: 'net.cidr_contains_matches',
  arity: 2,
  fn: ([a, b]) => {
    const out = new SetValue();
    const left = operandItems(1, a!);
    for (const [c1, i1] of left) {
      const right = operandItems(2, b!);
      for (const [c2, i2] of right) {
        if (cidrContains(c1, c2)) out.add([i1, i2]);
      }
    }
    return out;
  },
});

// ---------------------------------------------------------------------------------------------
// net.cidr_merge

interface Range {
  first: bigint;
  last: bigint;
  net?: Net; // unmerged: printed as given
}

function defaultMaskBits(v4: bigint): number {
  const top = Number(v4 >> 24n);
  if (top < 0x80) return 8;
  if (top < 0xc0) return 16;
  return 24;
}

function mergeNet(v: Value): Net {
  if (typeof v !== 'string') throw builtinError('element must be string');
  const ip = parseIP(v);
  if (!ip) {
    try {
      return parseCIDR(v);
    } catch (e) {
      if (e instanceof CIDRError) throw builtinError(e.message);
      throw e;
    }
  }
  if (ip.v4) return { ip, bits: defaultMaskBits(ip.n & 0xffffffffn) };
  throw builtinError('IPv6 invalid: needs prefix length');
}

function prevIP(n: bigint, v4: boolean): bigint {
  if (n === 0n || (v4 && n === V4_PREFIX)) return n;
  return n - 1n;
}

/** Minimal list of CIDRs covering [first, last]. */
function rangeToCIDRs(first: bigint, last: bigint): Net[] {
  const v4 = isV4Mapped(first);
  const out: Net[] = [];
  let cur = first;
  while (cur <= last) {
    let size = 0; // host bits
    while (size < 128) {
      const block = 1n << BigInt(size + 1);
      if ((cur & (block - 1n)) !== 0n || cur + block - 1n > last) break;
      size++;
    }
    if (v4 && size > 32) size = 32;
    const bits = 128 - size;
    out.push({ ip: { n: cur, v4 }, bits: v4 ? bits - 96 : bits });
    cur += 1n << BigInt(size);
  }
  return out;
}

builtins.push({
  name: 'net.cidr_merge',
  arity: 1,
  fn: ([v]) => {
    let elems: readonly Value[];
    if (Array.isArray(v)) elems = v;
    else if (v instanceof SetValue) elems = v.sorted();
    else throw builtinError('operand must be an array');
    const nets = elems.map((x) => mergeNet(x));
    const out = new SetValue();
    if (nets.length === 0) return out;
    let ranges: Range[] = nets.map((n) => {
      const m = maskOf(prefix128(n));
      const first = n.ip.n & m;
      return { first, last: first | (~m & ALL), net: n };
    });
    ranges.sort((a, b) =>
      a.last < b.last ? -1 : a.last > b.last ? 1 : a.first < b.first ? -1 : a.first > b.first ? 1 : 0,
    );
    for (let i = ranges.length - 1; i > 0; i--) {
      const cur = ranges[i]!;
      const prev = ranges[i - 1]!;
      if (prevIP(cur.first, isV4Mapped(cur.first)) <= prev.last) {
        // biome-ignore lint/complexity/useMathMinMax: addresses are bigints, which Math.min does not take
        ranges[i - 1] = { first: prev.first < cur.first ? prev.first : cur.first, last: cur.last };
        ranges = [...ranges.slice(0, i), ...ranges.slice(i + 1)];
      }
    }
    for (const r of ranges) {
      if (r.net) out.add(netString(r.net));
      else for (const n of rangeToCIDRs(r.first, r.last)) out.add(netString(n));
    }
    return out;
  },
});
