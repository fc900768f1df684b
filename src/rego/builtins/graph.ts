// Builtin family "graph": walk, graph.reachable, graph.reachable_paths.
import { ObjectValue, SetValue, type Value } from '../value.js';
import type { BuiltinDef } from './registry.js';
import { obj, typeError } from './operands.js';

/** This family's builtins, registered by builtins/index.ts. */
export const builtins: BuiltinDef[] = [];

function* walk(v: Value, path: Value[]): Generator<Value> {
  yield [path.slice(), v];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      yield* walk(v[i]!, path);
      path.pop();
    }
  } else if (v instanceof ObjectValue) {
    for (const [k, x] of v.sortedEntries()) {
      path.push(k);
      yield* walk(x, path);
      path.pop();
    }
  } else if (v instanceof SetValue) {
    for (const x of v.sorted()) {
      path.push(x);
      yield* walk(x, path);
      path.pop();
    }
  }
}

builtins.push({ name: 'walk', arity: 1, multi: ([a]) => walk(a!, []) });

function vertices(v: Value | undefined): readonly Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof SetValue) return v.sorted();
  return [];
}

function initial(v: Value): readonly Value[] {
  if (Array.isArray(v) || v instanceof SetValue) return vertices(v);
  throw typeError(`operand 2 must be {array, set} but got ${v === null ? 'null' : typeofName(v)}`);
}

function typeofName(v: Value): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof ObjectValue) return 'object';
  return 'number';
}

builtins.push({
  name: 'graph.reachable',
  arity: 2,
  fn: ([g, i]) => {
    const graph = obj(1, g!);
    const queue = [...initial(i!)];
    const reached = new SetValue();
    for (let k = 0; k < queue.length; k++) {
      const node = queue[k]!;
      const edges = graph.get(node);
      if (edges === undefined) continue;
      for (const n of vertices(edges)) if (!reached.has(n)) queue.push(n);
      reached.add(node);
    }
    return reached;
  },
});

builtins.push({
  name: 'graph.reachable_paths',
  arity: 2,
  fn: ([g, i]) => {
    const graph = obj(1, g!);
    const result = new SetValue();
    const build = (root: Value, path: Value[], reached: SetValue): void => {
      const edges = graph.get(root);
      if (edges === undefined) {
        result.add(path.slice());
        return;
      }
      path = [...path, root];
      const ns = vertices(edges);
      if (ns.length === 0) {
        result.add(path);
        return;
      }
      reached.add(root);
      for (const n of ns) {
        if (reached.has(n)) result.add(path);
        else build(n, path, reached);
      }
    };
    for (const node of initial(i!)) {
      const edges = graph.get(node);
      if (edges === undefined) continue;
      const ns = vertices(edges);
      if (ns.length === 0) result.add([node]);
      else for (const n of ns) build(n, [node], SetValue.from([node]));
    }
    return result;
  },
});
