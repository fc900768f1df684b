// The Rego value model: every document, term result and builtin argument is a `Value`.
//
//   null, boolean, string          JS primitives
//   number                         JS number (float64; integers exact up to 2^53)
//   BigNum                         an integer outside the safe range, kept exact as bigint
//   Value[]                        array (never mutated once built)
//   ObjectValue / SetValue         canonical collections: equality and iteration order do not
//                                  depend on how they were built (OPA's sorted order)
//
// `undefined` (JS) is never a Value: it means "no value" (Rego's undefined) wherever a
// function returns `Value | undefined`.

export type Value = null | boolean | number | string | BigNum | Value[] | ObjectValue | SetValue;

/** An exact integer outside ±(2^53-1). Always normalised: a safe integer is a plain number. */
export class BigNum {
  constructor(readonly n: bigint) {}
  toString(): string {
    return this.n.toString();
  }
}

/** Builds the canonical number for an exact integer: a JS number when safe, else a BigNum. */
export function intValue(n: bigint): number | BigNum {
  return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : new BigNum(n);
}
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

export function isNumber(v: Value | undefined): v is number | BigNum {
  return typeof v === 'number' || v instanceof BigNum;
}

/** The exact integer value of a number, or undefined when it is not integral. */
export function toBigInt(v: number | BigNum): bigint | undefined {
  if (v instanceof BigNum) return v.n;
  return Number.isInteger(v) ? BigInt(v) : undefined;
}

/** A number as float64 (BigNum loses precision beyond 2^53 here, which is what float math wants). */
export function toFloat(v: number | BigNum): number {
  return v instanceof BigNum ? Number(v.n) : v;
}

// ---------------------------------------------------------------------------------------------
// Type ordering and names

/** OPA's type order: null < boolean < number < string < array < object < set. */
function typeRank(v: Value): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'string':
      return 3;
  }
  if (v instanceof BigNum) return 2;
  if (Array.isArray(v)) return 4;
  if (v instanceof ObjectValue) return 5;
  return 6;
}

const TYPE_NAMES = ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'] as const;
export type TypeName = (typeof TYPE_NAMES)[number];

/** The name `type_name` returns. */
export function typeName(v: Value): TypeName {
  return TYPE_NAMES[typeRank(v)]!;
}

// ---------------------------------------------------------------------------------------------
// Comparison and equality

function compareNumbers(a: number | BigNum, b: number | BigNum): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const ai = toBigInt(a);
  const bi = toBigInt(b);
  if (ai !== undefined && bi !== undefined) return ai < bi ? -1 : ai > bi ? 1 : 0;
  // One side is a non-integral float: float comparison is exact enough (a BigNum is far from it).
  const af = toFloat(a);
  const bf = toFloat(b);
  return af < bf ? -1 : af > bf ? 1 : 0;
}

function compareStrings(a: string, b: string): number {
  // Go compares strings bytewise (UTF-8); comparing code points gives the same order, UTF-16 units do not.
  // They differ only where the first differing units are a surrogate and a unit above it, so
  // one scan to that unit decides (no regex test of both strings on every comparison).
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      const surA = ca >= 0xd800 && ca <= 0xdfff;
      const surB = cb >= 0xd800 && cb <= 0xdfff;
      if (surA !== surB) return surA ? 1 : -1; // a surrogate pair encodes a code point above U+FFFF
      return ca < cb ? -1 : 1;
    }
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** OPA's total order over values (ast.Compare). Returns -1, 0 or 1. */
export function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a ? 1 : -1;
    case 2:
      return compareNumbers(a as number | BigNum, b as number | BigNum);
    case 3:
      return compareStrings(a as string, b as string);
    case 4:
      return compareSequences(a as Value[], b as Value[]);
    case 5: {
      const ea = (a as ObjectValue).sortedEntries();
      const eb = (b as ObjectValue).sortedEntries();
      const n = Math.min(ea.length, eb.length);
      for (let i = 0; i < n; i++) {
        const c = compare(ea[i]![0], eb[i]![0]);
        if (c !== 0) return c;
        const d = compare(ea[i]![1], eb[i]![1]);
        if (d !== 0) return d;
      }
      return ea.length < eb.length ? -1 : ea.length > eb.length ? 1 : 0;
    }
    default:
      return compareSequences((a as SetValue).sorted(), (b as SetValue).sorted());
  }
}

