// A compiled policy written out as JSON and read back, so that a short-lived process (an agent's
// hook call) runs a policy without lexing, parsing or compiling Rego.
//
// The compiled form is a graph: rule-tree nodes are shared by every term that calls them, and
// rules point back at their module. An object reached once is written in place; one reached
// more than once (or on a cycle) is written once into a table and referenced by its index, so
// sharing and cycles come back as they were. Objects keep their key order and their `undefined`
// fields (nodes are built with every field present, for the evaluator's shapes). Builtins are
// written by name and looked up again when read. Anything else (a function, a class this file
// does not know) stops the writing: a snapshot is complete or not made.
//
// A snapshot holds several parts, each decoded when first asked for: a process that never needs
// one (the syntax trees, for a decision) does not pay for reading it.
import { lookupBuiltin, type BuiltinDef } from './builtins/registry.js';
import { BigNum, ObjectValue, SetValue } from './value.js';

/** Bumped whenever the encoding changes: a snapshot of another format is not read. */
const FORMAT = 2;

// Encoded values: strings, booleans, null and finite numbers stand for themselves, arrays are
// arrays of encoded values, plain objects are objects of encoded values. An object with one
// key starting with "$" is special: {$: i} table entry i, {$u: 1} undefined, {$n: "NaN"} a
// number JSON cannot hold, {$big: "..."} a BigNum, {$m: [k, v, ...]} a Map, {$ov: [k, v, ...]}
// an ObjectValue, {$sv: [...]} a SetValue, {$b: name} a builtin, {$o: {...}} a plain object
// whose own keys start with "$".
type Encoded = unknown;

export interface Snapshot {
  format: number;
  /** Whatever the writer wants the reader to check or know (e.g. a hash of its sources). */
  meta: unknown;
  parts: Encoded[];
  table: Encoded[];
}

export class SnapshotError extends Error {}

/** Writes each of `parts` and everything they reach. */
export function writeSnapshot(parts: unknown[], meta: unknown): Snapshot {
  // First pass: how often each object is reached (a second visit stops there, so cycles end).
  const seen = new Map<object, number>();
  const count = (x: unknown, at: string): void => {
    if (x === null || typeof x !== 'object') {
      if (typeof x === 'function' || typeof x === 'symbol' || typeof x === 'bigint')
        throw new SnapshotError(`cannot write a ${typeof x} at ${at}`);
      return;
    }
    const n = seen.get(x);
    seen.set(x, (n ?? 0) + 1);
    if (n !== undefined || isBuiltin(x) || x instanceof BigNum) return;
    if (Array.isArray(x)) for (const [i, v] of x.entries()) count(v, `${at}[${i}]`);
    else if (x instanceof Map || x instanceof ObjectValue)
      for (const [k, v] of x.entries()) count(k, `${at}<key>`), count(v, `${at}<value>`);
    else if (x instanceof SetValue) for (const v of x.values()) count(v, `${at}<item>`);
    else {
      const proto = Object.getPrototypeOf(x);
      if (proto !== Object.prototype)
        throw new SnapshotError(`cannot write an object of class ${proto?.constructor?.name ?? 'null'} at ${at}`);
      for (const k of Object.keys(x)) count((x as Record<string, unknown>)[k], `${at}.${k}`);
    }
  };
  for (const [i, p] of parts.entries()) count(p, `part ${i}`);

  const ids = new Map<object, number>();
  const table: Encoded[] = [];
  const encode = (x: unknown): Encoded => {
    if (x === undefined) return { $u: 1 };
    if (x === null || typeof x !== 'object') {
      if (typeof x === 'number' && Object.is(x, -0)) return { $n: '-0' };
      if (typeof x === 'number' && !Number.isFinite(x)) return { $n: String(x) };
      return x;
    }
    if ((seen.get(x) ?? 0) < 2) return encodeObject(x);
    const known = ids.get(x);
    if (known !== undefined) return { $: known };
    const id = table.length;
    ids.set(x, id);
    table.push(null); // taken before the children are written: a cycle back here finds the id
    table[id] = encodeObject(x);
    return { $: id };
  };
  const pairs = (entries: Iterable<readonly [unknown, unknown]>): Encoded[] => {
    const out: Encoded[] = [];
    for (const [k, v] of entries) out.push(encode(k), encode(v));
    return out;
  };
  const encodeObject = (x: object): Encoded => {
    if (Array.isArray(x)) return x.map(encode);
    if (x instanceof Map) return { $m: pairs(x.entries()) };
    if (x instanceof ObjectValue) return { $ov: pairs(x.entries()) };
    if (x instanceof SetValue) return { $sv: [...x.values()].map(encode) };
    if (x instanceof BigNum) return { $big: x.n.toString() };
    if (isBuiltin(x)) {
      if (lookupBuiltin(x.name) !== x) throw new SnapshotError(`builtin ${x.name} is not the registered one`);
      return { $b: x.name };
    }
    const out: Record<string, Encoded> = {};
    let dollar = false;
    for (const k of Object.keys(x)) {
      if (k.startsWith('$')) dollar = true;
      out[k] = encode((x as Record<string, unknown>)[k]);
    }
    return dollar ? { $o: out } : out;
  };
  return { format: FORMAT, meta, parts: parts.map(encode), table };
}

