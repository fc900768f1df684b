// Builtin family "json" (family B): json.filter, json.remove and json.patch with OPA's
// semantics (paths as "/a/b" strings or segment arrays; sets addressed by element).
import { equal, ObjectValue, SetValue, typeName, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { operandError, typeError } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

type Path = Value[];

class PathError extends Error {}

/** OPA's parsePath: "/a/b" (leading slashes trimmed, ~1 and ~0 unescaped) or an array of segments. */
function parsePath(p: Value): Path {
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  if (Array.isArray(p)) return [...p];
  throw typeError(
    `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`,
  );
}

function getPaths(v: Value): Path[] {
  if (Array.isArray(v)) return v.map((x) => parsePath(x));
  if (v instanceof SetValue) return v.sorted().map((x) => parsePath(x));
  throw typeError(`operand 2 must be one of {set, array} but got ${typeName(v)}`);
}

/** Paths as a tree: leaves are null (select/remove the whole subtree). */
function pathsToObject(paths: Path[]): ObjectValue {
  const root = new ObjectValue();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node = root;
    let done = false;
    for (let i = 0; i < path.length - 1 && !done; i++) {
      const k = path[i]!;
      const child = node.get(k);
      if (child === undefined) {
        const obj = new ObjectValue();
        node.set(k, obj);
        node = obj;
        continue;
      }
      if (child === null) done = true;
      else node = child as ObjectValue;
    }
    if (!done) node.set(path[path.length - 1]!, null);
  }
  return root;
}

function filterValue(v: Value, filter: Value): Value {
  if (filter === null) return v;
  if (!(filter instanceof ObjectValue)) throw new Error(`invalid filter value, expected an object`);
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, i) => {
      const sub = filter.get(String(i));
      if (sub !== undefined) out.push(filterValue(x, sub));
    });
    return out;
  }
  if (v instanceof SetValue) {
    const out = new SetValue();
    for (const x of v.sorted()) {
      const sub = filter.get(x);
      if (sub !== undefined) out.add(filterValue(x, sub));
    }
    return out;
  }
  if (v instanceof ObjectValue) {
    const out = new ObjectValue();
    for (const [k, sub] of filter.entries()) {
      const x = v.get(k);
      if (x !== undefined) out.set(k, filterValue(x, sub));
    }
    return out;
  }
  return v;
}

builtins.push({
  name: 'json.filter',
  arity: 2,
  fn: ([obj, paths]) => {
    if (!(obj instanceof ObjectValue)) throw operandError(1, 'object', obj!);
    return filterValue(obj, pathsToObject(getPaths(paths!)));
  },
});