function compareSequences(a: readonly Value[], b: readonly Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (
    ta === 'string' ||
    ta === 'boolean' ||
    a === null ||
    typeof b === 'string' ||
    typeof b === 'boolean' ||
    b === null
  )
    return false;
  if (ta === 'number' && typeof b === 'number') return false; // a === b handled equal numbers (NaN never occurs)
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i]!, b[i]!)) return false;
    return true;
  }
  if (a instanceof ObjectValue) {
    if (!(b instanceof ObjectValue) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      const w = b.get(k);
      if (w === undefined || !equal(v, w)) return false;
    }
    return true;
  }
  if (a instanceof SetValue) {
    if (!(b instanceof SetValue) || a.size !== b.size) return false;
    for (const v of a.values()) if (!b.has(v)) return false;
    return true;
  }
  return isNumber(b) && compareNumbers(a as number | BigNum, b) === 0;
}

// ---------------------------------------------------------------------------------------------
// Hash keys: a JS Map key that is equal for equal Values and distinct otherwise.

type HashKey = string | number | boolean | bigint | null;

/**
 * Strings, booleans and null are their own key; numbers are JS numbers (1 and 1.0 are one key)
 * or bigints; composite values are a canonical encoding prefixed with \u0001. A string that
 * itself starts with \u0001 is escaped with a second \u0001 so it can never collide.
 */
export function hashKey(v: Value): HashKey {
  switch (typeof v) {
    case 'string':
      return v.length > 0 && v.charCodeAt(0) === 1 ? '\u0001' + v : v;
    case 'number':
    case 'boolean':
      return v;
  }
  if (v === null) return null;
  if (v instanceof BigNum) return v.n;
  return '\u0001' + canonical(v);
}

/**
 * A canonical text for a value: equal values give equal texts, different values different
 * ones. Only ever used as a map key, never shown. Strings are written as `"<length>:<text>`:
 * the length says where the text ends, so nothing needs escaping and no scan of the text is
 * made: keying a long deny message must not cost a pass over it (bench/rego.ts, deny set).
 */
export function canonical(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return '"' + v.length + ':' + v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  }
  if (v instanceof BigNum) return v.n.toString();
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  // Objects and sets keep their text until modified: a value added to several sets (a deny
  // reason collected into an aggregate set) is encoded once.
  if (v instanceof ObjectValue) {
    if (v.canon !== undefined) return v.canon;
    let out = '{';
    const es = v.sortedEntries();
    for (let i = 0; i < es.length; i++) out += (i > 0 ? ',' : '') + canonical(es[i]![0]) + ':' + canonical(es[i]![1]);
    return (v.canon = out + '}');
  }
  const sv = v as SetValue;
  if (sv.canon !== undefined) return sv.canon;
  let out = 's{';
  const xs = sv.sorted();
  for (let i = 0; i < xs.length; i++) out += (i > 0 ? ',' : '') + canonical(xs[i]!);
  return (sv.canon = out + '}');
}

// ---------------------------------------------------------------------------------------------
// Collections

/**
 * An object with keys of any type. Build with `set` (or ObjectValue.from...), then treat as
 * immutable: values are shared between documents. Iteration is in OPA's sorted key order.
 */
export class ObjectValue {
  /** String keys (nearly all keys) map straight to their values: no hashing, no tuples. */
  private readonly strs: Map<string, Value>;
  /** Keys of other types, by hash key, with the original key. Created on first use. */
  private other: Map<HashKey, [Value, Value]> | undefined;
  private sortedCache: [Value, Value][] | undefined;
  /** @internal canonical() text, dropped on modification. */
  canon: string | undefined;