/** Reads a snapshot; `part(i)` decodes part i on its first call (objects shared between parts stay shared). */
export function readSnapshot(snapshot: Snapshot): { part(i: number): unknown } {
  if (snapshot?.format !== FORMAT || !Array.isArray(snapshot.table) || !Array.isArray(snapshot.parts))
    throw new SnapshotError(`not a policy snapshot of format ${FORMAT}`);
  const { table } = snapshot;
  const made: unknown[] = new Array(table.length);
  const parts: unknown[] = new Array(snapshot.parts.length);
  const decodedParts: boolean[] = [];

  // Decodes in place where it can: arrays and plain objects that JSON.parse made become the
  // decoded ones, their values replaced where they encode something else.
  const decode = (e: Encoded): unknown => {
    if (e === null || typeof e !== 'object') return e;
    if (Array.isArray(e)) return fill(e);
    const o = e as Record<string, unknown>;
    for (const k in o) {
      if (k.charCodeAt(0) === 36 /* $ */) return special(o, k, undefined);
      break;
    }
    return fields(o);
  };
  const fill = (e: unknown[]): unknown[] => {
    for (let i = 0; i < e.length; i++) {
      const v = e[i];
      if (v !== null && typeof v === 'object') e[i] = decode(v);
    }
    return e;
  };
  const fields = (o: Record<string, unknown>): Record<string, unknown> => {
    for (const k in o) {
      const v = o[k];
      if (v !== null && typeof v === 'object') o[k] = decode(v);
    }
    return o;
  };
  /** `id`: the table entry being decoded, registered before its children so that a cycle meets it. */
  const special = (o: Record<string, unknown>, k: string, id: number | undefined): unknown => {
    const v = o[k];
    const register = <T>(x: T): T => {
      if (id !== undefined) made[id] = x;
      return x;
    };
    switch (k) {
      case '$':
        return entry(v as number);
      case '$u':
        return undefined;
      case '$n':
        return Number(v);
      case '$big':
        return new BigNum(BigInt(v as string));
      case '$b': {
        const def = lookupBuiltin(v as string);
        if (def === undefined) throw new SnapshotError(`unknown builtin ${String(v)}`);
        return def;
      }
      case '$o':
        return fields(register(v as Record<string, unknown>));
      case '$m': {
        const out = register(new Map<unknown, unknown>());
        const xs = v as Encoded[];
        for (let i = 0; i < xs.length; i += 2) out.set(decode(xs[i]), decode(xs[i + 1]));
        return out;
      }
      case '$ov': {
        const out = register(new ObjectValue());
        const xs = v as Encoded[];
        for (let i = 0; i < xs.length; i += 2) out.set(decode(xs[i]) as never, decode(xs[i + 1]) as never);
        return out;
      }
      case '$sv': {
        const out = register(new SetValue());
        for (const x of v as Encoded[]) out.add(decode(x) as never);
        return out;
      }
      default:
        throw new SnapshotError(`unknown encoding ${k}`);
    }
  };
  const entry = (id: number): unknown => {
    if (id in made) return made[id];
    if (!Number.isInteger(id) || id < 0 || id >= table.length) throw new SnapshotError(`no table entry ${id}`);
    const e = table[id];
    let v: unknown;
    if (Array.isArray(e)) v = fill((made[id] = e));
    else if (e !== null && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      let first: string | undefined;
      for (const k in o) {
        first = k;
        break;
      }
      v = first !== undefined && first.charCodeAt(0) === 36 ? special(o, first, id) : fields((made[id] = o) as never);
    } else v = e;
    made[id] = v;
    return v;
  };
  return {
    part(i: number): unknown {
      if (!decodedParts[i]) {
        if (i < 0 || i >= snapshot.parts.length) throw new SnapshotError(`no part ${i}`);
        parts[i] = decode(snapshot.parts[i]);
        decodedParts[i] = true;
      }
      return parts[i];
    },
  };
}

function isBuiltin(x: object): x is BuiltinDef {
  const def = x as Partial<BuiltinDef>;
  return (
    typeof def.name === 'string' &&
    typeof def.arity === 'number' &&
    (typeof def.fn === 'function' || typeof def.multi === 'function')
  );
}