/** Returns undefined when the whole value is removed. */
function removeValue(a: Value, b: Value | undefined): Value | undefined {
  if (b === undefined) return a;
  if (b === null) return undefined;
  if (!(b instanceof ObjectValue)) return a;
  if (a instanceof ObjectValue) {
    const out = new ObjectValue();
    for (const [k, v] of a.entries()) {
      const r = removeValue(v, b.get(k));
      if (r !== undefined) out.set(k, r);
    }
    return out;
  }
  if (a instanceof SetValue) {
    const out = new SetValue();
    for (const v of a.sorted()) {
      const r = removeValue(v, b.get(v));
      if (r !== undefined) out.add(r);
    }
    return out;
  }
  if (Array.isArray(a)) {
    const out: Value[] = [];
    a.forEach((v, i) => {
      const r = removeValue(v, b.get(String(i)));
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  return a;
}

builtins.push({
  name: 'json.remove',
  arity: 2,
  fn: ([obj, paths]) => {
    if (!(obj instanceof ObjectValue)) throw operandError(1, 'object', obj!);
    return removeValue(obj, pathsToObject(getPaths(paths!)));
  },
});

// ---------------------------------------------------------------------------------------------
// json.patch (RFC 6902 over Rego values; any failure makes the result undefined)

function arrayIndex(seg: Value, len: number, forInsert: boolean): number {
  let idx: number;
  if (typeof seg === 'string') {
    if (forInsert && seg === '-') return len;
    if (!/^(0|-?[1-9][0-9]*)$/.test(seg)) throw new PathError('invalid array index');
    idx = Number(seg);
  } else if (typeof seg === 'number' && Number.isInteger(seg)) idx = seg;
  else throw new PathError('invalid array index');
  if (idx < 0 || idx > len || (!forInsert && idx === len)) throw new PathError('index out of range');
  return idx;
}

function child(v: Value, seg: Value): Value {
  if (v instanceof ObjectValue) {
    const x = v.get(seg);
    if (x === undefined) throw new PathError('missing key');
    return x;
  }
  if (Array.isArray(v)) return v[arrayIndex(seg, v.length, false)]!;
  if (v instanceof SetValue) {
    if (!v.has(seg)) throw new PathError('missing element');
    return seg;
  }
  throw new PathError('scalar');
}

function render(doc: Value, path: Path): Value {
  let v = doc;
  for (const seg of path) v = child(v, seg);
  return v;
}

/** Rebuilds `doc` with the container at path[..-1] replaced by op(container). */
function update(doc: Value, path: Path, i: number, op: (parent: Value, last: Value) => Value): Value {
  if (i === path.length - 1) return op(doc, path[i]!);
  const seg = path[i]!;
  const sub = child(doc, seg);
  const next = update(sub, path, i + 1, op);
  if (doc instanceof ObjectValue) return doc.clone().set(seg, next);
  if (Array.isArray(doc)) {
    const out = doc.slice();
    out[arrayIndex(seg, doc.length, false)] = next;
    return out;
  }
  // set: replace the element
  const s = (doc as SetValue).clone();
  s.delete(seg);
  s.add(next);
  return s;
}

function insert(doc: Value, path: Path, value: Value): Value {
  if (path.length === 0) return value;
  return update(doc, path, 0, (parent, key) => {
    if (parent instanceof ObjectValue) return parent.clone().set(key, value);
    if (Array.isArray(parent)) {
      const idx = arrayIndex(key, parent.length, true);
      return [...parent.slice(0, idx), value, ...parent.slice(idx)];
    }
    if (parent instanceof SetValue) {
      if (!equal(key, value)) throw new PathError('set key mismatch');
      const s = parent.clone();
      s.add(value);
      return s;
    }
    throw new PathError('scalar');
  });
}

function remove(doc: Value, path: Path): Value {
  if (path.length === 0) throw new PathError('cannot remove root');
  return update(doc, path, 0, (parent, key) => {
    if (parent instanceof ObjectValue) {
      if (!parent.has(key)) throw new PathError('missing key');
      const o = parent.clone();
      o.delete(key);
      return o;
    }
    if (Array.isArray(parent)) {
      const idx = arrayIndex(key, parent.length, false);
      return [...parent.slice(0, idx), ...parent.slice(idx + 1)];
    }
    if (parent instanceof SetValue) {
      if (!parent.has(key)) throw new PathError('missing element');
      const s = parent.clone();
      s.delete(key);
      return s;
    }
    throw new PathError('scalar');
  });
}

function applyPatch(doc: Value, ops: Value[]): Value {
  for (const opv of ops) {
    if (!(opv instanceof ObjectValue)) throw new PathError('not an object');
    const attr = (a: string): Value => {
      const v = opv.get(a);
      if (v === undefined) throw new PathError(`missing '${a}' attribute`);
      return v;
    };
    const op = attr('op');
    if (typeof op !== 'string' || !['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op))
      throw new PathError('bad op');
    const pathV = attr('path');
    const from = op === 'move' || op === 'copy' ? attr('from') : undefined;
    const value = op === 'add' || op === 'replace' || op === 'test' ? attr('value') : undefined;
    const path = parsePath(pathV);
    switch (op) {
      case 'add':
        doc = insert(doc, path, value!);
        break;
      case 'remove':
        doc = remove(doc, path);
        break;
      case 'replace':
        if (path.length > 0) doc = remove(doc, path);
        doc = insert(doc, path, value!);
        break;
      case 'move': {
        const fromPath = parsePath(from!);
        const chunk = render(doc, fromPath);
        doc = fromPath.length === 0 ? doc : remove(doc, fromPath);
        doc = insert(doc, path, chunk);
        break;
      }
      case 'copy': {
        const chunk = render(doc, parsePath(from!));
        doc = insert(doc, path, chunk);
        break;
      }
      case 'test':
        if (!equal(render(doc, path), value!)) throw new PathError('test failed');
        break;
    }
  }
  return doc;
}

builtins.push({
  name: 'json.patch',
  arity: 2,
  fn: ([doc, ops]) => {
    if (!Array.isArray(ops)) throw operandError(2, 'array', ops!);
    try {
      return applyPatch(doc!, ops);
    } catch (e) {
      if (e instanceof PathError || (e instanceof Error && e.name === 'BuiltinError')) return undefined;
      if (e instanceof Error && 'code' in e) return undefined;
      throw e;
    }
  },
});