  /** @internal strs: a map of string keys the object takes over (fromJS builds one directly). */
  constructor(strs?: Map<string, Value>) {
    this.strs = strs ?? new Map();
  }

  static fromEntries(entries: Iterable<readonly [Value, Value]>): ObjectValue {
    const o = new ObjectValue();
    for (const [k, v] of entries) o.set(k, v);
    return o;
  }

  /** An object with string keys from a plain record. */
  static fromRecord(rec: Record<string, Value>): ObjectValue {
    const o = new ObjectValue();
    for (const k of Object.keys(rec)) o.set(k, rec[k]!);
    return o;
  }

  get size(): number {
    return this.other === undefined ? this.strs.size : this.strs.size + this.other.size;
  }

  get(key: Value): Value | undefined {
    if (typeof key === 'string') return this.strs.get(key);
    return this.other?.get(hashKey(key))?.[1];
  }

  has(key: Value): boolean {
    if (typeof key === 'string') return this.strs.has(key);
    return this.other?.has(hashKey(key)) ?? false;
  }

  /** Sets a key during construction (replaces an equal key). */
  set(key: Value, value: Value): this {
    if (typeof key === 'string') this.strs.set(key, value);
    else (this.other ??= new Map()).set(hashKey(key), [key, value]);
    this.sortedCache = undefined;
    this.canon = undefined;
    return this;
  }

  delete(key: Value): boolean {
    this.sortedCache = undefined;
    this.canon = undefined;
    if (typeof key === 'string') return this.strs.delete(key);
    return this.other?.delete(hashKey(key)) ?? false;
  }

  /** Entries in sorted key order. The returned array must not be mutated. */
  sortedEntries(): readonly [Value, Value][] {
    if (!this.sortedCache) {
      const arr: [Value, Value][] = [];
      for (const [k, v] of this.strs) arr.push([k, v]);
      if (this.other !== undefined) for (const e of this.other.values()) arr.push(e);
      if (arr.length > 1) arr.sort((x, y) => compare(x[0], y[0]));
      this.sortedCache = arr;
    }
    return this.sortedCache;
  }

  entries(): Iterable<readonly [Value, Value]> {
    return this.sortedEntries();
  }

  keys(): Value[] {
    return this.sortedEntries().map((e) => e[0]);
  }

  values(): Value[] {
    return this.sortedEntries().map((e) => e[1]);
  }

  /** A shallow copy that may be modified. */
  clone(): ObjectValue {
    const o = new ObjectValue();
    for (const [k, v] of this.strs) o.strs.set(k, v);
    if (this.other !== undefined) o.other = new Map(this.other);
    return o;
  }
}

/** A set of values, canonical as ObjectValue. Iteration is in sorted order. */
export class SetValue {
  /** Created on the first add: most sets a policy builds (deny reasons) stay empty. */
  private map: Map<HashKey, Value> | undefined;
  private sortedCache: Value[] | undefined;
  /** @internal canonical() text, dropped on modification. */
  canon: string | undefined;

  static from(values: Iterable<Value>): SetValue {
    const s = new SetValue();
    for (const v of values) s.add(v);
    return s;
  }

  get size(): number {
    return this.map === undefined ? 0 : this.map.size;
  }

  has(v: Value): boolean {
    return this.map?.has(hashKey(v)) ?? false;
  }

  /** Adds during construction; returns false when an equal value was already there. */
  add(v: Value): boolean {
    const h = hashKey(v);
    const map = (this.map ??= new Map());
    if (map.has(h)) return false;
    map.set(h, v);
    this.sortedCache = undefined;
    this.canon = undefined;
    return true;
  }

  delete(v: Value): boolean {
    this.sortedCache = undefined;
    this.canon = undefined;
    return this.map?.delete(hashKey(v)) ?? false;
  }

