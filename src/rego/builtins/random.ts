// Builtin family "random": rand.intn and uuid.rfc4122 (stable per query for equal arguments),
// and uuid.parse (google/uuid semantics).
import { randomBytes, randomInt } from 'node:crypto';
import { ObjectValue, canonical, intValue, type Value } from '../value.js';
import type { BuiltinContext, BuiltinDef } from './registry.js';
import { intOperand, str } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function cached(ctx: BuiltinContext, key: string, make: () => Value): Value {
  const hit = ctx.queryCache.get(key);
  if (hit !== undefined) return hit;
  const v = make();
  ctx.queryCache.set(key, v);
  return v;
}

builtins.push({
  name: 'rand.intn',
  arity: 2,
  reads: 'random',
  fn: ([a, b], ctx) => {
    const s = str(1, a!);
    let n = intOperand(2, b!);
    if (n === 0) return 0;
    if (n < 0) n = -n;
    return cached(ctx, 'rand.intn\u0000' + canonical([s, n]), () =>
      n < 2 ** 48 ? randomInt(n) : Math.floor(Math.random() * n),
    );
  },
});

builtins.push({
  name: 'uuid.rfc4122',
  arity: 1,
  reads: 'random',
  fn: ([a], ctx) => {
    str(1, a!);
    return cached(ctx, 'uuid.rfc4122\u0000' + canonical(a!), () => {
      const b = randomBytes(16);
      b[8] = (b[8]! & 0x3f) | 0x80;
      b[6] = (b[6]! & 0x0f) | 0x40;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    });
  },
});

/** google/uuid Parse: canonical, urn:uuid:, {braced} and 32-hex forms. */
function parseUUID(s: string): Buffer | undefined {
  let t: string;
  if (s.length === 36) t = s;
  else if (s.length === 45) {
    if (s.slice(0, 9).toLowerCase() !== 'urn:uuid:') return undefined;
    t = s.slice(9);
  } else if (s.length === 38) {
    if (s[0] !== '{' || s[37] !== '}') return undefined;
    t = s.slice(1, 37);
  } else if (s.length === 32) {
    return /^[0-9a-fA-F]{32}$/.test(s) ? Buffer.from(s, 'hex') : undefined;
  } else return undefined;
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(t)) return undefined;
  return Buffer.from(t.replaceAll('-', ''), 'hex');
}

function variant(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

function macVars(b: number): string {
  if ((b & 3) === 3) return 'local:multicast';
  if ((b & 1) === 1) return 'global:multicast';
  if ((b & 2) === 2) return 'local:unicast';
  return 'global:unicast';
}

builtins.push({
  name: 'uuid.parse',
  arity: 1,
  fn: ([a]) => {
    const u = parseUUID(str(1, a!));
    if (!u) return undefined;
    const version = u[6]! >> 4;
    const o = new ObjectValue();
    o.set('version', version);
    o.set('variant', variant(u[8]!));
    if (version === 1 || version === 2) {
      const t =
        BigInt(u.readUInt32BE(0)) | (BigInt(u.readUInt16BE(4)) << 32n) | (BigInt(u.readUInt16BE(6) & 0xfff) << 48n);
      const since1970 = t - 122192928000000000n;
      o.set('time', intValue(since1970 * 100n));
      o.set('clocksequence', u.readUInt16BE(8) & 0x3fff);
      const node = u.subarray(10, 16);
      o.set('nodeid', Array.from(node, (x) => x.toString(16).padStart(2, '0')).join('-'));
      o.set('macvariables', macVars(node[0]!));
      if (version === 2) {
        o.set('id', u.readUInt32BE(0));
        const d = u[9]!;
        o.set('domain', d === 0 ? 'Person' : d === 1 ? 'Group' : d === 2 ? 'Org' : `Domain${d}`);
      }
    }
    return o;
  },
});