  /** Elements in sorted order. The returned array must not be mutated. */
  sorted(): readonly Value[] {
    if (!this.sortedCache) {
      const arr = this.map === undefined ? [] : [...this.map.values()];
      if (arr.length > 1) arr.sort(compare);
      this.sortedCache = arr;
    }
    return this.sortedCache;
  }

  values(): Iterable<Value> {
    return this.sorted();
  }

  clone(): SetValue {
    const s = new SetValue();
    if (this.map !== undefined) s.map = new Map(this.map);
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions

/** Number formatting as OPA prints JSON numbers: integers without exponent or ".0". */
export function formatNumber(v: number | BigNum): string {
  if (v instanceof BigNum) return v.n.toString();
  if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? String(v) : BigInt(v).toString();
  return String(v); // shortest round-trip digits, as Go; exponent spelling may still differ (json-parse.ts refines)
}

/** Serialises a value as JSON (sets become sorted arrays, object keys must be strings or are stringified as OPA does). */
export function toJSON(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatNumber(v);
  }
  if (v instanceof BigNum) return v.n.toString();
  if (Array.isArray(v)) return '[' + v.map(toJSON).join(',') + ']';
  if (v instanceof SetValue) return '[' + v.sorted().map(toJSON).join(',') + ']';
  const parts: string[] = [];
  for (const [k, x] of (v as ObjectValue).sortedEntries()) {
    parts.push(JSON.stringify(typeof k === 'string' ? k : toJSON(k)) + ':' + toJSON(x));
  }
  return '{' + parts.join(',') + '}';
}

/** Converts a plain JS value (from JSON.parse, a config file, ...) into a Value. */
export function fromJS(x: unknown): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return x;
    case 'number':
      return x;
    case 'bigint':
      return intValue(x);
  }
  if (Array.isArray(x)) {
    const out: Value[] = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = fromJS(x[i]);
    return out;
  }
  // Plain objects (JSON.parse output, request documents) are nearly every object converted:
  // their string keys go straight into the object's map, without a key array or per-key
  // bookkeeping. Object.keys, not for-in: a key inherited through a prototype is not data.
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto === Object.prototype || proto === null) {
    const rec = x as Record<string, unknown>;
    const keys = Object.keys(rec);
    const m = new Map<string, Value>();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      m.set(k, fromJS(rec[k]));
    }
    return new ObjectValue(m);
  }
  if (x instanceof ObjectValue || x instanceof SetValue || x instanceof BigNum) return x;
  if (x instanceof Set) return SetValue.from([...x].map(fromJS));
  if (x instanceof Map) return ObjectValue.fromEntries([...x].map(([k, v]) => [fromJS(k), fromJS(v)] as const));
  const o = new ObjectValue();
  for (const k of Object.keys(x as object)) o.set(k, fromJS((x as Record<string, unknown>)[k]));
  return o;
}

/** Converts a Value to plain JS for JSON-minded callers (sets → arrays, BigNum → bigint, non-string keys → JSON text). */
export function toJS(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof BigNum) return v.n;
  if (Array.isArray(v)) return v.map(toJS);
  if (v instanceof SetValue) return v.sorted().map(toJS);
  const out: Record<string, unknown> = {};
  for (const [k, x] of v.sortedEntries()) out[typeof k === 'string' ? k : toJSON(k)] = toJS(x);
  return out;
}

/** Formats a value in Rego syntax (sets as {1, 2}, empty set as set()), as OPA's `print`, `sprintf("%v")` of composites and error texts do. */
export function formatRego(v: Value): string {
  if (v === null || typeof v !== 'object' || v instanceof BigNum) return toJSON(v);
  if (Array.isArray(v)) return '[' + v.map(formatRego).join(', ') + ']';
  if (v instanceof SetValue) return v.size === 0 ? 'set()' : '{' + v.sorted().map(formatRego).join(', ') + '}';
  return (
    '{' +
    v
      .sortedEntries()
      .map(([k, x]) => formatRego(k) + ': ' + formatRego(x))
      .join(', ') +
    '}'
  );
}
